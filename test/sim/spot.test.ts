import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeSpotPriceHistoryCommand,
  paginateDescribeSpotPriceHistory,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { onDemandPrice } from '../../sim/pricing/catalog';
import { AMI, eventually, useHarness } from './harness';

/** Features 2 and 3: spot prices a test controls, and spot semantics (MaxPrice, interruption). */

const h = useHarness({ throttling: { enabled: false }, delayScale: 0 });
let ec2: EC2Client;
beforeAll(() => {
  ec2 = h.ec2();
});

const setPrice = (availabilityZone: string, instanceType: string, price: number) =>
  h.control<{ interrupted: string[] }>('PUT', '/_sim/spot-prices', { region: 'us-east-1', availabilityZone, instanceType, price });

async function subnetIn(az: string): Promise<string> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.1.1.0/24', AvailabilityZone: az }));
  return subnet.Subnet?.SubnetId as string;
}

/** One one-time m5.large spot instance bidding `maxPrice`. */
function launchSpot(subnet: string, maxPrice: string) {
  return ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      InstanceType: 'm5.large',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnet,
      InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: maxPrice, SpotInstanceType: 'one-time' } },
    }),
  );
}

describe('DescribeSpotPriceHistory', () => {
  it('by default holds a stable price per type and AZ below the on-demand price', async () => {
    const out = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['m5.large'], ProductDescriptions: ['Linux/UNIX'] }));
    const history = out.SpotPriceHistory ?? [];
    const zones = new Set(history.map((p) => p.AvailabilityZone));
    expect(zones.size).toBeGreaterThanOrEqual(3);
    for (const point of history) {
      expect(point.InstanceType).toBe('m5.large');
      expect(point.ProductDescription).toBe('Linux/UNIX');
      expect(Number(point.SpotPrice)).toBeGreaterThan(0);
      expect(Number(point.SpotPrice)).toBeLessThan(onDemandPrice('us-east-1', 'm5.large') as number);
      expect(point.Timestamp?.getTime()).toBeLessThan(Date.now());
    }
    const again = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['m5.large'] }));
    expect(again.SpotPriceHistory?.map((p) => p.SpotPrice)).toEqual(history.map((p) => p.SpotPrice));
  });

  it('returns the price set at now, newest first, and honours StartTime/EndTime', async () => {
    const before = new Date();
    await setPrice('us-east-1a', 'm5.large', 0.05);
    await setPrice('us-east-1a', 'm5.large', 0.06);
    const all = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['m5.large'], AvailabilityZone: 'us-east-1a' }));
    const prices = (all.SpotPriceHistory ?? []).map((p) => Number(p.SpotPrice));
    expect(prices.slice(0, 2)).toEqual([0.06, 0.05]);
    expect(prices).toHaveLength(3);
    const times = (all.SpotPriceHistory ?? []).map((p) => p.Timestamp?.getTime() ?? 0);
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    // The window [now, now] gives the price in effect now: the last change before it.
    const now = new Date(Date.now() + 1);
    const current = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['m5.large'], AvailabilityZone: 'us-east-1a', StartTime: now, EndTime: now }));
    expect(current.SpotPriceHistory?.map((p) => Number(p.SpotPrice))).toEqual([0.06]);

    // Ending before the first change gives only the default price.
    const earlier = await ec2.send(
      new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['m5.large'], AvailabilityZone: 'us-east-1a', EndTime: new Date(before.getTime() - 1) }),
    );
    expect(earlier.SpotPriceHistory).toHaveLength(1);
    expect(Number(earlier.SpotPriceHistory?.[0]?.SpotPrice)).not.toBe(0.05);
  });

  it('filters and paginates', async () => {
    const filtered = await ec2.send(
      new DescribeSpotPriceHistoryCommand({
        Filters: [
          { Name: 'instance-type', Values: ['c5.*'] },
          { Name: 'availability-zone', Values: ['us-east-1b'] },
        ],
      }),
    );
    const types = new Set(filtered.SpotPriceHistory?.map((p) => p.InstanceType));
    expect([...types].every((t) => t?.startsWith('c5.'))).toBe(true);
    expect(types.size).toBe(8);
    expect(new Set(filtered.SpotPriceHistory?.map((p) => p.AvailabilityZone))).toEqual(new Set(['us-east-1b']));

    const windows = await ec2.send(new DescribeSpotPriceHistoryCommand({ ProductDescriptions: ['Windows'] }));
    expect(windows.SpotPriceHistory ?? []).toHaveLength(0);

    let count = 0;
    let pages = 0;
    for await (const page of paginateDescribeSpotPriceHistory({ client: ec2, pageSize: 5 }, { InstanceTypes: ['t3.micro', 'm5.large'] })) {
      pages++;
      expect((page.SpotPriceHistory ?? []).length).toBeLessThanOrEqual(5);
      count += (page.SpotPriceHistory ?? []).length;
    }
    const unpaged = await ec2.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['t3.micro', 'm5.large'] }));
    expect(count).toBe(unpaged.SpotPriceHistory?.length);
    expect(pages).toBeGreaterThan(1);
  });
});

