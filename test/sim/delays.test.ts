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
import type { ClockReading } from '../../sim/clock';
import type { Transitions } from '../../sim/transitions';
import { AMI, useHarness } from './harness';

/**
 * Feature 4: states that take time, computed at read time from when things happened. Each
 * test freezes the simulator's clock and moves it past a delay itself: a state holds until
 * the test says its delay has passed, however slow the machine, and nothing waits it out.
 */

const h = useHarness();
let ec2: EC2Client;
beforeAll(() => {
  ec2 = h.ec2();
});

/**
 * Delays of ten minutes and more: longer than any waiter here waits (60 s) and than a test
 * may run, so a test passes only if advancing the clock, not time going by, ends the state.
 */
const DELAYS = {
  instancePending: 600_000,
  instanceStatusChecks: 1_200_000,
  instanceShuttingDown: 600_000,
  instanceStopping: 600_000,
  natGatewayPending: 900_000,
  natGatewayDeleting: 600_000,
  elbInstanceRegistration: 600_000,
  targetRegistration: 600_000,
  targetDeregistration: 900_000,
};

/** A fresh simulator with `DELAYS` (overridden by `delays`) and its clock frozen. */
async function frozen(delays: Partial<typeof DELAYS> = {}): Promise<ClockReading> {
  await h.reset({ throttling: { enabled: false }, delays: { ...DELAYS, ...delays } });
  return h.freezeClock();
}

async function launch(tags: Record<string, string> = {}): Promise<string> {
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: Tags.length ? [{ ResourceType: 'instance', Tags }] : undefined,
    }),
  );
  return run.Instances?.[0]?.InstanceId as string;
}

async function stateOf(id: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

async function idsInState(state: string): Promise<string[]> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: [state] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId as string);
}

async function network(): Promise<{ vpcId: string; subnetId: string }> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }),
  );
  return { vpcId: vpc.Vpc?.VpcId as string, subnetId: subnet.Subnet?.SubnetId as string };
}

describe('the clock', () => {
  beforeEach(() => h.reset({ throttling: { enabled: false } }));

  it('runs until frozen, then moves exactly as far as it is advanced, and runs on from there once unfrozen', async () => {
    expect(await h.control<ClockReading>('GET', '/_sim/clock')).toMatchObject({ frozen: false });
    const t0 = (await h.freezeClock()).now;
    await launch(); // real time passes, the clock does not
    expect(await h.control<ClockReading>('GET', '/_sim/clock')).toEqual({ now: t0, iso: new Date(t0).toISOString(), frozen: true });
    expect((await h.advanceClock(5000)).now).toBe(t0 + 5000);
    expect((await h.advanceClock(0)).now).toBe(t0 + 5000);
    expect(await h.freezeClock()).toMatchObject({ now: t0 + 5000, frozen: true }); // freezing twice changes nothing

    const running = await h.control<ClockReading>('PUT', '/_sim/clock', { frozen: false });
    expect(running.frozen).toBe(false);
    expect(running.now).toBeGreaterThanOrEqual(t0 + 5000); // never back
    const ahead = await h.advanceClock(60_000);
    expect(ahead).toMatchObject({ frozen: false });
    expect(ahead.now).toBeGreaterThanOrEqual(running.now + 60_000);
  });

  it('drives the delayed states, and goes back to real time, running, on reset', async () => {
    await frozen();
    const id = await launch();
    expect(await stateOf(id)).toBe('pending');
    const far = await h.advanceClock(10 * 365 * 24 * 3600_000);
    expect(await stateOf(id)).toBe('running');

    await h.control('POST', '/_sim/reset');
    const after = await h.control<ClockReading>('GET', '/_sim/clock');
    expect(after.frozen).toBe(false);
    expect(after.now).toBeLessThan(far.now);
  });

  it('refuses a bad clock request with 400', async () => {
    await expect(h.control('POST', '/_sim/clock/advance', { ms: -1 })).rejects.toThrow(/400/);
    await expect(h.control('POST', '/_sim/clock/advance', { ms: '5' })).rejects.toThrow(/400/);
    await expect(h.control('POST', '/_sim/clock/advance', {})).rejects.toThrow(/400/);
    await expect(h.control('PUT', '/_sim/clock', { frozen: 'yes' })).rejects.toThrow(/400/);
    expect(await h.control<ClockReading>('GET', '/_sim/clock')).toMatchObject({ frozen: false });
  });
});

