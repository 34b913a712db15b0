import { ApplicationFailure, CancellationScope, condition, defineUpdate, getExternalWorkflowHandle, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import type { NodeStatus, SpotRoll } from '../../common/cluster-status';
import { isSpotPool, type PoolSpec } from '../../common/cluster-spec';
import { checkReconfigure, checkScale } from '../../common/day2-rules';
import { readableError } from '../../common/readable-error';
import { spotWatcherId } from '../../common/workflow-ids';
import { rollSpotPoolSignal, spotRollProgressSignal, type Accepted } from '../messages';
import { indexOf, nodeStatus, replaceNode, resolveImage } from '../node-lifecycle';
import { rule, recordedPool, type Entity, type OperationModule, type Run } from './operation-module';
import { bringToSize, foldPool, observeNodes, operationTasks, poolInput, POOL_PHASES, poolSummary, type PoolOperationInput } from './pool-operation';

export interface ReconfigureArgs {
  pool: string;
  instanceType: string;
  size?: number;
}

/** A pool's nodes replaced by nodes of another instance type (PATCH /v1/clusters/:name/pools/:pool {instanceType}). */
export const reconfigurePoolUpdate = defineUpdate<Accepted, [ReconfigureArgs]>('reconfigurePool');

/**
 * Rolling reconfigure (docs/architecture.md#reconfigure): each old node is replaced in turn by one of the new instance type —
 * launched, ready (InService for the control plane), and only then is the old one drained and
 * terminated. The pool never has fewer ready nodes than its size, nor more than size + 1.
 */
export async function reconfigurePool(input: PoolOperationInput): Promise<NodeStatus[]> {
  const { pool } = input;
  if (isSpotPool(pool)) return rollSpotPool(input);
  const tasks = operationTasks(`reconfigure pool ${pool.name} to ${pool.instanceType}`);
  const old = [...input.nodes].filter((n) => n.instanceType !== pool.instanceType).sort((a, b) => indexOf(a) - indexOf(b));
  tasks.plan(['image', ...old.map((n) => `replace ${n.key}`)]);
  const imageId = await resolveImage(input, tasks);
  const nodes = [...input.nodes];
  for (const previous of old) {
    const fresh = await tasks.run(`replace ${previous.key}`, () => replaceNode(input, pool, previous, imageId), (i) => `${previous.instanceId} → ${i.instanceId}`);
    nodes.splice(nodes.findIndex((n) => n.instanceId === previous.instanceId), 1, nodeStatus(fresh, input.profile.kubernetesVersion));
  }
  // A size asked with the new type is reached once every node runs it.
  return nodes.length === pool.size ? nodes : bringToSize(input, nodes, tasks);
}

/**
 * A spot pool's nodes are its watcher's (docs/architecture.md#spot-reconfigure): the watcher
 * rolls them, one at a time at the pool's bid, and reports each step here, where the tasks
 * follow it. Cancelled, the operation tells the watcher to stop: the nodes it has replaced
 * stay, and its later launches go back to the pool's type.
 */
async function rollSpotPool(input: PoolOperationInput): Promise<NodeStatus[]> {
  const { pool, operationId } = input;
  const tasks = operationTasks(`reconfigure spot pool ${pool.name} to ${pool.instanceType}`);
  let latest: (SpotRoll & { nodes: NodeStatus[] }) | undefined;
  setHandler(spotRollProgressSignal, (progress) => {
    if (progress.operationId === operationId) latest = progress;
  });
  const watcher = getExternalWorkflowHandle(spotWatcherId(input.project, input.spec.name, pool.name));
  try {
    await tasks.run(
      `roll ${pool.name} through its watcher`,
      () =>
        watcher.signal(rollSpotPoolSignal, { operationId, instanceType: pool.instanceType, replyTo: workflowInfo().workflowId }).catch((error: unknown) => {
          if (isCancellation(error)) throw error;
          throw ApplicationFailure.nonRetryable(`the bidding watcher of spot pool ${pool.name} does not run (${readableError(error)}): nothing was replaced`, 'SpotWatcherGone');
        }),
      () => `the watcher replaces each ${pool.name} node at the pool's bid`,
    );
    let seen = latest;
    for (;;) {
      await condition(() => latest !== seen);
      seen = latest as NonNullable<typeof latest>;
      tasks.follow(seen.tasks);
      if (seen.done) return seen.nodes;
    }
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => watcher.signal(rollSpotPoolSignal, { operationId, stop: true }).catch(() => undefined));
    }
    throw error;
  }
}

function check(entity: Entity, pool: string, instanceType: string, size: number | undefined): void {
  rule(() => checkReconfigure(entity.spec, pool, instanceType));
  if (size !== undefined && size !== entity.poolNamed(pool).size) rule(() => checkScale(entity.spec, pool, size));
}

/**
 * A rolling reconfigure stopped halfway keeps the replacements it finished: the pool then
 * runs both instance types, which its record says (a retry finishes the roll).
 */
function replacedSoFar(run: Run, pool: PoolSpec): string {
  const nodes = run.entity.status.pools.find((p) => p.name === pool.name)?.nodes ?? [];
  // A key whose replacement was still beside its old node when the roll stopped is not replaced.
  const replaced = [...new Set(nodes.filter((n) => n.instanceType === pool.instanceType).map((n) => n.key))].filter((key) =>
    nodes.every((n) => n.key !== key || n.instanceType === pool.instanceType),
  );
  if (replaced.length === 0) return '';
  if (replaced.length === nodes.length) return `; every node was already replaced and runs ${pool.instanceType}`;
  return `; already replaced and kept on ${pool.instanceType}: ${replaced.join(', ')} (the pool runs both instance types until a retry finishes the roll)`;
}

export const reconfigure: OperationModule<ReconfigureArgs, PoolOperationInput, NodeStatus[]> = {
  type: 'reconfigure',
  update: reconfigurePoolUpdate,
  validate(entity, { pool, instanceType, size }) {
    entity.requireRunning();
    check(entity, pool, instanceType, size);
  },
  request: (entity, { pool, instanceType, size }) => ({ type: 'reconfigure', pool: { ...entity.poolNamed(pool), instanceType, size: size ?? entity.poolNamed(pool).size } }),
  retry(entity, record) {
    entity.requireRunning();
    const pool = recordedPool(record);
    rule(() => {
      checkReconfigure(entity.spec, pool.name, pool.instanceType);
      if (pool.size !== entity.poolNamed(pool.name).size) checkScale(entity.spec, pool.name, pool.size);
    });
  },
  phases: POOL_PHASES,
  summary: poolSummary,
  workflow: reconfigurePool,
  input: poolInput,
  fold: foldPool,
  // A spot pool rolls at its size: a new size asked with the type is its watcher's to reach.
  async after({ entity, request }) {
    if (request.pool && isSpotPool(request.pool)) await entity.watchers.resize(request.pool);
  },
  async failed(run, failure) {
    const message = await observeNodes(run, failure);
    const pool = run.request.pool as PoolSpec;
    const spot = isSpotPool(pool) ? `; the pool stays ${run.entity.poolNamed(pool.name).instanceType}: its watcher launches that type again` : '';
    return `${message}${replacedSoFar(run, pool)}${spot}`;
  },
};
