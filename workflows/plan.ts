/**
 * Spec → plan: every resource a cluster needs, by logical key, with what it depends on.
 * Pure functions, called by the workflows, the dry run and the tests alike.
 */
import { endpointKindOf, endpointPartKeys } from '../common/api-endpoint';
import { formatCidr, parseCidr, subBlock } from '../common/cidr';
import { ClusterSpec, clusterAzs, isSpotPool, MAX_AZS, PoolSpec } from '../common/cluster-spec';

export const API_SERVER_PORT = 6443;

/**
 * The logical key of every resource a cluster owns: what its `clusterflow.io/resource` tag
 * holds and what every activity looks it up by. Create, delete and this plan take their keys
 * from here only, so the dry run lists exactly what a create makes (test/e2e/plan-matches-create).
 * The activities that make a resource without taking a key (the secrets, the node roles)
 * name the same keys in their own files; test/unit/plan.test.ts holds them equal.
 * A key, once tagged on a running cluster's resources, never changes: later operations
 * and deletes find the resources by it.
 */
export const RESOURCE_KEYS = {
  vpc: 'vpc',
  internetGateway: 'igw',
  publicRouteTable: 'rtb/public',
  /** The kubeadm bootstrap token: every node reads it (activities/secrets.ts). */
  joinSecret: 'secret/join',
  /** The certificate key: control-plane nodes only (activities/secrets.ts). */
  controlPlaneSecret: 'secret/control-plane',
  /** Each an IAM role and its instance profile, both tagged with the key (activities/node-role.ts). */
  workerNodeRole: 'iam/worker-node',
  controlPlaneNodeRole: 'iam/control-plane-node',
  /**
   * What fronts the control plane (activities/api-endpoint/): a network load balancer, whose
   * target group and listener carry the keys of `endpointPartKeys`, or a classic ELB.
   */
  apiEndpoint: 'lb/api',
  bastion: 'bastion',
} as const;

/** The keys that repeat per AZ or per node. */
export const keyOf = {
  publicSubnet: (az: string) => `subnet/public/${az}`,
  privateSubnet: (az: string) => `subnet/private/${az}`,
  natElasticIp: (az: string) => `eip/nat/${az}`,
  natGateway: (az: string) => `nat/${az}`,
  privateRouteTable: (az: string) => `rtb/private/${az}`,
  node: (pool: string, index: number) => `node/${pool}/${index}`,
};

export function nodeKey(pool: string, index: number): string {
  return keyOf.node(pool, index);
}

/** The security groups' keys; also their names in the network status's `securityGroups`. */
export const SECURITY_GROUP_KEYS = {
  loadBalancer: 'sg/lb',
  bastion: 'sg/bastion',
  nodes: 'sg/nodes',
  controlPlane: 'sg/control-plane',
} as const;

export interface SecurityGroupPlan {
  key: string;
  /** The groups its rules name as sources: they must exist first. */
  sources: string[];
  detail: string;
}

/**
 * The cluster's security groups in create order: each after the groups its rules name.
 * A delete goes the other way.
 */
export const SECURITY_GROUPS: readonly SecurityGroupPlan[] = [
  { key: SECURITY_GROUP_KEYS.loadBalancer, sources: [], detail: `tcp ${API_SERVER_PORT} from anywhere` },
  { key: SECURITY_GROUP_KEYS.bastion, sources: [], detail: 'tcp 22 from the bastion CIDRs' },
  { key: SECURITY_GROUP_KEYS.nodes, sources: [SECURITY_GROUP_KEYS.bastion], detail: 'tcp 22 from sg/bastion only; all from sg/nodes' },
  {
    key: SECURITY_GROUP_KEYS.controlPlane,
    sources: [SECURITY_GROUP_KEYS.loadBalancer, SECURITY_GROUP_KEYS.nodes],
    detail: `tcp ${API_SERVER_PORT} from sg/lb and sg/nodes`,
  },
];

/** Subnets take /(vpc+4) blocks: private ones from the first half, public from the second. */

export interface SubnetPlan {
  az: string;
  publicCidr: string;
  privateCidr: string;
}

export interface NodePlan {
  key: string;
  pool: string;
  index: number;
  az: string;
  instanceType: string;
  role: PoolSpec['role'];
}

export interface PlannedResource {
  key: string;
  kind: string;
  dependsOn: string[];
  detail?: string;
}

export interface ClusterPlan {
  placement: 'dynamic' | 'static';
  azs: string[];
  subnets: SubnetPlan[];
  nodes: NodePlan[];
  /** Spot pools are the bidding watcher's; the plan only counts them. */
  spotPools: Array<{ pool: string; size: number; instanceType: string; maxPricePercent: number }>;
  resources: PlannedResource[];
}

export function subnetPlan(vpcCidr: string, azs: string[]): SubnetPlan[] {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) throw new Error(`invalid VPC CIDR ${vpcCidr}`);
  if (azs.length > MAX_AZS) throw new Error(`at most ${MAX_AZS} AZs`);
  return azs.map((az, i) => ({
    az,
    privateCidr: formatCidr(subBlock(vpc, vpc.prefix + 4, i)),
    publicCidr: formatCidr(subBlock(vpc, vpc.prefix + 4, MAX_AZS + i)),
  }));
}