describe('instances', () => {
  it('is pending until the pending delay has passed, then running, and the SDK waiter sees it through', async () => {
    await frozen();
    const run = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;
    expect(run.Instances?.[0]?.State).toEqual({ Code: 0, Name: 'pending' });
    expect(await stateOf(id)).toBe('pending');
    expect(await idsInState('pending')).toEqual([id]);
    expect(await idsInState('running')).toEqual([]);

    await h.advanceClock(DELAYS.instancePending - 1);
    expect(await stateOf(id)).toBe('pending');

    // The waiter polls; only the last millisecond of the delay, given by the test, lets it finish.
    const waiting = waitUntilInstanceRunning({ client: ec2, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { InstanceIds: [id] });
    await h.advanceClock(1);
    await waiting;
    expect(await stateOf(id)).toBe('running');
    expect(await idsInState('pending')).toEqual([]);
    expect(await idsInState('running')).toEqual([id]);
  });

  it('reports status checks initializing after running, then ok', async () => {
    await frozen();
    const id = await launch();
    const status = async () => (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }))).InstanceStatuses ?? [];

    expect(await status()).toHaveLength(0);
    const all = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }));
    expect(all.InstanceStatuses?.[0]?.InstanceState?.Name).toBe('pending');
    expect(all.InstanceStatuses?.[0]?.InstanceStatus?.Status).toBe('not-applicable');

    await h.advanceClock(DELAYS.instancePending);
    const [initializing] = await status();
    expect(initializing?.InstanceState?.Name).toBe('running');
    expect(initializing?.InstanceStatus?.Status).toBe('initializing');
    expect(initializing?.SystemStatus?.Details?.[0]).toEqual({ Name: 'reachability', Status: 'initializing' });

    await h.advanceClock(DELAYS.instanceStatusChecks - 1);
    expect((await status())[0]?.InstanceStatus?.Status).toBe('initializing');
    await h.advanceClock(1);
    const [ok] = await status();
    expect(ok?.InstanceStatus?.Status).toBe('ok');
    expect(ok?.SystemStatus?.Status).toBe('ok');
    expect(ok?.InstanceStatus?.Details?.[0]?.Status).toBe('passed');
  });

  it('is shutting-down after TerminateInstances until the delay has passed, then terminated', async () => {
    await frozen();
    const id = await launch();
    const term = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(term.TerminatingInstances?.[0]?.PreviousState?.Name).toBe('pending');
    expect(term.TerminatingInstances?.[0]?.CurrentState?.Name).toBe('shutting-down');
    expect(await stateOf(id)).toBe('shutting-down');
    await h.advanceClock(DELAYS.instanceShuttingDown - 1);
    expect(await stateOf(id)).toBe('shutting-down');
    await h.advanceClock(1);
    expect(await stateOf(id)).toBe('terminated');
  });

  it('is stopping after StopInstances until the delay has passed, then stopped', async () => {
    await frozen({ instancePending: 0 });
    const id = await launch();
    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances?.[0]?.CurrentState?.Name).toBe('stopping');
    expect(await stateOf(id)).toBe('stopping');
    await h.advanceClock(DELAYS.instanceStopping - 1);
    expect(await stateOf(id)).toBe('stopping');
    await h.advanceClock(1);
    expect(await stateOf(id)).toBe('stopped');
  });
});

describe('transitions', () => {
  it('lists each instance’s states and when it entered them, terminated ones too, up to now only', async () => {
    const t0 = (await frozen()).now;
    const P = DELAYS.instancePending;
    const S = DELAYS.instanceShuttingDown;
    const served = await launch({ pool: 'a' });
    const cancelled = await launch({ pool: 'a' });
    const other = await launch({ pool: 'b' });
    await h.advanceClock(1000);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [cancelled] })); // while pending: never running
    await h.advanceClock(P);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [served] }));
    await h.advanceClock(S);
    const late = await launch({ pool: 'a' }); // pending, and its `running` is still to come

    const answer = await h.control<Transitions>('GET', '/_sim/transitions?tag=pool=a');
    expect(answer.now).toBe(t0 + 1000 + P + S);
    const byId = new Map(answer.instances.map((i) => [i.id, i]));
    expect([...byId.keys()].sort()).toEqual([served, cancelled, late].sort());
    expect(byId.has(other)).toBe(false);
    expect(byId.get(served)).toMatchObject({ instanceType: 't3.micro', tags: { pool: 'a' } });
    expect(byId.get(served)?.transitions).toEqual([
      { state: 'pending', at: t0 },
      { state: 'running', at: t0 + P },
      { state: 'shutting-down', at: t0 + 1000 + P },
      { state: 'terminated', at: t0 + 1000 + P + S },
    ]);
    expect(byId.get(cancelled)?.transitions).toEqual([
      { state: 'pending', at: t0 },
      { state: 'shutting-down', at: t0 + 1000 },
      { state: 'terminated', at: t0 + 1000 + S },
    ]);
    expect(byId.get(late)?.transitions).toEqual([{ state: 'pending', at: answer.now }]);
  });
});

