import type { Client } from '@temporalio/client';
import type { OperationRecord, Progress } from '../../common/cluster-status';
import { taskActivityId, taskOfActivityId } from '../../common/task-activity-id';
import { ClustersService } from '../../api/clusters/clusters.service';
import type { PendingActivity } from '../../api/clusters/retrying-activities';

/**
 * GET …/operations/:id joins two readings of Temporal: the operation's `progress` query and
 * its pending activities (describe). Here Temporal answers them at moments the test picks.
 */
const record: OperationRecord = { id: 'op-2-delete', type: 'delete', state: 'Running', startedAt: '2026-11-30T00:00:00.000Z', workflowId: 'cluster/default/demo/op-2-delete' } as OperationRecord;

const refused = (task: string, call: number): PendingActivity => ({
  activityId: taskActivityId(task, call),
  activityType: { name: 'deleteRouteTable' },
  attempt: 3,
  lastFailure: { message: 'Activity task failed', cause: { message: 'DependencyViolation: The routeTable has dependencies and cannot be deleted.' } },
});

function progressWith(state: 'Running' | 'Succeeded'): Progress {
  return { completed: 0, total: 2, tasks: [{ name: 'security groups', state: 'Succeeded' }, { name: 'route tables', state }] };
}

/** A Temporal client whose describe answers first (the call still pending) and whose query answers after it. */
function temporalAnswering(pending: PendingActivity[], progressAfterDescribe: Progress): Client {
  let described: () => void;
  const describedYet = new Promise<void>((resolve) => (described = resolve));
  const handle = {
    // The service queries by definition (workflows/messages.ts): each carries its name.
    query: async (definition: { name: string }) => {
      if (definition.name === 'operations') return [record];
      await describedYet;
      return progressAfterDescribe;
    },
    describe: async () => {
      described();
      return { raw: { pendingActivities: pending } };
    },
  };
  return { workflow: { getHandle: () => handle } } as unknown as Client;
}

const service = (temporal: Client) => new ClustersService({} as never, temporal, {} as never, {} as never, {} as never, {} as never);

describe('the operation view', () => {
  it('drops a retried call whose task ended between the two readings', async () => {
    const view = await service(temporalAnswering([refused('route tables', 7)], progressWith('Succeeded'))).operation('default', 'demo', 'op-2-delete');
    expect(view.tasks?.find((t) => t.name === 'route tables')?.state).toBe('Succeeded');
    expect(view.retrying).toBeUndefined();
  });

  it('shows a retried call under its task while that task runs', async () => {
    const view = await service(temporalAnswering([refused('route tables', 7)], progressWith('Running'))).operation('default', 'demo', 'op-2-delete');
    expect(view.retrying).toEqual([
      { task: 'route tables', activity: 'deleteRouteTable', attempt: 3, lastError: 'DependencyViolation: The routeTable has dependencies and cannot be deleted.', nextAttemptAt: undefined },
    ]);
  });

  it('keeps calls of runs begun before activity ids named their task', async () => {
    const old = { ...refused('route tables', 7), activityId: '42' };
    const view = await service(temporalAnswering([old], progressWith('Succeeded'))).operation('default', 'demo', 'op-2-delete');
    expect(view.retrying).toEqual([expect.objectContaining({ activity: 'deleteRouteTable', task: undefined })]);
  });
});

describe('task activity ids', () => {
  it('name the task, whatever characters it has', () => {
    for (const task of ['vpc', 'nat gateway us-east-1a', 'replace node/workers/0', 'retire node/w/1 #2']) {
      expect(taskOfActivityId(taskActivityId(task, 12))).toBe(task);
    }
  });

  it('name none for Temporal’s own numbering or nothing', () => {
    expect(taskOfActivityId('7')).toBeUndefined();
    expect(taskOfActivityId(undefined)).toBeUndefined();
    expect(taskOfActivityId('task/x/vpc')).toBeUndefined();
  });
});
