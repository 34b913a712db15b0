import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ec2Draws, type Ec2CallShape } from '../common/ec2-throttling';

/**
 * Keeps our EC2 calls within AWS's token buckets (common/ec2-throttling.ts) for each account
 * and region, however many worker processes make them: the buckets live in a store every
 * worker shares (sqlite-rate-limiter.ts), and each attempt of each call takes its tokens
 * before it is sent. AWS's buckets are shared with every other tool of the account, so ours
 * are a share of them (`CLUSTERFLOW_AWS_RATE_SHARE`).
 */

/** One bucket a call draws from: its shared key, its size (our share already applied), and the tokens the call needs. */
export interface BucketDraw {
  key: string;
  capacity: number;
  refillPerSecond: number;
  tokens: number;
}

/** A bucket as the shared store keeps it: tokens at a moment (negative: tokens promised to calls still waiting). */
export interface BucketState {
  tokens: number;
  atMs: number;
}

/**
 * Token buckets shared by every process of a deployment. Async so that a store reached over
 * the network (PostgreSQL) can implement it as well as the SQLite file beside the store.
 */
export interface SharedRateLimiter {
  /**
   * Reserves the tokens of every draw at once and answers how long (ms) the call must wait
   * before it may be sent; or undefined, taking nothing, when that wait would exceed `maxWaitMs`.
   */
  reserve(draws: BucketDraw[], maxWaitMs: number, nowMs?: number): Promise<number | undefined>;
  close(): void | Promise<void>;
}

/**
 * The reservation's arithmetic, the same for every store: refill each bucket up to its
 * capacity, then take the call's tokens even if that leaves a bucket below zero; the call
 * waits until every bucket it drew from is back at zero. Calls are thus served in the order
 * they reserved, each exactly when its tokens exist, and a bucket never hands out more than
 * its capacity plus its refill. Answers the new states, or undefined when the wait is too long.
 */
export function reserveTokens(
  draws: BucketDraw[],
  states: Array<BucketState | undefined>,
  nowMs: number,
  maxWaitMs: number,
): { waitMs: number; states: BucketState[] } | undefined {
  let waitMs = 0;
  const next = draws.map((draw, i) => {
    const state = states[i];
    const refilled = state ? Math.min(draw.capacity, state.tokens + (Math.max(0, nowMs - state.atMs) / 1000) * draw.refillPerSecond) : draw.capacity;
    // Tokens may be more than the bucket holds (our share of a bucket of one token): the
    // call then waits past full, so our pace stays our share of AWS's.
    const left = refilled - draw.tokens;
    if (left < 0) waitMs = Math.max(waitMs, draw.refillPerSecond > 0 ? (-left / draw.refillPerSecond) * 1000 : Infinity);
    return { tokens: left, atMs: nowMs };
  });
  if (waitMs > maxWaitMs) return undefined;
  return { waitMs: Math.ceil(waitMs), states: next };
}

/** What of a command's input decides its buckets (EC2 spells the filter `Filters`, or `Filter` on a few actions). */
export function shapeOf(action: string, input: Record<string, unknown> | undefined): Ec2CallShape {
  const filters = (input?.Filters ?? input?.Filter) as unknown[] | undefined;
  const ids = input?.InstanceIds as unknown[] | undefined;
  const instances = action === 'RunInstances' ? Number(input?.MaxCount ?? input?.MinCount ?? 1) || 1 : ids?.length ?? 1;
  return {
    action,
    filtered: Array.isArray(filters) && filters.length > 0,
    paginated: input?.MaxResults !== undefined || input?.NextToken !== undefined,
    instances,
  };
}

/**
 * The draws of one EC2 call in `account` and `region`, each bucket our `share` of AWS's. A
 * call never needs more than AWS's whole bucket: AWS lets one that large through once its
 * bucket is full.
 */
export function drawsOf(account: string, region: string, shape: Ec2CallShape, share: number): BucketDraw[] {
  return ec2Draws(shape).map((draw) => ({
    key: `${account}|${region}|${draw.bucket}`,
    capacity: draw.size.capacity * share,
    refillPerSecond: draw.size.refillPerSecond * share,
    tokens: Math.min(draw.tokens, draw.size.capacity),
  }));
}

/** Where and within what one client's calls wait. */
export interface LimitedCalls {
  limiter: SharedRateLimiter;
  /** The AWS account the calls are counted against (resolved per call: a rotation may move the keys). */
  account: () => Promise<string>;
  region: string;
  /** Our part of each bucket, 0 < share ≤ 1. */
  share: number;
  /** When the activity attempt's time is up (ms since the epoch); a wait never runs past it. */
  endsAtMs?: number;
  /** Aborts a wait whose attempt ended or was cancelled. */
  signal?: AbortSignal;
}

/** A wait outside any attempt (the process's own batched reads) is bounded all the same. */
const UNBOUNDED_WAIT_MS = 60_000;

type Handler = (args: { input?: Record<string, unknown> }) => Promise<unknown>;
interface MiddlewareStackLike {
  addRelativeTo(
    middleware: (next: Handler, context: { commandName?: string }) => Handler,
    options: { relation: 'before' | 'after'; toMiddleware: string; name: string },
  ): void;
}

/**
 * Takes each attempt's tokens before the SDK signs and sends it: inside the retry loop (a
 * retry costs AWS's tokens as much as the first try), before signing (a long wait must not
 * age the signature). A wait longer than the attempt has left fails the attempt retryably
 * instead of sending the call after its attempt ended.
 */
export function limitCalls<C extends { middlewareStack: unknown }>(client: C, limits: LimitedCalls | undefined): C {
  if (!limits) return client;
  const stack = client.middlewareStack as MiddlewareStackLike;
  stack.addRelativeTo(
    (next, context) => async (args) => {
      const action = (context.commandName ?? '').replace(/Command$/, '');
      const draws = drawsOf(await limits.account(), limits.region, shapeOf(action, args.input), limits.share);
      const maxWaitMs = limits.endsAtMs === undefined ? UNBOUNDED_WAIT_MS : Math.max(0, limits.endsAtMs - Date.now());
      const waitMs = await limits.limiter.reserve(draws, maxWaitMs);
      if (waitMs === undefined) {
        throw ApplicationFailure.retryable(
          `RateLimited: ${action} in ${limits.region} would wait for EC2's request tokens longer than this attempt has left (${Math.round(maxWaitMs / 1000)} s); not sent`,
          'RateLimited',
        );
      }
      if (waitMs > 0) await sleep(waitMs, undefined, limits.signal ? { signal: limits.signal } : undefined);
      return next(args);
    },
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'clusterflowRateLimit' },
  );
  return client;
}
