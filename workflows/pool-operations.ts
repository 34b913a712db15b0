import { ApplicationFailure, CancellationScope, isCancellation, patched, setHandler } from '@temporalio/workflow';
import type { InstanceInfo } from '../activities/types';
import type { NetworkStatus, NodeStatus } from '../common/cluster-status';
import { controlPlanePool, type PoolSpec } from '../common/cluster-spec';
import { aws, awsWait } from './activities';
import { progressQuery } from './messages';
import { joiningContext, launchNode, nodeStatus } from './nodes';
import { OperationInput, scopeOf } from './operation';
import { isSpot, nodeKey, NodePlan } from './plan';
import { PATCHES } from './patches';
import { readableError } from '../common/readable-error';
import { TaskList } from './tasks';

/** What a pool operation knows of the running cluster, from the entity's status. */
export interface PoolOperationInput extends OperationInput {
  network: NetworkStatus;
  /** The pool as it is to become (new size and/or instance type, or the new pool). */
  pool: PoolSpec;
  /** Its nodes now. */
  nodes: NodeStatus[];
  /** This operation's number: the generation of every node it launches. */
  generation: number;
}

function indexOf(node: { key: string }): number {
  return Number(node.key.split('/').pop());
}

function planFor(pool: PoolSpec, index: number, instanceType = pool.instanceType): NodePlan {
  return { key: nodeKey(pool.name, index), pool: pool.name, index, az: pool.azs[index % pool.azs.length], instanceType, role: pool.role };
}

async function imageFor(input: PoolOperationInput, tasks: TaskList): Promise<string> {
  return tasks.run('image', async () => (await aws.resolveImage({ scope: scopeOf(input), ...input.profile.image })).imageId, (id) => id);
}

function operationTasks(title: string): TaskList {
  const tasks = new TaskList(title);
  setHandler(progressQuery, () => tasks.progress());
  return tasks;
}

/** Brings a pool to its size (docs/architecture.md#scale). */
export async function scalePool(input: PoolOperationInput): Promise<NodeStatus[]> {
  return scaleSteps(input, input.nodes, operationTasks(`scale pool ${input.pool.name} to ${input.pool.size}`));
}

/** A new worker pool: scaled up from nothing (docs/architecture.md#add-pool). */
export async function addPool(input: PoolOperationInput): Promise<NodeStatus[]> {
  return scaleSteps(input, [], operationTasks(`add pool ${input.pool.name} (${input.pool.size} × ${input.pool.instanceType})`));
}

/**
 * Launches the lowest free indices (so the pool stays spread over its AZs) or retires the
 * highest ones.
 */
async function scaleSteps(input: PoolOperationInput, current: NodeStatus[], tasks: TaskList): Promise<NodeStatus[]> {
  const { pool } = input;
  const scope = scopeOf(input);
  if (isSpot(pool)) {
    tasks.skip('nodes', 'spot nodes are launched by the pool’s bidding watcher');
    return current;
  }
  const used = new Set(current.map(indexOf));
  const missing: number[] = [];
  for (let i = 0; missing.length + used.size < pool.size; i++) if (!used.has(i)) missing.push(i);
  const surplus = [...current].sort((a, b) => indexOf(b) - indexOf(a)).slice(0, Math.max(0, current.length - pool.size));
  tasks.plan([...(missing.length > 0 ? ['image'] : []), ...missing.map((i) => nodeKey(pool.name, i)), ...surplus.map((n) => `retire ${n.key}`)]);

  const launched: InstanceInfo[] = [];
  if (missing.length > 0) {
    const imageId = await imageFor(input, tasks);
    // Cancelled or failed midway: the nodes this operation launched go again, the pool is as it was.
    await launchAllOrNone(
      input,
      missing.map((i) => nodeKey(pool.name, i)),
      missing.map((index) => async () => {
        const node = planFor(pool, index);
        const info = await tasks.run(node.key, () => launchNode(input, scope, node, pool, joiningContext(input.network, imageId, input.generation, node.az)), (i) => `${i.instanceId} ready in ${i.az}`);
        launched.push(info);
      }),
    );
  }
  await Promise.all(surplus.map((node) => tasks.run(`retire ${node.key}`, () => retire(input, node))));
  const gone = new Set(surplus.map((n) => n.instanceId));
  return [...current.filter((n) => !gone.has(n.instanceId)), ...launched.map(nodeStatus)];
}

