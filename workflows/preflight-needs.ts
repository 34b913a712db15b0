import type { ClusterSpec } from '../common/cluster-spec';
import type { PreflightInput } from '../activities/types';
import { endpointKindOf } from '../common/api-endpoint';
import { planCluster } from './plan';

/** The bastion only forwards SSH. */
export const BASTION_INSTANCE_TYPE = 't3.micro';

/** What the plan needs from the account's quotas; spot nodes do not count against on-demand vCPUs. */
export function preflightNeeds(spec: ClusterSpec): PreflightInput['needs'] {
  const plan = planCluster(spec);
  const dynamic = plan.placement === 'dynamic';
  const endpoint = endpointKindOf(spec);
  const natGatewaysPerAz: Record<string, number> = {};
  if (dynamic) for (const az of plan.azs) natGatewaysPerAz[az] = 1;
  return {
    elasticIps: dynamic ? plan.azs.length : 0,
    vpcs: dynamic ? 1 : 0,
    natGatewaysPerAz,
    onDemandVcpus: 0,
    // One entry per on-demand instance to launch (the bastion included), so vCPUs add up.
    instanceTypes: [...plan.nodes.map((n) => n.instanceType), BASTION_INSTANCE_TYPE],
    // The API endpoint's load balancer counts against its kind's regional quota.
    networkLoadBalancers: endpoint === 'nlb' ? 1 : 0,
    classicLoadBalancers: endpoint === 'classic-elb' ? 1 : 0,
  };
}
