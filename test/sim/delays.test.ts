import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNatGatewayCommand,
  DeleteSubnetCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeNatGatewaysCommand,
  ReleaseAddressCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilNatGatewayAvailable,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AMI, eventually, useHarness } from './harness';

/** Feature 4: states that take time, computed at read time from when things happened. */

const h = useHarness();
let ec2: EC2Client;
beforeAll(() => {
  ec2 = h.ec2();
});

async function stateOf(id: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

async function network(): Promise<{ vpcId: string; subnetId: string }> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
  );
  return { vpcId: vpc.Vpc?.VpcId as string, subnetId: subnet.Subnet?.SubnetId as string };
}

describe('instances', () => {
  beforeEach(() =>
    h.reset({ throttling: { enabled: false }, delays: { instancePending: 1200, instanceStatusChecks: 1200, instanceShuttingDown: 1200, instanceStopping: 1200 } }),
  );

  it('is pending, then running after the configured delay, and the SDK waiter sees it through', async () => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;
    expect(run.Instances?.[0]?.State).toEqual({ Code: 0, Name: 'pending' });
    expect(await stateOf(id)).toBe('pending');

    const pendingOnly = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending'] }] }));
    expect(pendingOnly.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([id]);
    const runningOnly = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }));
    expect(runningOnly.Reservations ?? []).toHaveLength(0);

    await waitUntilInstanceRunning({ client: ec2, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { InstanceIds: [id] });
    expect(await stateOf(id)).toBe('running');
  });

  it('reports status checks initializing after running, then ok', async () => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;

    const whilePending = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    expect(whilePending.InstanceStatuses ?? []).toHaveLength(0);
    const all = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }));
    expect(all.InstanceStatuses?.[0]?.InstanceState?.Name).toBe('pending');
    expect(all.InstanceStatuses?.[0]?.InstanceStatus?.Status).toBe('not-applicable');

    const initializing = await eventually(
      () => ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] })),
      (out) => (out.InstanceStatuses ?? []).length > 0,
    );
    expect(initializing.InstanceStatuses?.[0]?.InstanceState?.Name).toBe('running');
    expect(initializing.InstanceStatuses?.[0]?.InstanceStatus?.Status).toBe('initializing');
    expect(initializing.InstanceStatuses?.[0]?.SystemStatus?.Details?.[0]).toEqual({ Name: 'reachability', Status: 'initializing' });

    const ok = await eventually(
      () => ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] })),
      (out) => out.InstanceStatuses?.[0]?.InstanceStatus?.Status === 'ok',
    );
    expect(ok.InstanceStatuses?.[0]?.SystemStatus?.Status).toBe('ok');
    expect(ok.InstanceStatuses?.[0]?.InstanceStatus?.Details?.[0]?.Status).toBe('passed');
  });

  it('is shutting-down after TerminateInstances, then terminated', async () => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;
    const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(term.TerminatingInstances?.[0]?.PreviousState?.Name).toBe('pending');
    expect(term.TerminatingInstances?.[0]?.CurrentState?.Name).toBe('shutting-down');
    expect(await stateOf(id)).toBe('shutting-down');
    expect(await eventually(() => stateOf(id), (s) => s === 'terminated')).toBe('terminated');
  });

  it('is stopping after StopInstances, then stopped', async () => {
    await h.control('PUT', '/_sim/config', { delays: { instancePending: 0 } });
    const run = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;
    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances?.[0]?.CurrentState?.Name).toBe('stopping');
    expect(await stateOf(id)).toBe('stopping');
    expect(await eventually(() => stateOf(id), (s) => s === 'stopped')).toBe('stopped');
  });
});

