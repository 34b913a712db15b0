import { Context } from '@temporalio/activity';

/** The running activity's context, or undefined outside an activity (the API's dry run). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * What one activity attempt allows its AWS calls. A call must end before its attempt does:
 * otherwise Temporal starts the next attempt while the call still runs, and a create without
 * an idempotency token lands twice. So every request's timeout, and the SDK's whole retry
 * loop (through the abort signal), fit inside the attempt's start-to-close.
 */
export interface CallBudget {
  /** Each HTTP request's timeout. */
  requestTimeoutMs: number;
  /** Aborts whatever call is still running when the attempt's time is up (absent outside an activity). */
  signal?: AbortSignal;
  /** When that is (ms since the epoch): a wait for request tokens must end before it (cloud/rate-limiter.ts). */
  endsAtMs?: number;
}

/** AWS answers within seconds; a request silent for a minute is lost. */
const REQUEST_TIMEOUT_MS = 60_000;
/** Room left, within the attempt, for the activity to report how its call ended. */
const MARGIN_MS = 2_000;

export function callBudget(now = Date.now()): CallBudget {
  const info = currentContext()?.info;
  if (!info?.startToCloseTimeoutMs) return { requestTimeoutMs: REQUEST_TIMEOUT_MS };
  const attemptEnds = (info.currentAttemptScheduledTimestampMs || now) + info.startToCloseTimeoutMs;
  // A worker whose clock runs ahead of the server's still gets a moment for its call.
  const remaining = Math.max(1_000, attemptEnds - MARGIN_MS - now);
  return { requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, remaining), signal: AbortSignal.timeout(remaining), endsAtMs: now + remaining };
}

/**
 * Heartbeats while `body` runs, when the activity has a heartbeat timeout: a call that is
 * slow but alive keeps its attempt, while a worker that died is noticed within the timeout
 * (no need to wait out a start-to-close long enough for the slowest call).
 */
export async function heartbeatWhile<T>(body: () => Promise<T>): Promise<T> {
  const context = currentContext();
  const timeout = context?.info.heartbeatTimeoutMs;
  if (!context || !timeout || context.info.isLocal) return body();
  const timer = setInterval(() => context.heartbeat(), Math.max(500, Math.floor(timeout / 3)));
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}
