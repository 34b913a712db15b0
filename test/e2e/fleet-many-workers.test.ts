import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mulberry32 } from '../../common/seeded-random';
import { operationWorkflowId } from '../../common/workflow-ids';
import { formatFleet, runFleet } from '../../bench/fleet';
import { until } from '../support/until';

jest.setTimeout(900_000);

const SEED = Number(process.env.FLEET_WORKERS_SEED ?? Math.floor(Math.random() * 1e9));
const { PENDING_ACTIVITY_STATE_STARTED } = temporal.api.enums.v1.PendingActivityState;
const { TIMEOUT_TYPE_HEARTBEAT } = temporal.api.enums.v1.TimeoutType;

/**
 * The fleet of bench/fleet.ts on three workers (`--workers 3`), one of them SIGKILLed while it
 * runs an activity of the fleet's create, at a moment drawn from a printed seed. The fleet
 * still finishes clean, within the buckets the three workers share, and no operation waited
 * longer than the heartbeat timeout for the dead worker's activity: it was retried elsewhere
 * after its heartbeat timed out, and no activity of any create waited out a start-to-close.
 *
 * It is also CI's short run of the fleet bench: the simulator's EC2 buckets are scaled to a
 * fifth, and the workers told their share is the same fifth of AWS's (an account whose other
 * tools use the rest). The three workers' calls stay within the buckets they share:
 * RequestLimitExceeded is rare, a count not a timing.
 */
it('3 workers, one killed during a fleet create of 4: every create finishes, the dead worker costs a heartbeat timeout', async () => {
  process.stdout.write(`fleet-many-workers seed ${SEED} (reproduce: FLEET_WORKERS_SEED=${SEED})\n`);
  const random = mulberry32(SEED);
  let killed: { pid: number; workflowId: string; activityId: string; identity: string } | undefined;
  let timeouts: Array<{ workflowId: string; types: unknown[] }> = [];
  let retried: { attempt?: number | null; timeoutType?: unknown; identity?: string | null } | undefined;

  const summary = await runFleet({
    n: 4,
    workers: 3,
    bucketScale: 0.2,
    // The bound needs no solo run; only the former bound's comparison did.
    solo: false,
    log: (line) => process.stdout.write(`${line}\n`),
    duringCreate: async ({ temporalAddress, names, created }) => {
      const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
      try {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 8000)));
        const creates = names.map((name) => client.workflow.getHandle(operationWorkflowId('default', name, 'op-1-create')));
        const running = await until(
          async () =>
            (await Promise.all(creates.map(async (h) => ({ h, pending: (await h.describe().catch(() => undefined))?.raw.pendingActivities ?? [] })))).flatMap(({ h, pending }) =>
              pending.filter((a) => a.state === PENDING_ACTIVITY_STATE_STARTED && a.lastWorkerIdentity).map((a) => ({ workflowId: h.workflowId, activity: a })),
            ),
          // A wait (NAT gateway available, instance ready) runs for seconds: killed in one, the
          // worker cannot have just completed it, as it may a single call's activity.
          (found) => found.some((a) => a.activity.activityType?.name?.startsWith('wait')),
          'a wait of the fleet running on a worker',
        );
        const waits = running.filter((a) => a.activity.activityType?.name?.startsWith('wait'));
        const victim = waits[Math.floor(random() * waits.length)];
        const pid = Number(/^(\d+)@/.exec(victim.activity.lastWorkerIdentity ?? '')?.[1]);
        process.kill(pid, 'SIGKILL');
        const killedAt = new Date().toISOString();
        killed = { pid, workflowId: victim.workflowId, activityId: String(victim.activity.activityId), identity: String(victim.activity.lastWorkerIdentity) };
        process.stdout.write(`killed worker ${pid} at ${killedAt} (its attempt ${victim.activity.attempt}, started ${victim.activity.lastStartedTime?.seconds?.toString()}) while it ran ${victim.activity.activityType?.name} (${victim.activity.activityId}) of ${victim.workflowId}\n`);

        await created;
        const history = await client.workflow.getHandle(victim.workflowId).fetchHistory();
        const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityId === victim.activity.activityId);
        const started = history.events?.find((e) => e.activityTaskStartedEventAttributes && String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(scheduled?.eventId));
        const attempt = started?.activityTaskStartedEventAttributes;
        retried = { attempt: attempt?.attempt, timeoutType: attempt?.lastFailure?.timeoutFailureInfo?.timeoutType, identity: attempt?.identity };
        process.stdout.write(`killed at attempt ${victim.activity.attempt}; its history: ${JSON.stringify(
          history.events
            ?.filter((e) => e.eventId?.toString() === scheduled?.eventId?.toString() || Object.values(e).some((v) => v && typeof v === 'object' && 'scheduledEventId' in v && String((v as { scheduledEventId: unknown }).scheduledEventId) === String(scheduled?.eventId)))
            .map((e) => ({ type: e.eventType, time: e.eventTime?.seconds?.toString(), attempt: e.activityTaskStartedEventAttributes?.attempt, identity: e.activityTaskStartedEventAttributes?.identity ?? e.activityTaskCompletedEventAttributes?.identity })),
        )}\n`);
        timeouts = await Promise.all(
          creates.map(async (h) => ({
            workflowId: h.workflowId,
            types: ((await h.fetchHistory()).events ?? [])
              .map((e) => e.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo?.timeoutType)
              .filter((t) => t !== undefined && t !== null && t !== TIMEOUT_TYPE_HEARTBEAT),
          })),
        );
      } finally {
        await client.connection.close();
      }
    },
  });
  process.stdout.write(`${formatFleet(summary)}\n`);

  expect(killed?.pid).toBeGreaterThan(0);
  // The killed attempt timed out on its heartbeat, and another worker's attempt did the activity.
  expect(retried?.attempt).toBeGreaterThanOrEqual(2);
  expect(retried?.timeoutType).toBe(TIMEOUT_TYPE_HEARTBEAT);
  expect(retried?.identity).not.toBe(killed?.identity);
  // No activity of any create waited out a start-to-close timeout.
  expect(timeouts.filter((t) => t.types.length > 0)).toEqual([]);
  expect(summary.failedOperations).toEqual([]);
  expect(summary.left).toEqual({});
  // It did run a fleet: every cluster made its calls, and RunInstances had to queue for its bucket.
  expect(summary.calls).toBeGreaterThan(400);
  expect(summary.bucketWait.ms).toBeGreaterThan(0);
  expect(summary.throttled * 100).toBeLessThan(summary.calls);
});
