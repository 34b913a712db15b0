import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/common';
import { ActivityInterfaceFor, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LiveSettings } from '../activities/live-settings';
import { activityIdForCurrentTask } from './tasks';

/**
 * Activity stubs by kind of call. AWS errors that retrying cannot fix arrive as
 * non-retryable failures (cloud/aws-errors.ts); the rest are retried with backoff.
 */
// Attempts, not time, bound a retryable error: AWS's dependency lags during a delete and the
// timed-out attempts of a killed worker both count, so the budget is generous (≈ 9 min).
const retry: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 };

/** What the Web UI shows for each activity: the step and the resource it works on. */
function summaryOf(activity: string, input: unknown): string {
  const i = (input ?? {}) as {
    key?: string;
    instanceId?: string;
    natGatewayId?: string;
    endpoint?: { name?: string };
    loadBalancerName?: string;
    scope?: { owner?: { cluster?: string } };
  };
  const target = i.key ?? i.instanceId ?? i.natGatewayId ?? i.endpoint?.name ?? i.loadBalancerName ?? i.scope?.owner?.cluster;
  return target ? `${activity} ${target}` : activity;
}

/** This workflow's activity calls that have not settled yet (workflow globals are per execution). */
const inFlight = new Set<Promise<unknown>>();

/**
 * Resolves once every activity call this workflow made has settled, including calls made
 * while waiting. An operation that fails or is cancelled waits for this before it ends, so
 * nothing it asked AWS for can land after the cleanup that follows it.
 */
export async function activitiesSettled(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

function tracked<T>(call: Promise<T>): Promise<T> {
  inFlight.add(call);
  call.then(
    () => inFlight.delete(call),
    () => inFlight.delete(call),
  );
  return call;
}

/** proxyActivities, with every call carrying a summary for the Web UI and an id naming its task. */
function summarized(options: ActivityOptions): ActivityInterfaceFor<Activities> {
  const base = proxyActivities<Activities>(options);
  return new Proxy(base, {
    get(target, name: string) {
      const activity = target[name as keyof Activities];
      return (input: unknown) =>
        tracked<unknown>(activity.executeWithOptions({ ...options, summary: summaryOf(name, input), activityId: activityIdForCurrentTask() }, [input as never]));
    },
  });
}

/**
 * Single AWS calls (plus their look-ups). The start-to-close is long enough for AWS's slowest
 * answer (every SDK call and its retries end before it: cloud/call-budget.ts), so an
 * attempt is never retried while its call still runs; a crashed worker is noticed by the
 * missing heartbeats, sent while a call is in flight, within the heartbeat timeout.
 */
export const aws = summarized({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry,
  // A cancelled operation waits for a call in flight to finish, so its cleanup sees what the
  // call created instead of racing it.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Calls that wait for AWS to reach a state. They heartbeat every poll, so a crashed worker's
 * wait is noticed within the heartbeat timeout and resumed elsewhere.
 */
export const awsWait = summarized({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '20 seconds',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Calls of a long-running loop (the spot watcher) that must not stall it: two attempts, then
 * the loop reports the failure and tries again at its next tick.
 */
export const awsOnce = summarized({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...retry, maximumAttempts: 2 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * The worker's live settings (activities/live-settings.ts), read once per run of a long-lived
 * workflow. A worker that cannot answer leaves the run on the intervals it was started with.
 */
export async function liveSettings(): Promise<LiveSettings> {
  return settings.liveSettings({}).catch(() => ({}));
}

const settings = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 1 } });

/**
 * Quick reads of a long-running loop (the spot watcher's prices and listing), as local
 * activities: each costs a marker event and no extra workflow task, which keeps hundreds of
 * watchers cheap for the server and short in history. Two attempts; the loop reports the rest.
 */
export const awsLocal = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 2 },
});
