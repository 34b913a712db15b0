import type { ClusterListing } from '../../common/cluster-listing';
import type { ClusterStatus, PoolStatus } from '../../common/cluster-status';
import type { OperationView } from './operation';
import { took } from './operation';
import { table } from './output';

const poolNodes = (pool: PoolStatus) => pool.spot?.nodes ?? pool.nodes;

/** One line of `get clusters`: from the list's summary, or from a cluster's whole status. */
export interface ClusterRow {
  name: string;
  phase: string;
  region: string;
  pools: number;
  nodes: string;
  operation?: string;
  createdAt?: string;
}

export const rowOfStatus = (c: ClusterStatus): ClusterRow => ({
  name: c.name,
  phase: c.phase,
  region: c.region,
  pools: c.pools.length,
  nodes: String(c.pools.reduce((n, p) => n + poolNodes(p).length, 0)),
  operation: c.currentOperation?.id,
  createdAt: c.createdAt,
});

/** The list does not carry spot nodes (their watchers' own): a spot pool shows the size it wants. */
export const rowOfListing = (c: ClusterListing): ClusterRow => {
  const onDemand = c.pools.reduce((n, p) => n + (p.nodes ?? 0), 0);
  const spot = c.pools.filter((p) => p.capacity.type === 'spot').reduce((n, p) => n + p.desired, 0);
  return { name: c.name, phase: c.phase, region: c.region, pools: c.pools.length, nodes: spot > 0 ? `${onDemand} + ${spot} spot wanted` : String(onDemand), operation: c.currentOperation?.id, createdAt: c.createdAt };
};

export const clustersTable = (rows: ClusterRow[]): string =>
  table(
    ['NAME', 'PHASE', 'REGION', 'POOLS', 'NODES', 'OPERATION', 'CREATED'],
    rows.map((r) => [r.name, r.phase, r.region, r.pools, r.nodes, r.operation, r.createdAt]),
  );

export const poolsTable = (cluster: ClusterStatus): string =>
  table(
    ['POOL', 'ROLE', 'DESIRED', 'NODES', 'INSTANCE TYPE', 'CAPACITY', 'WAITING'],
    cluster.pools.map((p) => [
      p.name,
      p.role,
      p.spot?.desired ?? p.desired,
      poolNodes(p).length,
      p.spot?.instanceType ?? p.instanceType,
      p.capacity.type === 'spot' ? `spot (max ${p.capacity.maxPricePercent}%)` : 'on-demand',
      p.waiting ? `${p.waiting.count}: ${p.waiting.reason}` : p.spot?.waiting ? `${p.spot.waiting}: ${p.spot.reason ?? ''}` : undefined,
    ]),
  );

export const nodesTable = (cluster: ClusterStatus): string =>
  table(
    ['NODE', 'INSTANCE', 'AZ', 'TYPE', 'LIFECYCLE', 'STATE', 'PRIVATE IP', 'KUBERNETES'],
    cluster.pools.flatMap((p) => poolNodes(p).map((n) => [n.key, n.instanceId, n.az, n.instanceType, n.lifecycle, n.state, n.privateIp, n.kubernetesVersion])),
  );

export const operationsTable = (ops: OperationView[]): string =>
  table(
    ['OPERATION', 'STATE', 'PROGRESS', 'STARTED', 'TOOK', 'ERROR'],
    ops.map((o) => [o.id, o.state, o.progress ? `${o.progress.completed}/${o.progress.total}` : undefined, o.startedAt, took(o), o.error]),
  );

/** `describe cluster`: the status in sections a person reads top to bottom. */
export function describeCluster(c: ClusterStatus, operations: OperationView[]): string {
  const n = c.network;
  const fields: Array<[string, unknown]> = [
    ['Name', c.name],
    ['Project', c.project],
    ['Region', c.region],
    ['Phase', c.phase],
    ['Created', c.createdAt],
    ['Operation', c.currentOperation ? `${c.currentOperation.id} (running)` : undefined],
    ['Last error', c.lastError],
    ['API endpoint', n.apiEndpoint],
    ['Endpoint', n.endpoint ? `${n.endpoint.kind} ${n.endpoint.name}` : undefined],
    ['VPC', n.vpcId ? `${n.vpcId} (${n.placement})` : n.placement],
    ['Bastion', n.bastion ? `${n.bastion.instanceId} ${n.bastion.publicIp ?? ''} ${n.bastion.az}`.trim() : undefined],
  ];
  const head = fields
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${`${k}:`.padEnd(14)}${String(v)}`)
    .join('\n');
  const subnets = table(['AZ', 'PUBLIC SUBNET', 'PRIVATE SUBNET', 'NAT GATEWAY'], n.subnets.map((s) => [s.az, s.publicSubnetId, s.privateSubnetId, n.natGateways.find((g) => g.az === s.az)?.natGatewayId]));
  return [head, '', 'Subnets:', subnets, '', 'Pools:', poolsTable(c), '', 'Nodes:', nodesTable(c), '', 'Recent operations:', operationsTable(operations)].join('\n');
}
