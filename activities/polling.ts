import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { awsErrorCode, isAwsError } from '../cloud/aws-errors';
import { sessionDeps } from '../cloud/aws-session';
import { currentContext } from '../cloud/call-budget';
import { awsPollMsFrom, DEFAULT_AWS_POLL_MS, DEFAULT_WAIT_DEADLINE_S } from '../common/config';

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

export type Probe<T> = { done: true; value: T } | { done: false; status: string };

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
    await context.sleep(interval);
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
