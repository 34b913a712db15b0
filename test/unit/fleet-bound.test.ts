import { fleetBound } from '../../bench/fleet-bound';
import { planCluster } from '../../workflows/plan';
import type { ClusterSpec } from '../../common/cluster-spec';

/**
 * bench/fleet-bound.ts: the fleet's lower bound is the longest chain of bucket waits and AWS
 * delays along the plan's graph, at our share of each bucket.
 */

const spec: ClusterSpec = {
  name: 'fleet-1',
  profile: { id: 'aws-default' },
  cloud: { accountId: 'acct', region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.1.0.0/16' }, apiEndpoint: { type: 'nlb' } },
  pools: [
    { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
    { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
  ],
};
const plan = planCluster(spec);
const base = { plan, natGatewayPendingMs: 9_000, nodeReadyMs: 17_000, soloCriticalPathMs: 26_000, scale: 1, share: 0.85 };

describe('fleetBound', () => {
  it('at N = 20 chains the NAT gateways before the node launches: the last of 40 CreateNatGateway calls at our share, then its gateway’s delay and its node’s', () => {
    const bound = fleetBound({ ...base, n: 20 });
    // CreateNatGateway at 0.85 of 10 + 1/s: the 40th call at (40 − 8.5) ÷ 0.85 = 37.1 s; then 9 s and 17 s.
    expect(bound.ms).toBeCloseTo(((40 - 8.5) / 0.85) * 1000 + 9_000 + 17_000, -1);
    expect(bound.lines.find((l) => l.startsWith('→'))).toMatch(/NAT gateways, then node launches: the 40th of 40 CreateNatGateway calls/);
  });

  it('is more than any one bucket wait plus the last node’s delay, and more than a lone cluster’s critical path', () => {
    const bound = fleetBound({ ...base, n: 20 });
    // Node launches alone: (60 − 4.25) ÷ 1.7 s, from the first gateway available, then 17 s.
    expect(bound.ms).toBeGreaterThan(9_000 + ((60 - 4.25) / 1.7) * 1000 + 17_000);
    expect(fleetBound({ ...base, n: 1 }).ms).toBe(26_000);
  });

  it('counts our share: the whole bucket would allow a shorter fleet', () => {
    expect(fleetBound({ ...base, n: 20, share: 1 }).ms).toBeLessThan(fleetBound({ ...base, n: 20 }).ms);
  });

  it('scales with the buckets: at a fifth, the last NAT gateway paces a small fleet', () => {
    const small = fleetBound({ ...base, n: 3, scale: 0.2 });
    // CreateNatGateway at 0.85 × (2 + 0.2/s): the 6th call at (6 − 1.7) ÷ 0.17 = 25.3 s; it gates ≥ 1 launch,
    // through RunInstances at 0.85 × (1 + 0.4/s): (1 − 0.85) ÷ 0.34 s.
    expect(small.ms).toBeCloseTo(((6 - 1.7) / 0.17) * 1000 + 9_000 + ((1 - 0.85) / 0.34) * 1000 + 17_000, -1);
    expect(small.lines.find((l) => l.startsWith('→'))).toMatch(/the 6th of 6 CreateNatGateway calls/);
  });
});
