import { defineUpdate } from '@temporalio/workflow';
import type { NodeStatus } from '../../common/cluster-status';
import { isSpotPool, type PoolSpec } from '../../common/cluster-spec';
import { checkAddPool } from '../../common/day2-rules';
import type { Accepted } from '../messages';
import { rule, recordedPool, type OperationModule } from './operation-module';
import { bringToSize, foldPool, observeNodes, operationTasks, poolInput, POOL_PHASES, poolSummary, type PoolOperationInput } from './pool-operation';

export interface AddPoolArgs {
  pool: PoolSpec;
}

/** Adds a worker pool (POST /v1/clusters/:name/pools). */
export const addPoolUpdate = defineUpdate<Accepted, [AddPoolArgs]>('addPool');

/** A new worker pool: scaled up from nothing (docs/architecture.md#add-pool). */
export async function addPool(input: PoolOperationInput): Promise<NodeStatus[]> {
  return bringToSize(input, [], operationTasks(`add pool ${input.pool.name} (${input.pool.size} × ${input.pool.instanceType})`));
}

export const addPoolOperation: OperationModule<AddPoolArgs, PoolOperationInput, NodeStatus[]> = {
  type: 'add-pool',
  update: addPoolUpdate,
  validate(entity, { pool }) {
    entity.requireRunning();
    rule(() => checkAddPool(entity.spec, pool, entity.subnetAzs()));
  },
  request: (_entity, { pool }) => ({ type: 'add-pool', pool }),
  retry(entity, record) {
    entity.requireRunning();
    const pool = recordedPool(record);
    rule(() => checkAddPool(entity.spec, pool, entity.subnetAzs()));
  },
  phases: POOL_PHASES,
  summary: poolSummary,
  workflow: addPool,
  input: poolInput,
  fold: foldPool,
  // A spot pool's nodes come from its bidding watcher, which starts with the pool.
  async after({ entity, request }) {
    if (request.pool && isSpotPool(request.pool)) await entity.watchers.start(request.pool);
  },
  failed: observeNodes,
};
