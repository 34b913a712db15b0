import { CancellationScope, executeChild, patched } from '@temporalio/workflow';
import type { OperationRecord } from '../../common/cluster-status';
import { isSpotPool } from '../../common/cluster-spec';
import { readableError } from '../../common/readable-error';
import { ClusterBuild, createCluster } from '../create-cluster';
import { deleteCluster } from '../delete-cluster';
import { poolStatus } from '../node-lifecycle';
import type { OperationInput } from '../operation';
import { PATCHES } from '../patches';
import type { Entity, OperationModule } from './operation-module';

/**
 * A create that failed or was cancelled: unless the operator asked to keep what it made,
 * the delete runs as its rollback (not cancellable: half a rollback is worse than none),
 * keeping the account in use since the failed cluster still exists. Says what happened.
 */
async function rollBack(entity: Entity, record: OperationRecord, cause: string): Promise<string> {
  const { project, spec, profile, status } = entity;
  if (entity.keepOnFailure) return `${cause}; what it created is kept (keepOnFailure): DELETE the cluster to remove it`;
  const workflowId = `${record.workflowId}/rollback`;
  record.rollbackWorkflowId = workflowId;
  entity.setPhase('Deleting');
  try {
    await CancellationScope.nonCancellable(() =>
      executeChild(deleteCluster, {
        workflowId,
        staticSummary: `rollback of the failed create of cluster ${project}/${spec.name}`,
        args: [{ project, spec, profile, operationId: record.id, network: status.network, keepAccountUsage: true }],
      }),
    );
  } catch (failure) {
    return `${cause}; the rollback failed too (${readableError(failure)}): DELETE the cluster to remove what is left`;
  }
  status.network = { placement: status.network.placement, subnets: [], natGateways: [], securityGroups: {} };
  status.pools = spec.pools.map((pool) => poolStatus(pool, []));
  return `${cause}; rolled back: everything it had created was removed`;
}

/** The cluster's first operation, which its entity starts by itself (POST /v1/clusters). */
export const create: OperationModule<never, OperationInput, ClusterBuild> = {
  type: 'create',
  // Run again as it was asked: every step finds what the first run made.
  retry: () => undefined,
  phases: { running: 'Provisioning', succeeded: 'Running', failed: 'Failed' },
  summary: ({ entity }) => `create on cluster ${entity.project}/${entity.spec.name}`,
  workflow: createCluster,
  input: ({ entity, record }) => ({ project: entity.project, spec: entity.spec, profile: entity.profile, operationId: record.id }),
  fold({ entity }, build) {
    entity.status.network = build.network;
    entity.status.pools = build.pools;
  },
  // Spot pools' nodes come from their bidding watchers, which start once the cluster runs.
  async after({ entity }) {
    await Promise.all(entity.spec.pools.filter(isSpotPool).map((pool) => entity.watchers.start(pool)));
  },
  async failed({ entity, record }, { message, cause, cancelled }) {
    // The operation still runs while it rolls back: it settles once that is over.
    if (!patched(PATCHES.createRollsBack)) return message;
    return rollBack(entity, record, cancelled ? 'cancelled on request' : readableError(cause));
  },
};
