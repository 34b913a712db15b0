/**
 * The product's rules over a well-formed ClusterSpec (DESIGN.md §5): breaking one is a 422
 * naming the rule. Pure: the API and the entity workflow's validators both use it.
 */
import { parseCidr, overlaps } from './cidr';
import { ClusterSpec, CONTROL_PLANE_SIZES, MAX_AZS } from './cluster-spec';

export interface RuleProblem {
  field: string;
  rule: string;
  message: string;
}


export function specRuleProblems(spec: ClusterSpec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (field: string, rule: string, message: string) => problems.push({ field, rule, message });

  const controlPlanes = spec.pools.filter((p) => p.role === 'control-plane');
  if (controlPlanes.length !== 1) {
    add('pools', 'one-control-plane-pool', `exactly one pool must have role "control-plane" (found ${controlPlanes.length})`);
  }
  spec.pools.forEach((pool, i) => {
    if (pool.role === 'control-plane' && !(CONTROL_PLANE_SIZES as readonly number[]).includes(pool.size)) {
      add(`pools.${i}.size`, 'control-plane-size', `the control-plane pool must have 1, 3 or 5 nodes (got ${pool.size})`);
    }
    if (pool.role === 'control-plane' && pool.capacity?.type === 'spot') {
      add(`pools.${i}.capacity`, 'control-plane-on-demand', 'the control-plane pool runs on on-demand capacity only');
    }
    if (new Set(pool.azs).size !== pool.azs.length) add(`pools.${i}.azs`, 'unique-azs', `pool "${pool.name}" lists an AZ twice`);
    pool.azs.forEach((az, j) => {
      if (!az.startsWith(spec.cloud.region)) add(`pools.${i}.azs.${j}`, 'az-in-region', `AZ ${az} is not in region ${spec.cloud.region}`);
    });
    if (spec.pools.findIndex((p) => p.name === pool.name) !== i) add(`pools.${i}.name`, 'unique-pool-names', `pool name "${pool.name}" is used twice`);
  });

  const azs = [...new Set(spec.pools.flatMap((p) => p.azs))];
  if (azs.length > MAX_AZS) add('pools', 'at-most-8-azs', `the pools use ${azs.length} AZs; at most ${MAX_AZS}`);

  const placement = spec.cloud.placement;
  if (placement.type === 'dynamic') {
    const vpc = parseCidr(placement.vpcCidr);
    if (!vpc) add('cloud.placement.vpcCidr', 'cidr', `${placement.vpcCidr} is not an IPv4 network in CIDR notation (e.g. 10.0.0.0/16)`);
    else if (vpc.prefix < 16 || vpc.prefix > 24) {
      add('cloud.placement.vpcCidr', 'vpc-cidr-size', `the VPC CIDR must be between /16 and /24 (got /${vpc.prefix})`);
    }
  } else {
    for (const az of azs) {
      if (!placement.subnets.some((s) => s.az === az)) {
        add('cloud.placement.subnets', 'static-subnets-per-az', `AZ ${az} is used by a pool but has no subnets in cloud.placement.subnets`);
      }
    }
    placement.subnets.forEach((s, i) => {
      if (!s.az.startsWith(spec.cloud.region)) add(`cloud.placement.subnets.${i}.az`, 'az-in-region', `AZ ${s.az} is not in region ${spec.cloud.region}`);
    });
  }

  const overridesK8s = spec.profile.overrides?.kubernetes as { podCIDR?: unknown; serviceCIDR?: unknown } | undefined;
  const pod = typeof overridesK8s?.podCIDR === 'string' ? overridesK8s.podCIDR : undefined;
  const service = typeof overridesK8s?.serviceCIDR === 'string' ? overridesK8s.serviceCIDR : undefined;
  for (const [name, value] of [['podCIDR', pod], ['serviceCIDR', service]] as const) {
    if (value !== undefined && !parseCidr(value)) add(`profile.overrides.kubernetes.${name}`, 'cidr', `${value} is not an IPv4 network in CIDR notation`);
  }
  if (placement.type === 'dynamic' && pod) {
    const [vpc, podNet] = [parseCidr(placement.vpcCidr), parseCidr(pod)];
    if (vpc && podNet && overlaps(vpc, podNet)) {
      add('profile.overrides.kubernetes.podCIDR', 'pod-cidr-outside-vpc', `the pod CIDR ${pod} overlaps the VPC CIDR ${placement.vpcCidr}`);
    }
  }
  return problems;
}