/** Node i of a pool goes to the pool's AZ i mod n: spread, and stable when the pool grows. */
export function poolNodes(pool: PoolSpec, from = 0, to = pool.size): NodePlan[] {
  const nodes: NodePlan[] = [];
  for (let index = from; index < to; index++) nodes.push(planFor(pool, index));
  return nodes;
}

/** Node i of a pool goes to the pool's AZ i mod n (spread, and stable when the pool grows), unless it keeps an AZ it already has. */
export function planFor(pool: PoolSpec, index: number, az = pool.azs[index % pool.azs.length]): NodePlan {
  return { key: nodeKey(pool.name, index), pool: pool.name, index, az, instanceType: pool.instanceType, role: pool.role };
}


export function planCluster(spec: ClusterSpec): ClusterPlan {
  const azs = clusterAzs(spec);
  const placement = spec.cloud.placement;
  const dynamic = placement.type === 'dynamic';
  const subnets = dynamic
    ? subnetPlan(placement.vpcCidr, azs)
    : azs.map((az) => ({ az, publicCidr: 'existing', privateCidr: 'existing' }));
  const nodes = spec.pools.filter((p) => !isSpotPool(p)).flatMap((p) => poolNodes(p));
  const spotPools = spec.pools
    .filter(isSpotPool)
    .map((p) => ({ pool: p.name, size: p.size, instanceType: p.instanceType, maxPricePercent: p.capacity?.type === 'spot' ? p.capacity.maxPricePercent : 100 }));

  const K = RESOURCE_KEYS;
  const resources: PlannedResource[] = [];
  const add = (key: string, kind: string, dependsOn: string[], detail?: string) => resources.push({ key, kind, dependsOn, detail });
  const publicSubnet = (az: string) => (dynamic ? [keyOf.publicSubnet(az)] : []);
  const privateRoute = (az: string) => (dynamic ? [keyOf.privateRouteTable(az)] : []);
  const vpc = dynamic ? [K.vpc] : [];
  if (dynamic) {
    add(K.vpc, 'vpc', [], placement.vpcCidr);
    add(K.internetGateway, 'internet-gateway', [K.vpc]);
    for (const s of subnets) {
      add(keyOf.publicSubnet(s.az), 'subnet', [K.vpc], s.publicCidr);
      add(keyOf.privateSubnet(s.az), 'subnet', [K.vpc], s.privateCidr);
      add(keyOf.natElasticIp(s.az), 'elastic-ip', []);
      add(keyOf.natGateway(s.az), 'nat-gateway', [keyOf.publicSubnet(s.az), keyOf.natElasticIp(s.az)]);
      add(keyOf.privateRouteTable(s.az), 'route-table', [keyOf.privateSubnet(s.az), keyOf.natGateway(s.az)]);
    }
    add(K.publicRouteTable, 'route-table', [K.internetGateway, ...subnets.map((s) => keyOf.publicSubnet(s.az))]);
  }
  add(K.joinSecret, 'secret', [], 'kubeadm bootstrap token (Secrets Manager): every node reads it');
  add(K.controlPlaneSecret, 'secret', [], 'kubeadm certificate key (Secrets Manager): control-plane nodes only');
  add(K.workerNodeRole, 'instance-profile', [K.joinSecret], 'IAM role + instance profile: workers may read the join secret');
  add(K.controlPlaneNodeRole, 'instance-profile', [K.joinSecret, K.controlPlaneSecret], 'IAM role + instance profile: control-plane nodes may read both secrets');
  for (const group of SECURITY_GROUPS) add(group.key, 'security-group', [...vpc, ...group.sources], group.detail);
  if (endpointKindOf(spec) === 'nlb') {
    const parts = endpointPartKeys(K.apiEndpoint);
    add(K.apiEndpoint, 'load-balancer', [...azs.flatMap(publicSubnet), SECURITY_GROUP_KEYS.loadBalancer], 'network load balancer, internet-facing, cross-zone');
    add(parts.targetGroup, 'target-group', [...vpc], `TCP ${API_SERVER_PORT}, instances, TCP health check`);
    add(parts.listener, 'listener', [K.apiEndpoint, parts.targetGroup], `TCP ${API_SERVER_PORT} → ${parts.targetGroup}`);
  } else {
    add(K.apiEndpoint, 'load-balancer', [...azs.flatMap(publicSubnet), SECURITY_GROUP_KEYS.loadBalancer], `classic ELB, TCP ${API_SERVER_PORT}, internet-facing`);
  }
  add(K.bastion, 'instance', [...publicSubnet(azs[0]), SECURITY_GROUP_KEYS.bastion], `public subnet in ${azs[0]}`);
  for (const node of nodes) {
    const controlPlane = node.role === 'control-plane';
    const groups = controlPlane ? [SECURITY_GROUP_KEYS.nodes, SECURITY_GROUP_KEYS.controlPlane] : [SECURITY_GROUP_KEYS.nodes];
    const identity = controlPlane ? [K.joinSecret, K.controlPlaneSecret, K.controlPlaneNodeRole] : [K.joinSecret, K.workerNodeRole];
    add(node.key, 'instance', [...privateRoute(node.az), ...groups, K.apiEndpoint, ...identity], `${node.instanceType} in ${node.az}`);
  }
  return { placement: placement.type, azs, subnets, nodes, spotPools, resources };
}