describe('spot instances', () => {
  it('refuses a launch whose MaxPrice is below the current spot price in that AZ, like EC2', async () => {
    const subnet = await subnetIn('us-east-1a');
    await setPrice('us-east-1a', 'm5.large', 0.04);
    const launch = (maxPrice: string) => launchSpot(subnet, maxPrice);
    const refused = await launch('0.03').then(
      () => undefined,
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
    );
    expect(refused?.name).toBe('SpotMaxPriceTooLow');
    expect(refused?.message).toContain('0.04');
    expect(refused?.$metadata?.httpStatusCode).toBe(400);

    const ok = await launch('0.05');
    expect(ok.Instances?.[0]?.InstanceLifecycle).toBe('spot');
  });

  it('interrupts a spot instance when the price rises above its MaxPrice, and only that one', async () => {
    const subnet = await subnetIn('us-east-1a');
    await setPrice('us-east-1a', 'm5.large', 0.03);
    const launch = (maxPrice: string) => launchSpot(subnet, maxPrice);
    const cheap = (await launch('0.04')).Instances?.[0]?.InstanceId as string;
    const generous = (await launch('0.09')).Instances?.[0]?.InstanceId as string;
    const onDemand = (await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, SubnetId: subnet })))
      .Instances?.[0]?.InstanceId as string;

    // A rise in another AZ touches nothing.
    expect((await setPrice('us-east-1b', 'm5.large', 0.5)).interrupted).toEqual([]);
    const { interrupted } = await setPrice('us-east-1a', 'm5.large', 0.05);
    expect(interrupted).toEqual([cheap]);

    const describe = async () => {
      const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [cheap, generous, onDemand] }));
      return new Map(out.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i]));
    };
    const after = await eventually(describe, (m) => m.get(cheap)?.State?.Name === 'terminated');
    const victim = after.get(cheap);
    expect(victim?.State?.Name).toBe('terminated');
    expect(victim?.InstanceLifecycle).toBe('spot');
    expect(victim?.StateReason).toEqual({ Code: 'Server.SpotInstanceTermination', Message: 'Server.SpotInstanceTermination: Spot instance termination' });
    expect(after.get(generous)?.State?.Name).toBe('running');
    expect(after.get(onDemand)?.State?.Name).toBe('running');

    const bySpot = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-lifecycle', Values: ['spot'] }, { Name: 'instance-state-name', Values: ['running'] }] }));
    expect(bySpot.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([generous]);
  });

  it('shows the interruption as shutting-down first when that delay is set, until it has passed', async () => {
    // Ten minutes on a frozen clock: the state holds until the test moves the clock past them.
    const shuttingDown = 600_000;
    await h.control('PUT', '/_sim/config', { delayScale: 1, delays: { instancePending: 0, instanceShuttingDown: shuttingDown } });
    await h.freezeClock();
    const subnet = await subnetIn('us-east-1c');
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 'c5.large',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnet,
        InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.05' } },
      }),
    );
    const id = run.Instances?.[0]?.InstanceId as string;
    await h.control('PUT', '/_sim/spot-prices', [{ region: 'us-east-1', availabilityZone: 'us-east-1c', instanceType: 'c5.large', price: 0.06 }]);
    const state = async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
    expect(await state()).toBe('shutting-down');
    await h.advanceClock(shuttingDown - 1);
    expect(await state()).toBe('shutting-down');
    await h.advanceClock(1);
    expect(await state()).toBe('terminated');
  });

  it('rejects bad spot price input on the control API', async () => {
    await expect(h.control('PUT', '/_sim/spot-prices', { region: 'us-east-1', availabilityZone: 'us-east-1a', instanceType: 'm5.large', price: -1 })).rejects.toThrow(/400/);
  });
});
