import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { awsErrorCode, isAwsError } from '../cloud/aws-errors';
import { sessionDeps } from '../cloud/aws-session';
import { currentContext } from '../cloud/call-budget';
import { awsPollMsFrom, DEFAULT_AWS_POLL_MS, DEFAULT_EXPECTED_READY_MS, DEFAULT_WAIT_DEADLINE_S, ExpectedReadyMs } from '../common/config';
import { pollWindowMs } from '../cloud/poll-reads';

/**
 * Waiting inside an activity: AWS state changes take seconds to minutes. Each round
 * heartbeats (so a dead worker is noticed and a cancellation reaches us) and sleeps with the
 * activity's cancellable sleep. Every wait gives up at an overall deadline, counted from the
 * activity's first attempt (a worker crash does not restart the clock), saying what it last saw.
 */

/** CLUSTERFLOW_AWS_POLL_MS as the settings loader reads it (common/config.ts). */
export function pollIntervalMs(env: NodeJS.ProcessEnv): number {
  return awsPollMsFrom(env);
}

/**
 * The interval and deadline of the worker's settings (`AwsDeps.config`, loaded once per
 * process): every wait runs inside a step's `withSession`, which carries them here; the
 * defaults only serve a wait run outside one.
 */
function waitSettings(): { intervalMs: number; deadlineMs: number } {
  const config = sessionDeps()?.config;
  return { intervalMs: config?.awsPollMs ?? DEFAULT_AWS_POLL_MS, deadlineMs: (config?.waitDeadlineS ?? DEFAULT_WAIT_DEADLINE_S) * 1000 };
}

function spelled(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} s`;
}

/**
 * A round's answer. Not done yet, it may say when the resource should be ready (`readyAtMs`,
 * wall clock: AWS's timestamp of its start plus the kind's expected time, `expectedReadyMs`):
 * the next reads are then aimed at that moment (nextReadInMs).
 */
export type Probe<T> = { done: true; value: T } | { done: false; status: string; readyAtMs?: number };

/** How long AWS takes for each kind of transition, as the worker's settings say. */
export function expectedReadyMs(): ExpectedReadyMs {
  return sessionDeps()?.config?.expectedReadyMs ?? DEFAULT_EXPECTED_READY_MS;
}

/** When a resource AWS started at `startedAt` (its own timestamp) should be ready; undefined when AWS gave no time. */
export function readyAt(startedAt: Date | string | undefined, expectedMs: number): number | undefined {
  const started = startedAt === undefined ? NaN : new Date(startedAt).getTime();
  return Number.isFinite(started) ? started + expectedMs : undefined;
}

/**
 * How long to sleep before the next read. Without an expected ready time: the poll interval.
 * Before it: evenly spaced reads no further apart than four intervals (8 s at most, well
 * within the heartbeat timeout; a resource that fails early is still seen soon), the last
 * one sent as it should be ready; the batched read is sent a window after it is asked
 * (poll-reads.ts), so it is asked a window early. Just after it: quarter-interval reads for
 * two intervals, then the interval again (AWS is slower than expected this time). A wait that
 * knows when to look reads fewer times than the fixed period, and looks when it matters.
 */
export function nextReadInMs(nowMs: number, intervalMs: number, readyAtMs?: number): number {
  if (readyAtMs === undefined) return intervalMs;
  const window = pollWindowMs(intervalMs);
  const untilAsk = readyAtMs - window - nowMs;
  if (untilAsk > 0) {
    const widest = Math.max(intervalMs, Math.min(4 * intervalMs, 8_000));
    return untilAsk / Math.ceil(untilAsk / widest);
  }
  return nowMs < readyAtMs + 2 * intervalMs ? Math.max(window, intervalMs / 4) : intervalMs;
}

/** Calls `probe` until it reports done; heartbeats its status each round; fails for good at the deadline. */
export async function pollUntil<T>(what: string, probe: () => Promise<Probe<T>>): Promise<T> {
  const context = Context.current();
  const { intervalMs: interval, deadlineMs: deadline } = waitSettings();
  const since = context.info.scheduledTimestampMs || Date.now();
  // Alive from the start: a first probe that is slow must not look like a dead worker.
  context.heartbeat({ waitingFor: what, round: 0 });
  for (let round = 1; ; round++) {
    const result = await probe();
    if (result.done) return result.value;
    if (Date.now() - since >= deadline) {
      throw ApplicationFailure.nonRetryable(`gave up waiting for ${what} after ${spelled(deadline)}: ${result.status}`, 'WaitDeadlineExceeded');
    }
    context.heartbeat({ waitingFor: what, status: result.status, round });
    await context.sleep(nextReadInMs(Date.now(), interval, result.readyAtMs));
  }
}

/** How long a delete keeps retrying on DependencyViolation itself before leaving it to Temporal. */
const BUSY_LIMIT_MS = 5 * 60_000;

/**
 * Runs `body`; while it fails with one of `codes` (AWS still letting go of something, e.g.
 * a deleted load balancer's network interfaces), heartbeats and tries again, for up to
 * five minutes. Then, or outside an activity, the error goes to Temporal's retry policy.
 */
export async function retryWhileBusy<T>(what: string, codes: string[], body: () => Promise<T>, limitMs = BUSY_LIMIT_MS): Promise<T> {
  const started = Date.now();
  for (let round = 1; ; round++) {
    try {
      return await body();
    } catch (error) {
      const context = currentContext();
      if (!isAwsError(error, ...codes) || !context || Date.now() - started > limitMs) throw error;
      context.heartbeat({ waitingFor: what, status: `${awsErrorCode(error)}: ${(error as Error).message}`, round });
      await context.sleep(waitSettings().intervalMs);
    }
  }
}
