/**
 * A cluster-wide roll (docs/architecture.md#rolling): the nodes that must change replaced one
 * at a time, pool after pool in the order given (control plane first), each replacement
 * ready before its old node is retired. Upgrade and profile change both roll this way; they
 * differ in which nodes are stale and what a new node records.
 */
import { getExternalWorkflowHandle, patched, workflowInfo } from '@temporalio/workflow';
import type { InstanceInfo } from '../../activities/types';
import type { NodeStatus } from '../../common/cluster-status';
import type { PoolSpec } from '../../common/cluster-spec';
import { nodeReplacedSignal } from '../messages';
import { indexOf, replaceNode, resolveImage, type LifecycleInput } from '../node-lifecycle';
import type { OperationInput } from '../operation';
import { PATCHES } from '../patches';
import type { TaskList } from '../tasks';
import { rollThroughWatcher, spotRollTask } from './spot-roll';

export interface PoolRoll {
  pool: PoolSpec;
  nodes: NodeStatus[];
}

export type RollResult = Array<{ pool: string; nodes: NodeStatus[] }>;

export interface RollPlan {
  /** The task that replaces a node (`upgrade node/master/0`). */
  step: (node: NodeStatus) => string;
  /** Why a node stays as it is, or undefined when it must be replaced. */
  keeps: (pool: PoolSpec, node: NodeStatus) => string | undefined;
  /** The new node, as the status records it. */
  record: (pool: PoolSpec, launched: InstanceInfo) => NodeStatus;
}

/**
 * Rolls the nodes `plan.keeps` does not keep, and returns every pool's nodes after. A node
 * already as wanted (a retry after a partial roll) is skipped, so a retry finishes the roll.
 */
export async function rollNodes(input: LifecycleInput, tasks: TaskList, pools: PoolRoll[], plan: RollPlan, later: string[] = []): Promise<RollResult> {
  const rolls = pools.map(({ pool, nodes }) => ({ pool, nodes: [...nodes].sort((a, b) => indexOf(a) - indexOf(b)) }));
  const all = rolls.flatMap((r) => r.nodes.map((node) => ({ pool: r.pool, node })));
  // `later`: the tasks that follow the roll (the spot pools'), declared now so the total is known.
  tasks.plan(['image', ...all.map(({ node }) => plan.step(node)), ...later]);
  for (const { pool, node } of all) {
    const why = plan.keeps(pool, node);
    if (why !== undefined) tasks.skip(plan.step(node), why);
  }
  if (all.every(({ pool, node }) => plan.keeps(pool, node) !== undefined)) {
    tasks.skip('image', 'no node to replace');
    return rolls.map((r) => ({ pool: r.pool.name, nodes: r.nodes }));
  }
  const imageId = await resolveImage(input, tasks);
  const result: RollResult = [];
  for (const { pool, nodes } of rolls) {
    const now = [...nodes];
    for (const previous of nodes.filter((n) => plan.keeps(pool, n) === undefined)) {
      const fresh = await tasks.run(plan.step(previous), () => replaceNode(input, pool, previous, imageId), (i) => `${previous.instanceId} → ${i.instanceId}`);
      const node = plan.record(pool, fresh);
      now.splice(now.indexOf(previous), 1, node);
      await told(pool.name, previous.instanceId, node);
    }
    result.push({ pool: pool.name, nodes: now });
  }
  return result;
}

/**
 * The entity's status follows the roll node by node, not only once it ends; an entity that
 * cannot hear it (none, or gone) learns the nodes from the result or its failure's re-read.
 */
async function told(pool: string, replaced: string, node: NodeStatus): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  await getExternalWorkflowHandle(parent.workflowId)
    .signal(nodeReplacedSignal, { pool, replaced, node })
    .catch(() => undefined);
}

/**
 * Then each spot pool (spec order) through its bidding watcher, booting `profile`; runs begun
 * before spot pools rolled leave them to their watchers' later launches.
 */
export async function rollSpotPools(input: OperationInput, tasks: TaskList, spotPools: PoolSpec[], describe: (pool: PoolSpec) => string, result: RollResult): Promise<RollResult> {
  const rolled = [...result];
  for (const pool of spotPools) {
    rolled.push({ pool: pool.name, nodes: await rollThroughWatcher(input, tasks, { pool, profile: input.profile, describe: describe(pool) }) });
  }
  return rolled;
}

/** The spot pools a cluster-wide roll takes after the on-demand ones, and their tasks; none in runs begun before it did. */
export function spotPoolsToRoll(spotPools: PoolSpec[] | undefined): { pools: PoolSpec[]; tasks: string[] } {
  const pools = patched(PATCHES.rollsReachSpotPools) ? (spotPools ?? []) : [];
  return { pools, tasks: pools.map((p) => spotRollTask(p.name)) };
}

/** The on-demand pools in the order a cluster-wide roll takes them: the control plane first, then the workers in spec order. */
export function rollingOrder(pools: PoolSpec[], isSpot: (pool: PoolSpec) => boolean): PoolSpec[] {
  const onDemand = pools.filter((p) => !isSpot(p));
  return [...onDemand.filter((p) => p.role === 'control-plane'), ...onDemand.filter((p) => p.role !== 'control-plane')];
}
