import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { readableError } from '../../common/readable-error';
import { operationHistoryQuery } from '../../common/search-attributes';
import { clusterWorkflowId, numberOf } from '../../common/workflow-ids';
import type { OperationView } from './clusters.service';

/** The Temporal execution status as the operation's state. */
const STATES: Record<string, string> = {
  RUNNING: 'Running',
  COMPLETED: 'Succeeded',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
  TERMINATED: 'Failed',
  TIMED_OUT: 'Failed',
  CONTINUED_AS_NEW: 'Running',
};

/**
 * Operations older than the entity's log keeps, read from Temporal's visibility of the
 * operation workflows (each carries the cluster's search attributes): `count` of them, the
 * newest numbered below `below`, oldest first. Workflows of an earlier cluster of the same
 * name (started before this one was asked for) are not this cluster's.
 */
export async function olderOperations(temporal: Client, project: string, name: string, below: number, count: number, createdAt?: string): Promise<OperationView[]> {
  const prefix = `${clusterWorkflowId(project, name)}/`;
  const newest = new Map<string, WorkflowExecutionInfo>();
  for await (const execution of temporal.workflow.list({ query: operationHistoryQuery(project, name) })) {
    const id = execution.workflowId.startsWith(prefix) ? execution.workflowId.slice(prefix.length) : '';
    if (!/^op-\d+-[a-z-]+$/.test(id) || numberOf({ id }) >= below) continue;
    if (createdAt && execution.startTime.getTime() < Date.parse(createdAt)) continue;
    const seen = newest.get(id);
    if (!seen || seen.startTime < execution.startTime) newest.set(id, execution);
  }
  const chosen = [...newest.entries()].sort(([a], [b]) => numberOf({ id: a }) - numberOf({ id: b })).slice(-count);
  return Promise.all(
    chosen.map(async ([id, execution]) => {
      const state = STATES[execution.status.name] ?? execution.status.name;
      const error =
        state === 'Failed' || state === 'Cancelled'
          ? await temporal.workflow
              .getHandle(execution.workflowId, execution.runId)
              .result()
              .then(
                () => undefined,
                (failure: unknown) => readableError(failure),
              )
          : undefined;
      return {
        id,
        type: id.replace(/^op-\d+-/, ''),
        state,
        startedAt: execution.startTime.toISOString(),
        finishedAt: execution.closeTime?.toISOString(),
        error,
      };
    }),
  );
}
