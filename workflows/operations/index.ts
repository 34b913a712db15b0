/**
 * The cluster entity's operations table: each operation type and its module. The entity's
 * loop dispatches through it and nothing else (docs/architecture.md#operations).
 */
import type { OperationType } from '../../common/cluster-status';
import { addPoolOperation } from './add-pool';
import { changeProfileOperation } from './change-profile';
import { create } from './create';
import { deleteOperation } from './delete';
import type { AnyOperation } from './operation-module';
import { reconfigure } from './reconfigure';
import { removePoolOperation } from './remove-pool';
import { repair } from './repair';
import { scale } from './scale';
import { upgrade } from './upgrade';

export const OPERATIONS: Record<OperationType, AnyOperation> = {
  create,
  delete: deleteOperation,
  scale,
  'add-pool': addPoolOperation,
  'remove-pool': removePoolOperation,
  reconfigure,
  repair,
  upgrade,
  'change-profile': changeProfileOperation,
};

export { addPoolUpdate, addPool } from './add-pool';
export { deleteClusterUpdate } from './delete';
export { reconfigurePoolUpdate, reconfigurePool } from './reconfigure';
export { removePoolUpdate, removePool } from './remove-pool';
export { repairNodes, type RepairInput } from './repair';
export { scalePoolUpdate, scalePool } from './scale';
export { upgradeClusterUpdate, upgradeCluster, type UpgradeInput } from './upgrade';
export { changeProfileUpdate, changeProfile, type ChangeProfileInput } from './change-profile';
export type { PoolOperationInput } from './pool-operation';
export type { Request } from './operation-module';
