import { DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { generateJoinCredentials, joinSecretName } from '../../activities/secrets';
import { expectedTags, newScope, useBackend } from './support';

describe('join secret activities', () => {
  const aws = useBackend();

  it('generates kubeadm-shaped credentials, different each time', () => {
    const a = generateJoinCredentials();
    const b = generateJoinCredentials();
    expect(a.bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(a.certificateKey).toMatch(/^[0-9a-f]{64}$/);
    expect(b.bootstrapToken).not.toBe(a.bootstrapToken);
    expect(b.certificateKey).not.toBe(a.certificateKey);
  });

  it('ensureJoinSecret creates one tagged secret, reuses it, and never returns the value', async () => {
    const scope = newScope('s');
    const first = await aws.run('ensureJoinSecret', { scope });
    const second = await aws.run('ensureJoinSecret', { scope });
    expect(first.secretName).toBe(`clusterflow/default/${scope.owner.clusterName}/join`);
    expect(first.secretName).toBe(joinSecretName(scope.owner));
    expect(second).toEqual(first);
    expect(Object.keys(first).sort()).toEqual(['secretArn', 'secretName']);

    const value = await aws.secrets.send(new GetSecretValueCommand({ SecretId: first.secretName }));
    const credentials = JSON.parse(value.SecretString ?? '{}') as { bootstrapToken: string; certificateKey: string };
    expect(credentials.bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(credentials.certificateKey).toMatch(/^[0-9a-f]{64}$/);
    // Reused, not regenerated: nodes that already joined keep working.
    expect(value.ARN).toBe(first.secretArn);
    expect(JSON.stringify(second)).not.toContain(credentials.bootstrapToken);

    const described = await aws.secrets.send(new DescribeSecretCommand({ SecretId: first.secretName }));
    expect(Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual(expectedTags(scope, 'secret/join'));
    const listed = await aws.secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [first.secretName] }] }));
    expect(listed.SecretList?.map((s) => s.Name)).toEqual([first.secretName]);

    await aws.run('deleteJoinSecret', { scope });
    await aws.run('deleteJoinSecret', { scope });
    await aws.run('deleteJoinSecret', { scope: newScope('s') });
    await expect(aws.secrets.send(new DescribeSecretCommand({ SecretId: first.secretName }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    // Deleted without a recovery window, so the name is free for a re-created cluster at once.
    const again = await aws.run('ensureJoinSecret', { scope });
    expect(again.secretName).toBe(first.secretName);
    const fresh = JSON.parse((await aws.secrets.send(new GetSecretValueCommand({ SecretId: again.secretName }))).SecretString ?? '{}') as { bootstrapToken: string };
    expect(fresh.bootstrapToken).not.toBe(credentials.bootstrapToken);
    await aws.run('deleteJoinSecret', { scope });
  });
});
