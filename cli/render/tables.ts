import type { ClusterStatus, PoolStatus } from '../../common/cluster-status';
import type { OperationView } from './operation';
import { took } from './operation';
import { table } from './output';

const poolNodes = (pool: PoolStatus) => pool.spot?.nodes ?? pool.nodes;

export const clustersTable = (clusters: ClusterStatus[]): string =>
  table(
    ['NAME', 'PHASE', 'REGION', 'POOLS', 'NODES', 'OPERATION', 'CREATED'],
    clusters.map((c) => [c.name, c.phase, c.region, c.pools.length, c.pools.reduce((n, p) => n + poolNodes(p).length, 0), c.currentOperation?.id, c.createdAt]),
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
