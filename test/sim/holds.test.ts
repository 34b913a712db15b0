import { CreateVpcCommand, DescribeInstancesCommand, DescribeVpcsCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { HoldView } from '../../sim/holds';
import { waitParked } from '../support/sim-holds';
import { AMI, QUIET, useHarness } from './harness';

/** Holds: a call parked inside the simulator until the test lets it go (used to kill a worker mid-step). */

const h = useHarness(QUIET);
let ec2: EC2Client;
beforeAll(() => {
  ec2 = h.ec2();
});

async function holds(): Promise<HoldView[]> {
  return (await h.control<{ holds: HoldView[] }>('GET', '/_sim/holds')).holds;
}

async function untilParked(id: number, count = 1): Promise<HoldView> {
  const hold = (await holds()).find((x) => x.id === id)!;
  await waitParked(h.url, hold, 30000, count);
  return (await holds()).find((x) => x.id === id)!;
}

it('parks the next call of the action until released, then lets it act as usual', async () => {
  const hold = await h.control<HoldView>('POST', '/_sim/holds', { action: 'ec2:CreateVpc' });
  expect(hold).toMatchObject({ action: 'ec2:CreateVpc', remaining: 1, parked: 0, caught: 0 });
  let answered = false;
  const creating = ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })).then((out) => {
    answered = true;
    return out;
  });
  expect(await untilParked(hold.id)).toMatchObject({ remaining: 0, parked: 1, caught: 1 });
  // Parked: other calls go on, and AWS has not acted on the held one.
  const before = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.9.0.0/16'] }] }));
  expect(before.Vpcs ?? []).toEqual([]);
  expect(answered).toBe(false);

  expect(await h.control<HoldView>('POST', `/_sim/holds/${hold.id}/release`)).toMatchObject({ parked: 0, caught: 1 });
  const vpcId = (await creating).Vpc?.VpcId;
  expect(vpcId).toMatch(/^vpc-/);
  expect(await holds()).toEqual([]);
  // Disarmed: the next call is not held.
  await expect(ec2.send(new CreateVpcCommand({ CidrBlock: '10.10.0.0/16' }))).resolves.toMatchObject({ Vpc: { CidrBlock: '10.10.0.0/16' } });
});

it('parks only the action named, and only as many calls as asked', async () => {
  const hold = await h.control<HoldView>('POST', '/_sim/holds', { action: 'ec2:CreateVpc', count: 2 });
  await expect(ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
  const first = ec2.send(new CreateVpcCommand({ CidrBlock: '10.11.0.0/16' }));
  const second = ec2.send(new CreateVpcCommand({ CidrBlock: '10.12.0.0/16' }));
  expect(await untilParked(hold.id, 2)).toMatchObject({ parked: 2, remaining: 0 });
  await h.control('POST', `/_sim/holds/${hold.id}/release`);
  await expect(Promise.all([first, second])).resolves.toHaveLength(2);
});

it('refuses a malformed hold and an unknown one, naming the rule', async () => {
  await expect(h.control('POST', '/_sim/holds', { action: 'CreateVpc' })).rejects.toThrow(/service:Action/);
  await expect(h.control('POST', '/_sim/holds', { action: 'ec2:CreateVpc', count: 0 })).rejects.toThrow(/at least 1/);
  await expect(h.control('POST', '/_sim/holds/999/release')).rejects.toThrow(/404/);
});

it('reset lets parked calls go', async () => {
  const hold = await h.control<HoldView>('POST', '/_sim/holds', { action: 'ec2:CreateVpc' });
  const creating = ec2.send(new CreateVpcCommand({ CidrBlock: '10.13.0.0/16' }));
  await untilParked(hold.id);
  await h.control('POST', '/_sim/reset');
  await expect(creating).resolves.toBeDefined();
  expect(await holds()).toEqual([]);
});

it('with withValue, parks only the calls that carry that value', async () => {
  const tagged = (name: string) => [{ ResourceType: 'vpc' as const, Tags: [{ Key: 'clusterflow.io/resource', Value: name }] }];
  const hold = await h.control<HoldView>('POST', '/_sim/holds', { action: 'ec2:CreateVpc', withValue: 'vpc/b' });
  // Another key goes straight through.
  await expect(ec2.send(new CreateVpcCommand({ CidrBlock: '10.14.0.0/16', TagSpecifications: tagged('vpc/a') }))).resolves.toBeDefined();
  expect((await holds())[0]).toMatchObject({ withValue: 'vpc/b', caught: 0 });
  const b = ec2.send(new CreateVpcCommand({ CidrBlock: '10.15.0.0/16', TagSpecifications: tagged('vpc/b') }));
  await untilParked(hold.id);
  await h.control('POST', `/_sim/holds/${hold.id}/release`);
  await expect(b).resolves.toBeDefined();
  await expect(h.control('POST', '/_sim/holds', { action: 'ec2:CreateVpc', withValue: '' })).rejects.toThrow(/non-empty string/);
});

it('a held RunInstances whose client has gone still acts once: its ClientToken and tags find it afterwards', async () => {
  const hold = await h.control<HoldView>('POST', '/_sim/holds', { action: 'ec2:RunInstances' });
  const abort = new AbortController();
  const request = {
    ImageId: AMI, InstanceType: 't3.micro' as const, MinCount: 1, MaxCount: 1, ClientToken: 'held-token-1',
    TagSpecifications: [{ ResourceType: 'instance' as const, Tags: [{ Key: 'k', Value: 'held-1' }] }],
  };
  const lost = ec2.send(new RunInstancesCommand(request), { abortSignal: abort.signal }).catch((e: Error) => e);
  await untilParked(hold.id);
  abort.abort();
  expect(await lost).toBeInstanceOf(Error);
  await h.control('POST', `/_sim/holds/${hold.id}/release`);
  // The retry: the tag lookup, then the same token.
  let found: string[] = [];
  for (let i = 0; i < 100 && found.length === 0; i++) {
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:k', Values: ['held-1'] }] }));
    found = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((x) => x.InstanceId!);
    if (found.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  expect(found).toHaveLength(1);
  const again = await ec2.send(new RunInstancesCommand(request));
  expect(again.Instances?.[0]?.InstanceId).toBe(found[0]);
});