describe('NAT gateways', () => {
  beforeEach(() => h.reset({ throttling: { enabled: false }, delays: { natGatewayPending: 1200, natGatewayDeleting: 1200 } }));

  it('goes pending → available after the configured delay', async () => {
    const { subnetId } = await network();
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const created = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId }));
    const id = created.NatGateway?.NatGatewayId as string;
    expect(created.NatGateway?.State).toBe('pending');

    const described = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }));
    expect(described.NatGateways?.[0]?.State).toBe('pending');
    const pendingByFilter = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['pending'] }] }));
    expect(pendingByFilter.NatGateways?.map((n) => n.NatGatewayId)).toEqual([id]);

    await waitUntilNatGatewayAvailable({ client: ec2, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { NatGatewayIds: [id] });
    const after = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }));
    expect(after.NatGateways?.[0]?.State).toBe('available');
  });

  it('is deleting, keeping its Elastic IP associated, until deleted; the subnet cannot go before it', async () => {
    await h.control('PUT', '/_sim/config', { delays: { natGatewayPending: 0 } });
    const { subnetId } = await network();
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const created = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId }));
    const id = created.NatGateway?.NatGatewayId as string;

    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id }));
    const deleting = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }));
    expect(deleting.NatGateways?.[0]?.State).toBe('deleting');
    const address = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId as string] }));
    expect(address.Addresses?.[0]?.AssociationId).toBeTruthy();
    await expect(ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }))).rejects.toMatchObject({
      name: 'InvalidIPAddress.InUse',
    });
    await expect(ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }))).rejects.toMatchObject({ name: 'DependencyViolation' });

    const deleted = await eventually(
      () => ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] })),
      (out) => out.NatGateways?.[0]?.State === 'deleted',
    );
    expect(deleted.NatGateways?.[0]?.State).toBe('deleted');
    expect(deleted.NatGateways?.[0]?.DeleteTime).toBeInstanceOf(Date);
    const released = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId as string] }));
    expect(released.Addresses?.[0]?.AssociationId).toBeUndefined();
    await ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
  });

  it('answers NatGatewayNotFound for a gateway that does not exist', async () => {
    await expect(ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: 'nat-0123456789abcdef0' }))).rejects.toMatchObject({
      name: 'NatGatewayNotFound',
    });
    await expect(ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ['nat-0123456789abcdef0'] }))).rejects.toMatchObject({
      name: 'NatGatewayNotFound',
    });
  });
});

describe('load balancer health', () => {
  beforeEach(() =>
    h.reset({ throttling: { enabled: false }, delays: { instancePending: 0, elbInstanceRegistration: 1200, targetRegistration: 1200, targetDeregistration: 1200 } }),
  );

  it('classic ELB: a registered instance is OutOfService, then InService', async () => {
    const elb = h.elb();
    const run = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;
    await elb.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: 'api',
        Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 6443, InstancePort: 6443 }],
        AvailabilityZones: ['us-east-1a'],
      }),
    );
    await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'api', Instances: [{ InstanceId: id }] }));
    const first = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'api' }));
    expect(first.InstanceStates?.[0]).toMatchObject({ InstanceId: id, State: 'OutOfService', ReasonCode: 'ELB' });
    const later = await eventually(
      () => elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'api' })),
      (out) => out.InstanceStates?.[0]?.State === 'InService',
    );
    expect(later.InstanceStates?.[0]).toMatchObject({ InstanceId: id, State: 'InService' });
  });

  it('ELBv2: a registered target is initial, then healthy; a deregistered one drains', async () => {
    const elbv2 = h.elbv2();
    const { vpcId } = await network();
    const run = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;
    const tg = await elbv2.send(new CreateTargetGroupCommand({ Name: 'api', Protocol: 'TCP', Port: 6443, VpcId: vpcId, TargetType: 'instance' }));
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn as string;
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: 6443 }] }));

    const first = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    expect(first.TargetHealthDescriptions?.[0]?.TargetHealth).toMatchObject({ State: 'initial', Reason: 'Elb.RegistrationInProgress' });
    const healthy = await eventually(
      () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      (out) => out.TargetHealthDescriptions?.[0]?.TargetHealth?.State === 'healthy',
    );
    expect(healthy.TargetHealthDescriptions?.[0]?.Target?.Id).toBe(id);

    await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: 6443 }] }));
    const draining = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    expect(draining.TargetHealthDescriptions?.[0]?.TargetHealth).toMatchObject({ State: 'draining', Reason: 'Target.DeregistrationInProgress' });
    const gone = await eventually(
      () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      (out) => (out.TargetHealthDescriptions ?? []).length === 0,
    );
    expect(gone.TargetHealthDescriptions ?? []).toHaveLength(0);
  });
});