describe('NAT gateways', () => {
  it('goes pending → available once the delay has passed', async () => {
    await frozen();
    const { subnetId } = await network();
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const created = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId }));
    const id = created.NatGateway?.NatGatewayId as string;
    expect(created.NatGateway?.State).toBe('pending');

    const described = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }));
    expect(described.NatGateways?.[0]?.State).toBe('pending');
    const pendingByFilter = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['pending'] }] }));
    expect(pendingByFilter.NatGateways?.map((n) => n.NatGatewayId)).toEqual([id]);

    await h.advanceClock(DELAYS.natGatewayPending - 1);
    expect((await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.[0]?.State).toBe('pending');
    const waiting = waitUntilNatGatewayAvailable({ client: ec2, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { NatGatewayIds: [id] });
    await h.advanceClock(1);
    await waiting;
    const after = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }));
    expect(after.NatGateways?.[0]?.State).toBe('available');
  });

  it('is deleting, keeping its Elastic IP associated, until deleted; the subnet cannot go before it', async () => {
    await frozen({ natGatewayPending: 0 });
    const { subnetId } = await network();
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const created = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId }));
    const id = created.NatGateway?.NatGatewayId as string;
    const gateway = async () => (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.[0];
    const association = async () =>
      (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId as string] }))).Addresses?.[0]?.AssociationId;

    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id }));
    expect((await gateway())?.State).toBe('deleting');
    expect(await association()).toBeTruthy();
    await expect(ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }))).rejects.toMatchObject({
      name: 'InvalidIPAddress.InUse',
    });
    await expect(ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }))).rejects.toMatchObject({ name: 'DependencyViolation' });

    await h.advanceClock(DELAYS.natGatewayDeleting - 1);
    expect((await gateway())?.State).toBe('deleting');
    expect(await association()).toBeTruthy();

    const deletedAt = await h.advanceClock(1);
    const deleted = await gateway();
    expect(deleted?.State).toBe('deleted');
    expect(deleted?.DeleteTime?.getTime()).toBe(deletedAt.now);
    expect(await association()).toBeUndefined();
    await ec2.send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
  });

  it('answers NatGatewayNotFound for a gateway that does not exist', async () => {
    await frozen();
    await expect(ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: 'nat-0123456789abcdef0' }))).rejects.toMatchObject({
      name: 'NatGatewayNotFound',
    });
    await expect(ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ['nat-0123456789abcdef0'] }))).rejects.toMatchObject({
      name: 'NatGatewayNotFound',
    });
  });
});

describe('load balancer health', () => {
  beforeEach(() => frozen({ instancePending: 0 }));

  it('classic ELB: a registered instance is OutOfService until the delay has passed, then InService', async () => {
    const elb = h.elb();
    const id = await launch();
    await elb.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: 'api',
        Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 6443, InstancePort: 6443 }],
        AvailabilityZones: ['us-east-1a'],
      }),
    );
    await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'api', Instances: [{ InstanceId: id }] }));
    const health = async () => (await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'api' }))).InstanceStates?.[0];

    expect(await health()).toMatchObject({ InstanceId: id, State: 'OutOfService', ReasonCode: 'ELB' });
    await h.advanceClock(DELAYS.elbInstanceRegistration - 1);
    expect(await health()).toMatchObject({ InstanceId: id, State: 'OutOfService', ReasonCode: 'ELB' });
    await h.advanceClock(1);
    expect(await health()).toMatchObject({ InstanceId: id, State: 'InService' });
  });

  it('ELBv2: a registered target is initial, then healthy; a deregistered one drains, then goes', async () => {
    const elbv2 = h.elbv2();
    const { vpcId } = await network();
    const id = await launch();
    const tg = await elbv2.send(new CreateTargetGroupCommand({ Name: 'api', Protocol: 'TCP', Port: 6443, VpcId: vpcId, TargetType: 'instance' }));
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn as string;
    const targets = async () => (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? [];
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: 6443 }] }));

    expect((await targets())[0]?.TargetHealth).toMatchObject({ State: 'initial', Reason: 'Elb.RegistrationInProgress' });
    await h.advanceClock(DELAYS.targetRegistration - 1);
    expect((await targets())[0]?.TargetHealth?.State).toBe('initial');
    await h.advanceClock(1);
    const [healthy] = await targets();
    expect(healthy?.TargetHealth?.State).toBe('healthy');
    expect(healthy?.Target?.Id).toBe(id);

    await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: 6443 }] }));
    expect((await targets())[0]?.TargetHealth).toMatchObject({ State: 'draining', Reason: 'Target.DeregistrationInProgress' });
    await h.advanceClock(DELAYS.targetDeregistration - 1);
    expect((await targets())[0]?.TargetHealth?.State).toBe('draining');
    await h.advanceClock(1);
    expect(await targets()).toHaveLength(0);
  });
});
