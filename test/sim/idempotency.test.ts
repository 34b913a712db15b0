import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  RunInstancesCommand,
  type EC2Client,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { AMI, QUIET, useHarness } from './harness';

/** Feature 7: ClientToken idempotency on RunInstances and CreateNatGateway, as EC2 defines it. */

const h = useHarness(QUIET);
let ec2: EC2Client;
beforeAll(() => {
  ec2 = h.ec2();
});

async function allInstanceIds(): Promise<string[]> {
  const out = await ec2.send(new DescribeInstancesCommand({}));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId as string);
}

const run = (token: string, type: _InstanceType = 't3.small') =>
  ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: type, MinCount: 1, MaxCount: 1, ClientToken: token }));

it('RunInstances retried with the same ClientToken returns the same instance and launches nothing more', async () => {
  const first = await run('launch-node-workers-1');
  const again = await run('launch-node-workers-1');
  expect(again.Instances?.[0]?.InstanceId).toBe(first.Instances?.[0]?.InstanceId);
  expect(again.ReservationId).toBe(first.ReservationId);
  expect(await allInstanceIds()).toEqual([first.Instances?.[0]?.InstanceId]);
});

it('a retry with other parameters gets IdempotentParameterMismatch', async () => {
  await run('launch-node-workers-2', 't3.small');
  await expect(run('launch-node-workers-2', 't3.large')).rejects.toMatchObject({ name: 'IdempotentParameterMismatch', $metadata: { httpStatusCode: 400 } });
  expect(await allInstanceIds()).toHaveLength(1);
});

it('concurrent retries with one token launch once', async () => {
  const results = await Promise.all([run('burst'), run('burst'), run('burst')]);
  expect(new Set(results.map((r) => r.Instances?.[0]?.InstanceId)).size).toBe(1);
  expect(await allInstanceIds()).toHaveLength(1);
});

it('a call that failed does not use its token up', async () => {
  await h.control('PUT', '/_sim/config', { faults: { 'ec2:RunInstances': { code: 'InsufficientInstanceCapacity', count: 1 } } });
  await expect(run('after-ice')).rejects.toMatchObject({ name: 'InsufficientInstanceCapacity' });
  const ok = await run('after-ice');
  expect(await allInstanceIds()).toEqual([ok.Instances?.[0]?.InstanceId]);
});

it('makes a lost RunInstances response safe to retry: the SDK retry returns the instance launched the first time', async () => {
  await h.control('PUT', '/_sim/config', { faults: { 'ec2:RunInstances': { code: 'InternalError', phase: 'after', count: 1 } } });
  // No ClientToken given: the SDK fills one in (idempotencyToken) and reuses it on its retry.
  const out = await h.ec2({ maxAttempts: 3 }).send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
  expect(out.$metadata.attempts).toBe(2);
  expect(await allInstanceIds()).toEqual([out.Instances?.[0]?.InstanceId]);
});

it('CreateNatGateway honours ClientToken the same way', async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }));
  const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const create = (allocationId: string | undefined) =>
    ec2.send(new CreateNatGatewayCommand({ SubnetId: subnet.Subnet?.SubnetId, AllocationId: allocationId, ClientToken: 'nat-us-east-1a' }));
  const first = await create(eip.AllocationId);
  const again = await create(eip.AllocationId);
  expect(again.NatGateway?.NatGatewayId).toBe(first.NatGateway?.NatGatewayId);
  expect((await ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways).toHaveLength(1);

  const other = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  await expect(create(other.AllocationId)).rejects.toMatchObject({ name: 'IdempotentParameterMismatch' });
});
