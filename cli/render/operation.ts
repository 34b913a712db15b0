/** The operation view of docs/api.md#operations-and-tasks, as far as the CLI shows it. */
export interface TaskView {
  name: string;
  state: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped';
  startedAt?: string;
  finishedAt?: string;
  message?: string;
}

export interface RetryingCall {
  task: string;
  activity: string;
  attempt: number;
  lastError?: string;
  nextAttemptAt?: string;
}

export interface OperationView {
  id: string;
  type: string;
  state: 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';
  startedAt?: string;
  finishedAt?: string;
  progress?: { completed: number; total: number };
  tasks?: TaskView[];
  error?: string;
  reason?: string;
  retrying?: RetryingCall[];
  retryOf?: string;
  rollback?: { progress?: { completed: number; total: number }; tasks?: TaskView[] };
}

export const isSettled = (op: OperationView): boolean => op.state !== 'Running';

/** 0:07, 1:02, 1:02:03 — an elapsed time at a glance. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** How long a task or operation took (or has run so far, when not finished). */
export function took(item: { startedAt?: string; finishedAt?: string }, now = Date.now()): string | undefined {
  if (!item.startedAt) return undefined;
  const end = item.finishedAt ? Date.parse(item.finishedAt) : now;
  const ms = end - Date.parse(item.startedAt);
  return ms < 60000 ? `${(ms / 1000).toFixed(1)}s` : clock(ms);
}

/** The one line a finished operation ends with. */
export function summary(op: OperationView, now = Date.now()): string {
  const tasks = op.progress ? ` (${op.progress.completed}/${op.progress.total} tasks)` : '';
  const time = took(op, now);
  if (op.state === 'Succeeded') return `${op.id} succeeded${time ? ` in ${time}` : ''}${tasks}`;
  const what = op.state === 'Cancelled' ? 'was cancelled' : 'failed';
  return `${op.id} ${what}${time ? ` after ${time}` : ''}${tasks}: ${op.error ?? 'no error recorded'}`;
}
