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
import { nodeRoleName } from '../../activities/node-role';
import { Backend, newScope, REGION, SECRET_ACCESS_KEY, useBackend } from './support';

/** The nodes' IAM identity: may read the cluster's join secret, nothing else; idempotent both ways. */
describe('node instance profile activities', () => {
  const aws = useBackend();
  let iam: IAMClient;

  beforeAll(async () => {
    iam = new IAMClient({ region: REGION, endpoint: aws.url, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET_ACCESS_KEY } });
  });
  afterAll(async () => {
    iam?.destroy();
  });

  it('creates one role and profile allowed only the join secret, and finds them again', async () => {
    const scope = newScope('iam');
    const secret = await aws.run('ensureJoinSecret', { scope });
    const first = await aws.run('ensureNodeInstanceProfile', { scope, secretArn: secret.secretArn });
    const again = await aws.run('ensureNodeInstanceProfile', { scope, secretArn: secret.secretArn });
    expect(again).toEqual(first);
    expect(first.instanceProfileName).toBe(nodeRoleName(scope.owner));
    expect(first.instanceProfileName.length).toBeLessThanOrEqual(64);

    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: first.instanceProfileName }));
    expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual([first.instanceProfileName]);
    const role = await iam.send(new GetRoleCommand({ RoleName: first.instanceProfileName }));
    expect(role.Role?.Tags).toEqual(expect.arrayContaining([{ Key: 'clusterflow.io/cluster', Value: scope.owner.cluster }]));
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: first.instanceProfileName, PolicyName: 'read-join-secret' }));
    const document = JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '{}'));
    expect(document.Statement).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secret.secretArn }]);

    await aws.run('deleteNodeInstanceProfile', { scope });
    await aws.run('deleteNodeInstanceProfile', { scope });
    await expect(iam.send(new GetRoleCommand({ RoleName: first.instanceProfileName }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    await expect(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: first.instanceProfileName }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('finishes a delete whose earlier attempt died after taking the role out of the profile', async () => {
    const scope = newScope('iamcrash');
    const secret = await aws.run('ensureJoinSecret', { scope });
    const { instanceProfileName: name } = await aws.run('ensureNodeInstanceProfile', { scope, secretArn: secret.secretArn });
    // What a worker killed between the delete's first and second IAM call leaves behind.
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));

    await aws.run('deleteNodeInstanceProfile', { scope });
    await expect(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    await expect(iam.send(new GetRoleCommand({ RoleName: name }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('neither adopts nor deletes a role and profile of its name that are not the cluster\'s', async () => {
    const scope = newScope('iamforeign');
    const name = nodeRoleName(scope.owner);
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

  it('keeps clusters of the same name in different projects apart', () => {
    const a = newScope('same').owner;
    expect(nodeRoleName({ ...a, cluster: 'p1/same' })).not.toBe(nodeRoleName({ ...a, cluster: 'p2/same' }));
  });

  it('launches nodes with the profile', async () => {
    const scope = newScope('iamnode');
    const secret = await aws.run('ensureJoinSecret', { scope });
    const { instanceProfileName } = await aws.run('ensureNodeInstanceProfile', { scope, secretArn: secret.secretArn });
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
