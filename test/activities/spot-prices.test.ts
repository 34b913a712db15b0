import { RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { clearPriceCache } from '../../cloud/pricing';
import { CLUSTER_TAG, RESOURCE_TAG } from '../../common/tags';
import { newScope, simOnly, useBackend } from './support';

/** The spot watcher's price reads against the simulator: on-demand from the Pricing API, spot per AZ. */
describe('spot price activities', () => {
  const aws = useBackend();
  beforeEach(() => clearPriceCache());

  simOnly('reads the on-demand price of an instance type from the Pricing API', 'bare moto has no Pricing API', async () => {
    expect(await aws.run('onDemandPrice', { scope: newScope('sp'), instanceType: 'm5.large' })).toBe(0.096);
    await expect(aws.run('onDemandPrice', { scope: newScope('sp'), instanceType: 'zz9.plural' })).rejects.toMatchObject({ type: 'NoOnDemandPrice' });
  });

  it('answers one spot price for each asked AZ, and none for the others', async () => {
    const prices = await aws.run('spotPrices', { scope: newScope('sp'), instanceType: 'm5.large', azs: ['us-east-1b', 'us-east-1a'] });
    expect(prices.map(({ az }) => az)).toEqual(['us-east-1a', 'us-east-1b']);
    for (const { price, at } of prices) {
      expect(price).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(at))).toBe(false);
    }
  });

  simOnly('answers the newest spot price in each asked AZ', 'bare moto’s spot price is a constant a test cannot set', async () => {
    const put = (availabilityZone: string, price: number) =>
      fetch(`${aws.url}/_sim/spot-prices`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ region: 'us-east-1', availabilityZone, instanceType: 'm5.large', price }),
      });
    await put('us-east-1a', 0.05);
    await put('us-east-1a', 0.041);
    await put('us-east-1b', 0.062);
    const prices = await aws.run('spotPrices', { scope: newScope('sp'), instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] });
    expect(prices.map(({ az, price }) => ({ az, price }))).toEqual([
      { az: 'us-east-1a', price: 0.041 },
      { az: 'us-east-1b', price: 0.062 },
    ]);
  });
});

/**
 * A tick of many spot watchers on one worker (docs/architecture.md#spot-watcher): what the
 * watchers ask (on-demand and spot prices shared within the interval, the listing batched within a
 * second), counted by the simulator. Sharing makes it one read per region and instance type,
 * and one listing for all clusters asking within a second, where unshared it is one of each per watcher.
 */
describe('spot watchers’ shared reads', () => {
  const aws = useBackend();
  beforeEach(() => clearPriceCache());

  type Stats = { actions: Record<string, { calls: number }> };
  const calls = async (): Promise<Record<string, number>> => {
    const stats = (await (await fetch(`${aws.url}/_sim/stats`)).json()) as Stats;
    return Object.fromEntries(['ec2:DescribeSpotPriceHistory', 'pricing:GetProducts', 'ec2:DescribeInstances'].map((k) => [k, stats.actions[k]?.calls ?? 0]));
  };
  const resetStats = () => fetch(`${aws.url}/_sim/stats`, { method: 'DELETE' });

  /** Instance ids by cluster: what each cluster's listing must answer, and no other's. */
  const launched = new Map<string, string[]>();
  async function launch(scope: ReturnType<typeof newScope>): Promise<void> {
    const image = await aws.run('resolveImage', { scope, owner: '137112412989', namePattern: 'amzn2-ami-hvm-*-x86_64-gp2' });
    const tags = [{ Key: CLUSTER_TAG, Value: scope.owner.cluster }, { Key: RESOURCE_TAG, Value: 'node/spot/0' }];
    const made = await aws.ec2.send(new RunInstancesCommand({ ImageId: image.imageId, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }));
    launched.set(scope.owner.cluster, [made.Instances![0].InstanceId!]);
  }

  /** One tick of every watcher at once: `clusters` × `pools` watchers, pools alternating two instance types. */
  async function tick(clusters: ReturnType<typeof newScope>[], pools: number, shared: boolean): Promise<Record<string, number>> {
    clearPriceCache();
    await resetStats();
    const within = (ms: number) => (shared ? { sharedWithinMs: ms } : {});
    await Promise.all(
      clusters.flatMap((scope) =>
        Array.from({ length: pools }, async (_, p) => {
          const instanceType = p % 2 === 0 ? 'm5.large' : 'm5.xlarge';
          const azs = p % 2 === 0 ? ['us-east-1a'] : ['us-east-1a', 'us-east-1b'];
          const [onDemand, prices, listed] = await Promise.all([
            aws.run('onDemandPrice', { scope, instanceType, ...within(120_000) }),
            aws.run('spotPrices', { scope, instanceType, azs, ...within(120_000) }),
            aws.run('listClusterInstances', { scope, ...(shared ? { batched: true } : {}) }),
          ]);
          // Each watcher still gets its own answer: its type's price, its AZs only.
          expect(onDemand).toBeGreaterThan(0);
          expect(prices.map((x) => x.az)).toEqual(azs);
          expect(listed.map((i) => i.instanceId)).toEqual(launched.get(scope.owner.cluster) ?? []);
        }),
      ),
    );
    return calls();
  }

  simOnly('cost one price read per region and instance type and one listing for the clusters asking together, not one per watcher', 'the counts are the simulator’s', async () => {
    const clusters = Array.from({ length: 6 }, () => newScope('shr'));
    await launch(clusters[0]);
    await launch(clusters[3]);
    // What one watcher's tick costs alone, per type: the unit the shared tick is counted in.
    const one = await tick(clusters.slice(0, 1), 1, false);
    const shared = await tick(clusters, 4, true);
    expect(shared['ec2:DescribeSpotPriceHistory']).toBe(2 * one['ec2:DescribeSpotPriceHistory']);
    expect(shared['pricing:GetProducts']).toBe(2 * one['pricing:GetProducts']);
    // The six clusters' listings, asked within a second, are one read.
    expect(shared['ec2:DescribeInstances']).toBe(one['ec2:DescribeInstances']);
    // Unshared (runs begun before the change), each of the 24 watchers reads for itself.
    const own = await tick(clusters, 4, false);
    expect(own['ec2:DescribeSpotPriceHistory']).toBe(24 * one['ec2:DescribeSpotPriceHistory']);
    expect(own['ec2:DescribeInstances']).toBe(24 * one['ec2:DescribeInstances']);
    await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [...launched.values()].flat() }));
  });
});
