import { DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { controlPlaneSecretName, generateJoinCredentials, joinSecretName } from '../../activities/secrets';
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

  it('ensureJoinSecret keeps the bootstrap token and the certificate key in two tagged secrets, reuses them, and never returns a value', async () => {
    const scope = newScope('s');
    const first = await aws.run('ensureJoinSecret', { scope });
    const second = await aws.run('ensureJoinSecret', { scope });
    expect(first.secretName).toBe(`clusterflow/default/${scope.owner.clusterName}/join`);
    expect(first.secretName).toBe(joinSecretName(scope.owner));
    expect(first.controlPlaneSecretName).toBe(controlPlaneSecretName(scope.owner));
    expect(second).toEqual(first);
    expect(Object.keys(first).sort()).toEqual(['controlPlaneSecretArn', 'controlPlaneSecretName', 'secretArn', 'secretName']);

    // Workers read the join secret: it must not hold the key that makes a control-plane node.
    const join = await aws.secrets.send(new GetSecretValueCommand({ SecretId: first.secretName }));
    const token = JSON.parse(join.SecretString ?? '{}') as Record<string, string>;
    expect(Object.keys(token)).toEqual(['bootstrapToken']);
    expect(token.bootstrapToken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const cp = await aws.secrets.send(new GetSecretValueCommand({ SecretId: first.controlPlaneSecretName }));
    const key = JSON.parse(cp.SecretString ?? '{}') as Record<string, string>;
    expect(Object.keys(key)).toEqual(['certificateKey']);
    expect(key.certificateKey).toMatch(/^[0-9a-f]{64}$/);
    // Reused, not regenerated: nodes that already joined keep working.
    expect(join.ARN).toBe(first.secretArn);
    expect(cp.ARN).toBe(first.controlPlaneSecretArn);
    expect(JSON.stringify(second)).not.toContain(token.bootstrapToken);
    expect(JSON.stringify(second)).not.toContain(key.certificateKey);

    for (const [name, resource] of [[first.secretName, 'secret/join'], [first.controlPlaneSecretName!, 'secret/control-plane']]) {
      const described = await aws.secrets.send(new DescribeSecretCommand({ SecretId: name }));
      expect(Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual(expectedTags(scope, resource));
      const listed = await aws.secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] }));
      expect(listed.SecretList?.map((s) => s.Name)).toEqual([name]);
    }

    await aws.run('deleteJoinSecret', { scope });
    await aws.run('deleteJoinSecret', { scope });
    await aws.run('deleteJoinSecret', { scope: newScope('s') });
    for (const name of [first.secretName, first.controlPlaneSecretName!]) {
      await expect(aws.secrets.send(new DescribeSecretCommand({ SecretId: name }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    }

    // Deleted without a recovery window, so the name is free for a re-created cluster at once.
    const again = await aws.run('ensureJoinSecret', { scope });
    expect(again.secretName).toBe(first.secretName);
    const fresh = JSON.parse((await aws.secrets.send(new GetSecretValueCommand({ SecretId: again.secretName }))).SecretString ?? '{}') as { bootstrapToken: string };
    expect(fresh.bootstrapToken).not.toBe(token.bootstrapToken);
    await aws.run('deleteJoinSecret', { scope });
  });
});
