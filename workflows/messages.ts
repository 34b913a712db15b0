import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ClusterStatus, OperationRecord, Progress } from '../common/cluster-status';

/** The cluster entity's status (the API's GET /v1/clusters/:name). */
export const statusQuery = defineQuery<ClusterStatus>('status');
/** The cluster entity's operation log, newest last. */
export const operationsQuery = defineQuery<OperationRecord[]>('operations');
/** An operation's task list. */
export const progressQuery = defineQuery<Progress>('progress');

/** Starts deleting the cluster; rejected while another operation runs. */
export const deleteClusterUpdate = defineUpdate<{ operationId: string }, []>('deleteCluster');
