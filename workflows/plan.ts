/**
 * Spec → plan: every resource a cluster needs, by logical key, with what it depends on.
 * Pure functions, called by the workflows, the dry run and the tests alike.
 */
import { formatCidr, parseCidr, subBlock } from '../common/cidr';
import { ClusterSpec, clusterAzs, MAX_AZS, PoolSpec } from '../common/cluster-spec';

/** Subnets take /(vpc+4) blocks: private ones from the first half, public from the second. */
export const API_SERVER_PORT = 6443;

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
  for (let index = from; index < to; index++) {
    nodes.push({ key: nodeKey(pool.name, index), pool: pool.name, index, az: pool.azs[index % pool.azs.length], instanceType: pool.instanceType, role: pool.role });
  }
  return nodes;
}

export function nodeKey(pool: string, index: number): string {
  return `node/${pool}/${index}`;
}

export function isSpot(pool: PoolSpec): boolean {
  return pool.capacity?.type === 'spot';
}

export function planCluster(spec: ClusterSpec): ClusterPlan {
  const azs = clusterAzs(spec);
  const placement = spec.cloud.placement;
  const dynamic = placement.type === 'dynamic';
  const subnets = dynamic
    ? subnetPlan(placement.vpcCidr, azs)
    : azs.map((az) => ({ az, publicCidr: 'existing', privateCidr: 'existing' }));
  const nodes = spec.pools.filter((p) => !isSpot(p)).flatMap((p) => poolNodes(p));
  const spotPools = spec.pools
    .filter(isSpot)
    .map((p) => ({ pool: p.name, size: p.size, instanceType: p.instanceType, maxPricePercent: p.capacity?.type === 'spot' ? p.capacity.maxPricePercent : 100 }));

  const resources: PlannedResource[] = [];
  const add = (key: string, kind: string, dependsOn: string[], detail?: string) => resources.push({ key, kind, dependsOn, detail });
  const publicSubnet = (az: string) => (dynamic ? [`subnet/public/${az}`] : []);
  const privateRoute = (az: string) => (dynamic ? [`rtb/private/${az}`] : []);
  const vpc = dynamic ? ['vpc'] : [];
  if (dynamic) {
    add('vpc', 'vpc', [], placement.vpcCidr);
    add('igw', 'internet-gateway', ['vpc']);
    for (const s of subnets) {
      add(`subnet/public/${s.az}`, 'subnet', ['vpc'], s.publicCidr);
      add(`subnet/private/${s.az}`, 'subnet', ['vpc'], s.privateCidr);
      add(`eip/nat/${s.az}`, 'elastic-ip', []);
      add(`nat/${s.az}`, 'nat-gateway', [`subnet/public/${s.az}`, `eip/nat/${s.az}`]);
      add(`rtb/private/${s.az}`, 'route-table', [`subnet/private/${s.az}`, `nat/${s.az}`]);
    }
    add('rtb/public', 'route-table', ['igw', ...subnets.map((s) => `subnet/public/${s.az}`)]);
  }
  add('secret/join', 'secret', [], 'kubeadm join token (Secrets Manager)');
  add('iam/node', 'instance-profile', ['secret/join'], 'IAM role + instance profile: nodes may read the join secret');
  add('sg/lb', 'security-group', vpc, `tcp ${API_SERVER_PORT} from anywhere`);
  add('sg/bastion', 'security-group', vpc, 'tcp 22 from the bastion CIDRs');
  add('sg/nodes', 'security-group', [...vpc, 'sg/bastion'], 'tcp 22 from sg/bastion only; all from sg/nodes');
  add('sg/control-plane', 'security-group', [...vpc, 'sg/lb', 'sg/nodes'], `tcp ${API_SERVER_PORT} from sg/lb and sg/nodes`);
  add('lb/api', 'load-balancer', [...azs.flatMap(publicSubnet), 'sg/lb'], `TCP ${API_SERVER_PORT}, internet-facing`);
  add('bastion', 'instance', [...publicSubnet(azs[0]), 'sg/bastion'], `public subnet in ${azs[0]}`);
  for (const node of nodes) {
    const groups = node.role === 'control-plane' ? ['sg/nodes', 'sg/control-plane'] : ['sg/nodes'];
    add(node.key, 'instance', [...privateRoute(node.az), ...groups, 'lb/api', 'secret/join', 'iam/node'], `${node.instanceType} in ${node.az}`);
  }
  return { placement: placement.type, azs, subnets, nodes, spotPools, resources };
}