/** Takes a node out: off the API load balancer first (control plane), then terminated. */
async function retire(input: PoolOperationInput, node: NodeStatus): Promise<void> {
  const scope = scopeOf(input);
  if (input.pool.role === 'control-plane' && input.network.loadBalancerName) {
    await aws.deregisterFromLoadBalancer({ scope, loadBalancerName: input.network.loadBalancerName, instanceIds: [node.instanceId] });
  }
  await awsWait.terminateInstance({ scope, key: node.key, generation: node.generation ?? 0 });
}

/** Removes a worker pool: every node of it terminated. */
export async function removePool(input: PoolOperationInput): Promise<NodeStatus[]> {
  const tasks = operationTasks(`remove pool ${input.pool.name}`);
  if (isSpot(input.pool)) {
    // The watcher (stopped by the entity) owns a spot pool's nodes: every one found goes.
    tasks.plan(['spot nodes']);
    await tasks.run('spot nodes', async () => {
      const scope = scopeOf(input);
      const keys = [...new Set((await aws.listClusterInstances({ scope })).filter((i) => i.key.startsWith(`node/${input.pool.name}/`)).map((i) => i.key))];
      await Promise.all(keys.map((key) => awsWait.terminateInstance({ scope, key })));
      return keys.length;
    }, (n) => `${n} terminated`);
    return [];
  }
  tasks.plan(input.nodes.map((n) => `retire ${n.key}`));
  await Promise.all(input.nodes.map((node) => tasks.run(`retire ${node.key}`, () => retire(input, node))));
  return [];
}

/**
 * Rolling reconfigure (docs/architecture.md#reconfigure): each old node is replaced in turn by one of the new instance type —
 * launched, ready (InService for the control plane), and only then is the old one drained and
 * terminated. The pool never has fewer ready nodes than its size, nor more than size + 1.
 */
export async function reconfigurePool(input: PoolOperationInput): Promise<NodeStatus[]> {
  const { pool } = input;
  const scope = scopeOf(input);
  const tasks = operationTasks(`reconfigure pool ${pool.name} to ${pool.instanceType}`);
  const old = [...input.nodes].filter((n) => n.instanceType !== pool.instanceType).sort((a, b) => indexOf(a) - indexOf(b));
  tasks.plan(['image', ...old.map((n) => `replace ${n.key}`)]);
  const imageId = await imageFor(input, tasks);
  const nodes = [...input.nodes];
  for (const previous of old) {
    const fresh = await tasks.run(
      `replace ${previous.key}`,
      async () => {
        const plan = { ...planFor(pool, indexOf(previous)), az: previous.az };
        // Cancelled or failed before the replacement is ready: it goes, the old node stays.
        // Once it is ready the swap is finished even if a cancellation arrives meanwhile.
        const [info] = await launchAllOrNone(input, [previous.key], [
          () => launchNode(input, scope, plan, pool, joiningContext(input.network, imageId, input.generation, previous.az)),
        ]);
        await CancellationScope.nonCancellable(() => retire(input, previous));
        return info;
      },
      (i) => `${previous.instanceId} → ${i.instanceId}`,
    );
    nodes.splice(nodes.findIndex((n) => n.instanceId === previous.instanceId), 1, nodeStatus(fresh));
  }
  // A size asked with the new type is reached once every node runs it.
  return nodes.length === pool.size ? nodes : scaleSteps(input, nodes, tasks);
}

/**
 * Runs the launches; if one fails or the operation is cancelled, the others are stopped and
 * every instance this operation launched for `keys` is terminated (off the load balancer
 * first), in a scope the cancellation cannot interrupt. A cancellation then goes on as it
 * was; a failure says what it had launched and that it is gone.
 */
