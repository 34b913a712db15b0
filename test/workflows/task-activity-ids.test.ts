import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { taskOfActivityId } from '../../common/task-activity-id';
import { resolveProfile } from '../../common/profile';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { retryingActivities } from '../../api/clusters/retrying-activities';
import { startTemporal } from '../support/temporal';
import { stubActivities } from '../support/stub-activities';
import { exampleSpec } from '../unit/fixtures';
import { workflowCode } from '../support/workflow-code';

/**
 * Each activity an operation schedules inside a task carries that task in its id, so the
 * calls Temporal lists as pending are shown under the right task (api/clusters/retrying-activities).
 */
describe('activity ids name their task', () => {
  let env: TestWorkflowEnvironment;
  const profile = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {});
  const code = workflowCode();

  beforeAll(async () => {
    env = await startTemporal();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('a delete’s refused route-table call is pending under the `route tables` task; the history replays', async () => {
    let attempts = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { activities } = stubActivities({
      deleteRouteTable: async (i: { key: string }) => {
        if (i.key !== 'rtb/public') return;
        if (++attempts === 1) throw ApplicationFailure.retryable('DependencyViolation: The routeTable has dependencies and cannot be deleted.', 'DependencyViolation');
        await released;
      },
    });
    const taskQueue = 'task-ids';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...code, activities });
    const workflowId = 'cluster/default/demo/op-2-delete';
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('deleteCluster', {
        taskQueue,
        workflowId,
        args: [{ project: 'default', spec: exampleSpec(), profile, operationId: 'op-2-delete' }],
      });
      // Wait for the event: Temporal lists the call as pending with the failure of its first attempt.
      let pending: Array<{ activityId?: string | null; lastFailure?: unknown }> = [];
      for (let i = 0; i < 600 && !pending.some((a) => a.lastFailure); i++) {
        pending = ((await handle.describe()).raw.pendingActivities ?? []) as typeof pending;
        if (!pending.some((a) => a.lastFailure)) await new Promise((r) => setTimeout(r, 50));
      }
      const retried = pending.filter((a) => a.lastFailure);
      expect(retried.map((a) => taskOfActivityId(a.activityId))).toEqual(['route tables']);
      expect(retryingActivities(pending as never)).toEqual([expect.objectContaining({ task: 'route tables', activity: 'deleteRouteTable' })]);
      // Every call of the operation names its task, calls after the task list excepted.
      release();
      await handle.result();
    });
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : []));
    const untasked = scheduled.filter((a) => taskOfActivityId(a.activityId) === undefined).map((a) => a.activityType?.name);
    expect(untasked).toEqual(['releaseCloudAccountUsage']);
    expect(scheduled.length).toBeGreaterThan(10);
    await Worker.runReplayHistory(code, history, workflowId);
  });

  // Recorded with the code of e9bc530, before activity ids named their task (stub activities,
  // a cluster created, scaled, reconfigured and deleted): runs begun then must replay the
  // numbered ids they recorded.
  const RECORDED = ['clusterEntity-recorded', 'createCluster-op-1-create', 'scalePool-op-2-scale', 'reconfigurePool-op-3-reconfigure', 'deleteCluster-op-4-delete'];
  it.each(RECORDED)('replays %s, recorded before the change', async (name) => {
    // Binary protobuf, as fetchHistory gives it: the JSON route (historyFromJSON) trips over the two copies of protobufjs npm installs here.
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(__dirname, 'histories', `${name}.binpb`)));
    expect(history.events?.length).toBeGreaterThan(10);
    await Worker.runReplayHistory(code, history, name);
  });
});
