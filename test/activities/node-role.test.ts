import { DescribeInstancesCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { legacyNodeRoleName, nodeRoleName } from '../../activities/node-role';
import { resourceTags } from '../../common/tags';
import { toAwsTags } from '../../activities/ownership';
import { Backend, newScope, REGION, SECRET_ACCESS_KEY, simOnly, useBackend } from './support';
import { armHold, releaseHold, waitParked } from '../support/sim-holds';

/**
 * The nodes' IAM identities: workers may read the join secret only, control-plane nodes the
 * join secret and the control-plane secret; idempotent both ways.
 */
describe('node instance profile activities', () => {
  const aws = useBackend();
  let iam: IAMClient;

  beforeAll(async () => {
    iam = new IAMClient({ region: REGION, endpoint: aws.url, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET_ACCESS_KEY } });
  });
  afterAll(async () => {
    iam?.destroy();
  });

  async function readablePolicy(role: string): Promise<unknown> {
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'read-join-secret' }));
    return JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '{}')).Statement;
  }

  it('gives workers and control-plane nodes a role and profile each, allowed only their secrets, and finds them again', async () => {
    const scope = newScope('iam');
    const secret = await aws.run('ensureJoinSecret', { scope });
    const input = { scope, secretArn: secret.secretArn, controlPlaneSecretArn: secret.controlPlaneSecretArn };
    const first = await aws.run('ensureNodeInstanceProfile', input);
    const again = await aws.run('ensureNodeInstanceProfile', input);
    expect(again).toEqual(first);
    expect(first).toEqual({ instanceProfileName: nodeRoleName(scope.owner, 'worker'), controlPlaneInstanceProfileName: nodeRoleName(scope.owner, 'control-plane') });
    const worker = first.instanceProfileName;
    const controlPlane = first.controlPlaneInstanceProfileName!;
    expect(worker).not.toBe(controlPlane);

    for (const name of [worker, controlPlane]) {
      const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
      expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual([name]);
      const role = await iam.send(new GetRoleCommand({ RoleName: name }));
      expect(role.Role?.Tags).toEqual(expect.arrayContaining([{ Key: 'clusterflow.io/cluster', Value: scope.owner.cluster }]));
    }
    // Read back from IAM: the worker's role cannot read the certificate key.
    expect(await readablePolicy(worker)).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [secret.secretArn] }]);
    expect(await readablePolicy(controlPlane)).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [secret.secretArn, secret.controlPlaneSecretArn].sort() },
    ]);

    await aws.run('deleteNodeInstanceProfile', { scope });
    await aws.run('deleteNodeInstanceProfile', { scope });
    for (const name of [worker, controlPlane]) {
      await expect(iam.send(new GetRoleCommand({ RoleName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
      await expect(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    }
  });

  it('deletes the single shared role and profile that clusters created before the split have', async () => {
    const scope = newScope('iamlegacy');
    const name = legacyNodeRoleName(scope.owner);
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const tags = toAwsTags(resourceTags(scope.owner, 'iam/node'));
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust, Tags: tags }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: tags }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));

    await aws.run('deleteNodeInstanceProfile', { scope });
    await expect(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    await expect(iam.send(new GetRoleCommand({ RoleName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('finishes a delete whose earlier attempt died after taking the role out of the profile', async () => {
    const scope = newScope('iamcrash');
    const secret = await aws.run('ensureJoinSecret', { scope });
    const { controlPlaneInstanceProfileName: name } = await aws.run('ensureNodeInstanceProfile', { scope, secretArn: secret.secretArn, controlPlaneSecretArn: secret.controlPlaneSecretArn });
    // What a worker killed between the delete's first and second IAM call leaves behind.
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));

    await aws.run('deleteNodeInstanceProfile', { scope });
    await expect(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    await expect(iam.send(new GetRoleCommand({ RoleName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('neither adopts nor deletes a role and profile of its name that are not the cluster\'s', async () => {
    const scope = newScope('iamforeign');
    const name = nodeRoleName(scope.owner, 'worker');
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));

    await expect(aws.run('ensureNodeInstanceProfile', { scope, secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' })).rejects.toMatchObject({
      message: expect.stringContaining('does not belong to cluster'),
    });
    await aws.run('deleteNodeInstanceProfile', { scope });
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
    expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual([name]);
    expect((await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.RoleName).toBe(name);
  });

  simOnly("adopts neither a role nor a profile someone else made between the cluster's look-up and its create", 'holds park a call inside AWS', async () => {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const cases: Array<[string, (name: string) => Promise<unknown>, string]> = [
      ['iam:CreateRole', (name) => iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust })), 'IAM role'],
      ['iam:CreateInstanceProfile', (name) => iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name })), 'IAM instance profile'],
    ];
    for (const [action, createForeign, kind] of cases) {
      const scope = newScope('iamrace');
      const name = nodeRoleName(scope.owner, 'worker');
      // The cluster looks, finds nothing, and its create is under way when someone else's lands first.
      const hold = await armHold(aws.url, action, { withValue: name });
      const ensured = aws.run('ensureNodeInstanceProfile', { scope, secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' }).catch((e: unknown) => e);
      await waitParked(aws.url, hold);
      await createForeign(name);
      await releaseHold(aws.url, hold);
      expect(await ensured).toMatchObject({ nonRetryable: true, message: `${kind} ${name} exists and does not belong to cluster ${scope.owner.cluster}` });
      // Nothing of the cluster's went into the other's role or profile.
      if (kind === 'IAM instance profile') {
        const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
        expect(profile.InstanceProfile?.Roles ?? []).toEqual([]);
      } else {
        await expect(iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'read-join-secret' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
      }
      await aws.run('deleteNodeInstanceProfile', { scope });
    }
  });

  simOnly('a lost AddRoleToInstanceProfile answer costs one resend, not the SDK\'s throttling retries', 'bare moto cannot lose an answer', async () => {
    const scope = newScope('iamlost');
    await fetch(`${aws.url}/_sim/stats`, { method: 'DELETE' });
    await aws.configureSim({ faults: { 'iam:AddRoleToInstanceProfile': { code: 'InternalError', httpStatus: 500, phase: 'after', count: 1 } } });
    try {
      // The resend meets the role already in the profile: IAM's LimitExceeded, a quota that the
      // SDK takes for throttling and would resend seven times, backing off for up to a minute.
      const { instanceProfileName, controlPlaneInstanceProfileName } = await aws.run('ensureNodeInstanceProfile', { scope, secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' });
      for (const name of [instanceProfileName, controlPlaneInstanceProfileName!]) {
        const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
        expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual([name]);
      }
      const stats = (await (await fetch(`${aws.url}/_sim/stats`)).json()) as { actions: Record<string, { calls: number; faulted: number }> };
      // Two profiles, one lost answer, one resend.
      expect(stats.actions['iam:AddRoleToInstanceProfile']).toMatchObject({ calls: 3, faulted: 1 });
    } finally {
      await aws.configureSim({ faults: { 'iam:AddRoleToInstanceProfile': null } });
    }
    await aws.run('deleteNodeInstanceProfile', { scope });
  });

  it('keeps clusters of the same name in different projects apart', () => {
    const a = newScope('same').owner;
    expect(nodeRoleName({ ...a, cluster: 'p1/same' }, 'worker')).not.toBe(nodeRoleName({ ...a, cluster: 'p2/same' }, 'worker'));
  });

  it("fits IAM's 64 characters for the longest legal cluster name, and keeps long names sharing a prefix apart", () => {
    const long = 'a'.repeat(63);
    const owner = { cluster: `default/${long}`, clusterName: long, extraTags: {} };
    const sibling = { cluster: `default/${long.slice(0, 62)}b`, clusterName: `${long.slice(0, 62)}b`, extraTags: {} };
    for (const audience of ['worker', 'control-plane'] as const) {
      expect(nodeRoleName(owner, audience).length).toBeLessThanOrEqual(64);
      expect(nodeRoleName(owner, audience)).toMatch(/^[\w+=,.@-]+$/);
      expect(nodeRoleName(owner, audience)).not.toBe(nodeRoleName(sibling, audience));
    }
  });

  it('launches nodes with the profile', async () => {
    const scope = newScope('iamnode');
    const secret = await aws.run('ensureJoinSecret', { scope });
    const { instanceProfileName } = await aws.run('ensureNodeInstanceProfile', { scope, secretArn: secret.secretArn, controlPlaneSecretArn: secret.controlPlaneSecretArn });
    const image = await aws.run('resolveImage', { scope, owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' });
    const node = await aws.run('ensureInstance', { scope, key: 'node/w/0', subnetId: await defaultSubnet(aws), instanceType: 't3.micro', imageId: image.imageId, securityGroupIds: [], iamInstanceProfile: instanceProfileName });
    const described = await aws.ec2.send(new DescribeInstancesCommand({ InstanceIds: [node.instanceId] }));
    expect(described.Reservations?.[0].Instances?.[0].IamInstanceProfile?.Arn).toContain(`instance-profile/${instanceProfileName}`);
    await aws.run('terminateInstance', { scope, key: 'node/w/0' });
  });
});

async function defaultSubnet(aws: Backend): Promise<string> {
  const subnets = await aws.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }));
  return subnets.Subnets![0].SubnetId!;
}