async function launchAllOrNone<T>(
  input: LaunchingOperation,
  keys: string[],
  launches: Array<() => Promise<T>>,
  options: { undoCancelled?: () => boolean } = {},
): Promise<T[]> {
  const launching = new CancellationScope();
  const pending = launches.map((launch) => launching.run(launch));
  try {
    return await Promise.all(pending);
  } catch (error) {
    const cancelled = isCancellation(error);
    if (cancelled && options.undoCancelled && !options.undoCancelled()) throw error;
    // Histories recorded before failures were undone replay the cancellation-only path.
    const undoFailures = patched(PATCHES.undoLaunchesOnFailure);
    if (!cancelled && !undoFailures) throw error;
    if (undoFailures) {
      // A launch still in flight could land after the sweep: stop them all and let them settle.
      launching.cancel();
      await Promise.allSettled(pending);
    }
    const terminated = await CancellationScope.nonCancellable(() => terminateLaunched(input, keys));
    if (cancelled) throw error;
    const what = terminated.length === 0 ? 'it had launched no instance' : `what it had launched was terminated (${terminated.map((i) => `${i.key} ${i.instanceId}`).join(', ')})`;
    throw ApplicationFailure.nonRetryable(`${readableError(error)}; ${what}`, 'LaunchesUndone');
  }
}

/** What undoing an operation's launches needs: the cluster, its load balancer, the operation's generation. */
type LaunchingOperation = Pick<PoolOperationInput, 'project' | 'spec' | 'network' | 'generation'>;

/** Every instance of this operation's generation for `keys`: off the load balancer (control plane), terminated. */
async function terminateLaunched(input: LaunchingOperation, keys: string[]): Promise<InstanceInfo[]> {
  const scope = scopeOf(input);
  const mine = (await aws.listClusterInstances({ scope })).filter((i) => keys.includes(i.key) && i.generation === input.generation);
  const controlPlane = mine.filter((i) => i.key.startsWith(`node/${controlPlanePool(input.spec).name}/`));
  if (input.network.loadBalancerName && controlPlane.length > 0) {
    await aws.deregisterFromLoadBalancer({ scope, loadBalancerName: input.network.loadBalancerName, instanceIds: controlPlane.map((i) => i.instanceId) });
  }
  await Promise.all(keys.map((key) => awsWait.terminateInstance({ scope, key, generation: input.generation })));
  return mine;
}

/** What self-repair found gone, per pool. */
export interface RepairInput extends Omit<PoolOperationInput, 'pool' | 'nodes'> {
  pools: Array<{ pool: PoolSpec; nodes: NodeStatus[]; lost: NodeStatus[] }>;
  reason: string;
}

/**
 * Self-repair: each node that disappeared behind Clusterflow's back is replaced under its own
 * key (off the load balancer first if it was a control-plane node).
 */
export async function repairNodes(input: RepairInput): Promise<Array<{ pool: string; nodes: NodeStatus[] }>> {
  const tasks = operationTasks(`repair: ${input.reason}`);
  const lost = input.pools.flatMap((p) => p.lost.map((node) => ({ pool: p.pool, node })));
  tasks.plan(['image', ...lost.map(({ node }) => `replace ${node.key}`)]);
  const imageId = await tasks.run('image', async () => (await aws.resolveImage({ scope: scopeOf(input), ...input.profile.image })).imageId, (id) => id);
  // Cancelled (an operator's request comes first) or failed: what it launched goes again,
  // once every launch has landed; the next check repairs what is still missing.
  const replaced = await launchAllOrNone(
    input,
    lost.map(({ node }) => node.key),
    lost.map(({ pool, node }) => () =>
      tasks.run(
        `replace ${node.key}`,
        async () => {
          const scope = scopeOf(input);
          if (pool.role === 'control-plane' && input.network.loadBalancerName) {
            await aws.deregisterFromLoadBalancer({ scope, loadBalancerName: input.network.loadBalancerName, instanceIds: [node.instanceId] });
          }
          const plan = { ...planFor(pool, indexOf(node)), az: node.az };
          const fresh = nodeStatus(await launchNode({ ...input }, scope, plan, pool, joiningContext(input.network, imageId, input.generation, node.az)));
          // A stopped node still holds its key (and bills for its volumes): once its
          // replacement is ready, it goes for good.
          if (patched(PATCHES.repairTerminatesReplaced)) await awsWait.terminateInstance({ scope, key: node.key, generation: node.generation ?? 0 });
          return { old: node.instanceId, fresh };
        },
        (r) => `${r.old} → ${r.fresh.instanceId}`,
      ),
    ),
    // Repairs cancelled before this change ended without undoing anything: they replay so.
    { undoCancelled: () => patched(PATCHES.repairUndoesLaunches) },
  );
  const swap = new Map(replaced.map((r) => [r.old, r.fresh]));
  return input.pools.map((p) => ({ pool: p.pool.name, nodes: p.nodes.map((n) => swap.get(n.instanceId) ?? n) }));
}
