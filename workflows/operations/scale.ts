import { defineUpdate } from '@temporalio/workflow';
import type { NodeStatus } from '../../common/cluster-status';
import { isSpotPool } from '../../common/cluster-spec';
import { checkScale } from '../../common/day2-rules';
import type { Accepted } from '../messages';
import { rule, recordedPool, type OperationModule } from './operation-module';
import { bringToSize, foldPool, observeNodes, operationTasks, poolInput, POOL_PHASES, poolSummary, type PoolOperationInput } from './pool-operation';

export interface ScaleArgs {
  pool: string;
  size: number;
}

/** Scales a pool to a new size (POST /v1/clusters/:name/pools/:pool {size}). */
export const scalePoolUpdate = defineUpdate<Accepted, [ScaleArgs]>('scalePool');

/** Brings a pool to its size (docs/architecture.md#scale). */
export async function scalePool(input: PoolOperationInput): Promise<NodeStatus[]> {
  return bringToSize(input, input.nodes, operationTasks(`scale pool ${input.pool.name} to ${input.pool.size}`));
}

export const scale: OperationModule<ScaleArgs, PoolOperationInput, NodeStatus[]> = {
  type: 'scale',
  update: scalePoolUpdate,
  validate(entity, { pool, size }) {
    entity.requireRunning();
    rule(() => checkScale(entity.spec, pool, size));
  },
  request: (entity, { pool, size }) => ({ type: 'scale', pool: { ...entity.poolNamed(pool), size } }),
  retry(entity, record) {
    entity.requireRunning();
    const pool = recordedPool(record);
    rule(() => checkScale(entity.spec, pool.name, pool.size));
  },
  phases: POOL_PHASES,
  summary: poolSummary,
  workflow: scalePool,
  input: poolInput,
  fold: foldPool,
  // A spot pool's nodes are its watcher's: it hears the new size.
  async after({ entity, request }) {
    if (request.pool && isSpotPool(request.pool)) await entity.watchers.resize(request.pool);
  },
  failed: observeNodes,
};
