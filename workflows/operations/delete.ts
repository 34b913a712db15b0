import { defineUpdate } from '@temporalio/workflow';
import type { NetworkStatus } from '../../common/cluster-status';
import { isSpotPool } from '../../common/cluster-spec';
import { deleteCluster } from '../delete-cluster';
import type { Accepted } from '../messages';
import { poolStatus } from '../node-lifecycle';
import type { OperationInput } from '../operation';
import type { OperationModule } from './operation-module';

/** Deletes the cluster (DELETE /v1/clusters/:name). */
export const deleteClusterUpdate = defineUpdate<Accepted, []>('deleteCluster');

/** The cluster's last operation: everything it made goes, and the entity ends. */
export const deleteOperation: OperationModule<void, OperationInput & { network: NetworkStatus }, void> = {
  type: 'delete',
  update: deleteClusterUpdate as never,
  validate: (entity) => entity.refuseWhileBusy(),
  request: () => ({ type: 'delete' }),
  retry: () => undefined,
  // Half a delete is worse than a whole one: it runs to the end.
  cancellable: false,
  phases: { running: 'Deleting', succeeded: 'Deleted', failed: 'Failed' },
  summary: ({ entity }) => `delete on cluster ${entity.project}/${entity.spec.name}`,
  // Each spot pool's watcher stops (its launches settled, its nodes gone) before the sweep.
  async before({ entity }) {
    await Promise.all(entity.spec.pools.filter(isSpotPool).map((pool) => entity.watchers.stop(pool)));
  },
  workflow: deleteCluster,
  input: ({ entity, record }) => ({ project: entity.project, spec: entity.spec, profile: entity.profile, operationId: record.id, network: entity.status.network }),
  fold({ entity }) {
    const { status, spec } = entity;
    status.network = { placement: status.network.placement, subnets: [], natGateways: [], securityGroups: {} };
    status.pools = spec.pools.map((pool) => ({ ...poolStatus(pool, []), waiting: undefined }));
  },
};
