import {
  ApplicationFailure,
  condition,
  continueAsNew,
  executeChild,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ClusterPhase, ClusterStatus, OperationRecord, OperationType } from '../common/cluster-status';
import type { ClusterSpec } from '../common/cluster-spec';
import type { ResolvedProfile } from '../common/profile';
import { SEARCH_ATTRIBUTE_KEYS } from '../common/search-attributes';
import { ClusterBuild, createCluster, poolStatus } from './create-cluster';
import { deleteCluster } from './delete-cluster';
import { deleteClusterUpdate, operationsQuery, statusQuery } from './messages';
import { OperationInput } from './operation';
import { readableError } from './tasks';

export interface ClusterEntityInput {
  project: string;
  spec: ClusterSpec;
  profile: ResolvedProfile;
  /** Carried across continue-as-new; absent on the first run. */
  carried?: { status: ClusterStatus; operations: OperationRecord[]; pending?: OperationType };
}

export function clusterWorkflowId(project: string, name: string): string {
  return `cluster/${project}/${name}`;
}

/** The operation's child workflow id: the entity's id, then the operation's own. */
export function operationWorkflowId(project: string, name: string, operationId: string): string {
  return `${clusterWorkflowId(project, name)}/${operationId}`;
}

const OPERATIONS = { create: createCluster, delete: deleteCluster } as const;

/**
 * One per cluster, for its whole life: holds the desired spec and the observed status, takes
 * day-2 requests as Updates (validated before they are accepted), and runs one operation at a
 * time as a child workflow. It ends when the cluster is deleted.
 */
export async function clusterEntity(input: ClusterEntityInput): Promise<ClusterStatus> {
  const { project, spec, profile } = input;
  const status: ClusterStatus = input.carried?.status ?? {
    name: spec.name,
    project,
    region: spec.cloud.region,
    phase: 'Provisioning',
    network: { placement: spec.cloud.placement.type, subnets: [], natGateways: [], securityGroups: {} },
    pools: spec.pools.map((pool) => poolStatus(pool, [])),
  };
  const operations: OperationRecord[] = input.carried?.operations ?? [];
  let pending: OperationType | undefined = input.carried ? input.carried.pending : 'create';
  let running: OperationRecord | undefined;

  setHandler(statusQuery, () => status);
  setHandler(operationsQuery, () => operations);
  setHandler(
    deleteClusterUpdate,
    () => {
      pending = 'delete';
      return { operationId: nextOperationId('delete') };
    },
    {
      validator: () => {
        const busy = running ?? (pending ? { id: nextOperationId(pending), type: pending } : undefined);
        if (busy) throw ApplicationFailure.nonRetryable(`operation ${busy.id} (${busy.type}) is running`, 'OperationInProgress', { operationId: busy.id });
        if (status.phase === 'Deleted') throw ApplicationFailure.nonRetryable('the cluster is deleted', 'ClusterDeleted');
      },
    },
  );

  function nextOperationId(type: OperationType): string {
    return `op-${operations.length + 1}-${type}`;
  }

  function setPhase(phase: ClusterPhase): void {
    status.phase = phase;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.ClusterPhase, value: phase }]);
  }

  setPhase(status.phase);
  for (;;) {
    await condition(() => pending !== undefined || workflowInfo().continueAsNewSuggested);
    if (pending === undefined) {
      // Only between operations: nothing in flight is lost.
      await continueAsNew<typeof clusterEntity>({ project, spec, profile, carried: { status, operations } });
    }
    const type = pending as OperationType;
    const record: OperationRecord = {
      id: nextOperationId(type),
      type,
      state: 'Running',
      workflowId: operationWorkflowId(project, spec.name, nextOperationId(type)),
      startedAt: new Date().toISOString(),
    };
    operations.push(record);
    running = record;
    pending = undefined;
    status.currentOperation = { id: record.id, type };
    setPhase(type === 'create' ? 'Provisioning' : 'Deleting');
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.OperationType, value: type }]);

    const operationInput: OperationInput = { project, spec, profile, operationId: record.id };
    try {
      const result = await executeChild(OPERATIONS[type] as (i: OperationInput) => Promise<ClusterBuild | void>, {
        workflowId: record.workflowId,
        args: [operationInput],
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTE_KEYS.ClusterName, value: spec.name },
          { key: SEARCH_ATTRIBUTE_KEYS.ClusterProject, value: project },
          { key: SEARCH_ATTRIBUTE_KEYS.CloudRegion, value: spec.cloud.region },
          { key: SEARCH_ATTRIBUTE_KEYS.OperationType, value: type },
        ],
        staticSummary: `${type} cluster ${project}/${spec.name} in ${spec.cloud.region}`,
      });
      record.state = 'Succeeded';
      status.lastError = undefined;
      if (type === 'create' && result) {
        status.network = result.network;
        status.pools = result.pools;
        setPhase('Running');
      }
      if (type === 'delete') {
        status.network = { placement: status.network.placement, subnets: [], natGateways: [], securityGroups: {} };
        status.pools = spec.pools.map((pool) => ({ ...poolStatus(pool, []), waiting: undefined }));
        setPhase('Deleted');
      }
    } catch (error) {
      record.state = 'Failed';
      record.error = readableError(error);
      status.lastError = `${type} failed: ${record.error}`;
      setPhase('Failed');
    } finally {
      record.finishedAt = new Date().toISOString();
      running = undefined;
      status.currentOperation = undefined;
    }
    if (status.phase === 'Deleted') return status;
  }
}
