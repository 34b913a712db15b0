import type { ClusterSpec } from '../../common/cluster-spec';

/** The contract's example spec (docs/api.md#clusterspec): three AZs, a control plane of 3, two worker pools and a spot pool. */
export function exampleSpec(overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  return {
    name: 'demo',
    tags: { team: 'infra' },
    profile: { id: 'aws-default', overrides: { kubernetes: { podCIDR: '192.168.0.0/16' } } },
    cloud: { accountId: 'acct', region: 'us-east-1', sshKeyName: 'my-key', placement: { type: 'dynamic', vpcCidr: '10.0.0.0/16' } },
    pools: [
      { name: 'master', role: 'control-plane', size: 3, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b', 'us-east-1c'], allowWorkerCapability: false },
      { name: 'workers', role: 'worker', size: 3, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'], capacity: { type: 'on-demand' } },
      { name: 'spot', role: 'worker', size: 2, instanceType: 'm5.xlarge', azs: ['us-east-1a'], capacity: { type: 'spot', maxPricePercent: 60 } },
    ],
    ...overrides,
  };
}
