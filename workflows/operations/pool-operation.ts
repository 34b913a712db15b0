/**
 * What the pool operations (scale, add-pool, remove-pool, reconfigure) share: their input,
 * their task list, bringing a pool to its size, and how their result folds into the entity.
 */
import { setHandler } from '@temporalio/workflow';
import type { InstanceInfo } from '../../activities/types';
import type { NetworkStatus, NodeStatus } from '../../common/cluster-status';
import { isSpotPool, type ClusterSpec, type PoolSpec } from '../../common/cluster-spec';
import { aws } from '../activities';
import { progressQuery } from '../messages';
import { indexOf, launchNodes, nodeStatus, poolStatus, resolveImage, retire } from '../node-lifecycle';
import { OperationInput, scopeOf } from '../operation';
import { nodeKey } from '../plan';
import { TaskList } from '../tasks';
import type { Run } from './operation-module';

/** What a pool operation knows of the running cluster, from the entity's status. */
export interface PoolOperationInput extends OperationInput {
  network: NetworkStatus;
  /** The pool as it is to become (new size and/or instance type, or the new pool). */
  pool: PoolSpec;
  /** Its nodes now. */
  nodes: NodeStatus[];
  /** The pool as the cluster's record has it now (absent in operations started before it was passed). */
  was?: PoolSpec;
  /** This operation's number: the generation of every node it launches. */
  generation: number;
}

export function operationTasks(title: string): TaskList {
  const tasks = new TaskList(title);
  setHandler(progressQuery, () => tasks.progress());
  return tasks;
}

/**
 * Brings a pool to its size: launches the lowest free indices (so the pool stays spread over
 * its AZs) or retires the highest ones. Spot pools are left to their watcher.
 */
export async function bringToSize(input: PoolOperationInput, current: NodeStatus[], tasks: TaskList): Promise<NodeStatus[]> {
  const { pool } = input;
  if (isSpotPool(pool)) {
    tasks.skip('nodes', 'spot nodes are launched by the pool’s bidding watcher');
    return current;
  }
  const used = new Set(current.map(indexOf));
  const missing: number[] = [];
  for (let i = 0; missing.length + used.size < pool.size; i++) if (!used.has(i)) missing.push(i);
  const surplus = [...current].sort((a, b) => indexOf(b) - indexOf(a)).slice(0, Math.max(0, current.length - pool.size));
  tasks.plan([...(missing.length > 0 ? ['image'] : []), ...missing.map((i) => nodeKey(pool.name, i)), ...surplus.map((n) => `retire ${n.key}`)]);

  let launched: InstanceInfo[] = [];
  if (missing.length > 0) {
    const imageId = await resolveImage(input, tasks);
    // Cancelled or failed midway: the nodes this operation launched go again, the pool is as it was.
    launched = await launchNodes(input, pool, missing, imageId, tasks);
  }
  await Promise.all(surplus.map((node) => tasks.run(`retire ${node.key}`, () => retire(input, pool, node))));
  const gone = new Set(surplus.map((n) => n.instanceId));
  return [...current.filter((n) => !gone.has(n.instanceId)), ...launched.map((i) => nodeStatus(i, input.profile.kubernetesVersion))];
}

/** The spec once a pool request has been carried out. */
export function specAfter(spec: ClusterSpec, type: string, pool: PoolSpec): ClusterSpec {
  if (type === 'remove-pool') return { ...spec, pools: spec.pools.filter((p) => p.name !== pool.name) };
  if (type === 'add-pool') return { ...spec, pools: [...spec.pools, pool] };
  return { ...spec, pools: spec.pools.map((p) => (p.name === pool.name ? pool : p)) };
}

/** The child's input: the cluster as it is to become, and the pool's nodes now. */
export function poolInput({ entity, request, record, generation }: Run): PoolOperationInput {
  const pool = request.pool as PoolSpec;
  return {
    project: entity.project,
    spec: specAfter(entity.spec, request.type, pool),
    profile: entity.profile,
    operationId: record.id,
    network: entity.status.network,
    pool,
    nodes: entity.status.pools.find((p) => p.name === pool.name)?.nodes ?? [],
    was: entity.spec.pools.find((p) => p.name === pool.name),
    generation,
  };
}

/** The pool's new nodes into the status, the request into the spec. */
export function foldPool({ entity, request }: Run, nodes: NodeStatus[]): void {
  const pool = request.pool as PoolSpec;
  const { status } = entity;
  entity.spec = specAfter(entity.spec, request.type, pool);
  const others = status.pools.filter((p) => p.name !== pool.name);
  status.pools =
    request.type === 'remove-pool'
      ? others
      : entity.spec.pools.map((p) => (p.name === pool.name ? { ...poolStatus(p, []), nodes } : (others.find((o) => o.name === p.name) ?? poolStatus(p, []))));
}

/**
 * After a failed pool operation, what AWS actually runs is the truth about the pools. AWS does
 * not say a node's Kubernetes version: a node keeps the one the status knew, and a node of this
 * run's generation booted the one the run launched with (`launchedWith`, the entity's by default).
 */
export async function observeNodes(
  { entity, generation }: Run,
  failure: { message: string },
  launchedWith = entity.profile.kubernetesVersion,
  launchDigests: Record<string, string> = {},
): Promise<string> {
  try {
    const instances = await aws.listClusterInstances({ scope: scopeOf(entity) });
    const known = new Map(entity.status.pools.flatMap((p) => p.nodes).map((n) => [n.instanceId, n]));
    const live = instances.filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down');
    entity.status.pools = entity.spec.pools.map((pool) => {
      const status = poolStatus(pool, live);
      status.nodes = status.nodes.map((n) => {
        const mine = n.generation === generation;
        const booted = mine ? launchedWith : known.get(n.instanceId)?.kubernetesVersion;
        // A node keeps the launch digest it had; one this run launched has its pool's new one (`launchDigests`, by pool).
        const digest = mine ? launchDigests[pool.name] : known.get(n.instanceId)?.launchDigest;
        const node = booted === undefined ? n : { ...n, kubernetesVersion: booted };
        return digest === undefined ? node : { ...node, launchDigest: digest };
      });
      return status;
    });
  } catch {
    // The status keeps what it had; the operation's own error says what went wrong.
  }
  return failure.message;
}

export const poolSummary = (run: Run) => `${run.request.type} pool ${run.request.pool?.name} on cluster ${run.entity.project}/${run.entity.spec.name}`;

export const POOL_PHASES = { running: 'Updating', succeeded: 'Running', failed: 'Running' } as const;
