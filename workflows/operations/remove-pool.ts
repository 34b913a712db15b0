import { defineUpdate } from '@temporalio/workflow';
import type { NodeStatus } from '../../common/cluster-status';
import { isSpotPool } from '../../common/cluster-spec';
import { checkRemovePool } from '../../common/day2-rules';
import { aws } from '../activities';
import type { Accepted } from '../messages';
import { retire, terminatePoolNodes } from '../node-lifecycle';
import { scopeOf } from '../operation';
import { rule, recordedPool, type OperationModule } from './operation-module';
import { foldPool, observeNodes, operationTasks, poolInput, POOL_PHASES, poolSummary, type PoolOperationInput } from './pool-operation';

export interface RemovePoolArgs {
  pool: string;
}

/** Removes a worker pool (DELETE /v1/clusters/:name/pools/:pool). */
export const removePoolUpdate = defineUpdate<Accepted, [RemovePoolArgs]>('removePool');

/** Removes a worker pool: every node of it terminated. */
export async function removePool(input: PoolOperationInput): Promise<NodeStatus[]> {
  const tasks = operationTasks(`remove pool ${input.pool.name}`);
  if (isSpotPool(input.pool)) {
    // The watcher (stopped by the entity) owns a spot pool's nodes: every one found goes.
    tasks.plan(['spot nodes']);
    await tasks.run('spot nodes', () => terminatePoolNodes(aws, scopeOf(input), input.pool.name), (n) => `${n} terminated`);
    return [];
  }
  tasks.plan(input.nodes.map((n) => `retire ${n.key}`));
  await Promise.all(input.nodes.map((node) => tasks.run(`retire ${node.key}`, () => retire(input, input.pool, node))));
  return [];
}

export const removePoolOperation: OperationModule<RemovePoolArgs, PoolOperationInput, NodeStatus[]> = {
  type: 'remove-pool',
  update: removePoolUpdate,
  validate(entity, { pool }) {
    entity.requireRunning();
    rule(() => checkRemovePool(entity.spec, pool));
  },
  request: (entity, { pool }) => ({ type: 'remove-pool', pool: entity.poolNamed(pool) }),
  retry(entity, record) {
    entity.requireRunning();
    rule(() => checkRemovePool(entity.spec, recordedPool(record).name));
  },
  phases: POOL_PHASES,
  summary: poolSummary,
  // The watcher stops (its launches settled, its nodes gone) before the pool's sweep.
  async before({ entity, request }) {
    if (request.pool && isSpotPool(request.pool)) await entity.watchers.stop(request.pool);
  },
  workflow: removePool,
  input: poolInput,
  fold: foldPool,
  failed: observeNodes,
};
