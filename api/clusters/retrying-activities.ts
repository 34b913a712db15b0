import type { Task } from '../../common/cluster-status';
import { taskOfActivityId } from '../../common/task-activity-id';

/**
 * A call Temporal is retrying: the task it belongs to stays Running meanwhile, so without
 * this an operator sees a task that takes long and not why (AWS throttling, a 5xx, a worker
 * that died mid-call). The Web UI shows the same under the workflow's pending activities.
 */
export interface RetryingActivity {
  /** The operation's task that made the call (absent for runs begun before calls named their task). */
  task?: string;
  activity: string;
  attempt: number;
  lastError: string;
  nextAttemptAt?: string;
}

/** The fields used of Temporal's PendingActivityInfo (seconds are a protobuf Long there). */
interface Failure {
  message?: string | null;
  cause?: Failure | null;
}
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
export interface PendingActivity {
  activityId?: string | null;
  activityType?: { name?: string | null } | null;
  attempt?: number | null;
  lastFailure?: Failure | null;
  nextAttemptScheduleTime?: Timestamp;
}

function isoOf(ts: Timestamp): string | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  const ms = Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

/** The innermost message: AWS's code and message rather than a wrapper's. */
function messageOf(failure: Failure): string {
  let current: Failure | null | undefined = failure;
  let message = failure.message ?? 'unknown error';
  while (current) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message;
}

/** The pending activities of an operation that have failed at least once, in the order Temporal lists them. */
export function retryingActivities(pending: PendingActivity[] | null | undefined): RetryingActivity[] {
  return (pending ?? [])
    .filter((activity) => activity.lastFailure)
    .map((activity) => ({
      task: taskOfActivityId(activity.activityId),
      activity: activity.activityType?.name ?? 'unknown',
      attempt: activity.attempt ?? 1,
      lastError: messageOf(activity.lastFailure!),
      nextAttemptAt: isoOf(activity.nextAttemptScheduleTime),
    }));
}

/**
 * The retried calls that agree with the task list shown beside them. The two are read from
 * Temporal at two moments (a query and a describe), so a call can still be listed while its
 * task has already ended; such a call is no longer being retried and is left out. Calls that
 * name no task are kept: nothing says which task they belong to.
 */
export function retryingForRunningTasks(retrying: RetryingActivity[], tasks: Task[] | undefined): RetryingActivity[] {
  const running = new Set((tasks ?? []).filter((t) => t.state === 'Running').map((t) => t.name));
  return retrying.filter((call) => call.task === undefined || running.has(call.task));
}
