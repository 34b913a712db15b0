import { CreateSecurityGroupCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { CreateInstanceProfileCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { errorOf, QUIET, useHarness } from './harness';

/** Names AWS refuses at the create (and moto accepts) are refused here too, with AWS's codes. */

const h = useHarness(QUIET);
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

describe('name limits', () => {
  it('IAM: a role name of 65 characters is refused, 64 is created; instance profiles up to 128', async () => {
    const iam = h.iam();
    expect(await errorOf(iam.send(new CreateRoleCommand({ RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: TRUST })))).toMatchObject({
      name: 'ValidationError',
      status: 400,
      message: expect.stringContaining('length less than or equal to 64'),
    });
    await expect(iam.send(new CreateRoleCommand({ RoleName: 'r'.repeat(64), AssumeRolePolicyDocument: TRUST }))).resolves.toBeDefined();
    expect(await errorOf(iam.send(new CreateRoleCommand({ RoleName: 'has space', AssumeRolePolicyDocument: TRUST })))).toMatchObject({ name: 'ValidationError' });
    expect(await errorOf(iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'p'.repeat(129) })))).toMatchObject({ name: 'ValidationError', status: 400 });
    await expect(iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'p'.repeat(128) }))).resolves.toBeDefined();
  });

  it('classic ELB: 33 characters or a hyphen at either end is refused', async () => {
    const elb = h.elb();
    const listen = { Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 6443, InstancePort: 6443 }], AvailabilityZones: ['us-east-1a'] };
    for (const name of ['l'.repeat(33), '-api', 'api-', 'under_score']) {
      expect(await errorOf(elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: name, ...listen })))).toMatchObject({ name: 'ValidationError', status: 400 });
    }
    await expect(elb.send(new CreateLoadBalancerCommand({ LoadBalancerName: 'l'.repeat(32), ...listen }))).resolves.toBeDefined();
  });

  it('EC2: a security group named sg-… is refused', async () => {
    const ec2 = h.ec2();
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!.VpcId!;
    expect(await errorOf(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'sg-nodes', Description: 'x', VpcId: vpc })))).toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('sg-*'),
    });
    await expect(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'nodes-sg-1', Description: 'x', VpcId: vpc }))).resolves.toBeDefined();
  });
});
