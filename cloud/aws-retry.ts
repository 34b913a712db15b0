import type { RuntimeExtension } from '@aws-sdk/client-ec2';
import { isAwsServiceError, isKeysRefused } from './aws-errors';

/**
 * The SDK's own retries, minus refused keys. Its standard strategy retries any error that
 * came back while it corrected its clock (the answer's Date more than four minutes from
 * ours) — ExpiredToken included, and on every attempt, since each answer re-corrects the
 * clock by a few milliseconds: with a skewed clock, an expired key costs all `maxAttempts`
 * of every call. A refused key stays refused, so this stops those retries; a signature
 * error right after the first correction gets its one retry, since the wrong clock, not the
 * key, may have been the cause.
 */

type RetryConfiguration = Pick<Parameters<RuntimeExtension['configure']>[0], 'retryStrategy' | 'setRetryStrategy'>;
type RetryStrategyProvider = ReturnType<RetryConfiguration['retryStrategy']>;
type AnyRetryStrategy = Awaited<ReturnType<RetryStrategyProvider>>;
type RetryStrategy = Extract<AnyRetryStrategy, { refreshRetryTokenForRetry: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategy['acquireInitialRetryToken']>>;

/** Errors the SDK retries after correcting its clock; of the refused keys, only these can come from a wrong clock. */
const CLOCK_SKEW_CODES = new Set(['AuthFailure', 'RequestExpired', 'SignatureDoesNotMatch', 'InvalidSignatureException']);

function worthOneRetry(error: unknown, token: RetryToken): boolean {
  const e = error as { name?: string; $metadata?: { clockSkewCorrected?: boolean } };
  return token.getRetryCount() === 0 && e.$metadata?.clockSkewCorrected === true && CLOCK_SKEW_CODES.has(e.name ?? '');
}

function isRetryStrategyV2(strategy: AnyRetryStrategy): strategy is RetryStrategy {
  return typeof (strategy as Partial<RetryStrategy>).refreshRetryTokenForRetry === 'function';
}

/** Marks an error of a call that must not be sent twice (see sentOnce). */
const SENT_ONCE = Symbol('clusterflow.sentOnce');

interface WithMiddleware {
  middlewareStack: { add(middleware: unknown, options: { step: 'deserialize'; name: string; priority: 'high' }): void };
}

/**
 * A create AWS gives no idempotency token for (CreateVpc, AllocateAddress, …): the SDK must
 * not send it again. When its answer is lost (a 5xx after AWS acted, a reset connection), a
 * resend would make a second resource (or, for a subnet, meet its own CIDR as a conflict).
 * The error goes to the activity instead, and its next attempt looks up by tag first.
 */
export function sentOnce<C extends object>(command: C): C {
  (command as unknown as WithMiddleware).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        // Inside the retry loop (deserialize runs for every attempt), around the deserializer
        // that turns AWS's answer into the error: the strategy sees the mark.
        if (error && typeof error === 'object') (error as Record<symbol, boolean>)[SENT_ONCE] = true;
        throw error;
      }
    },
    { step: 'deserialize', name: 'clusterflowSentOnce', priority: 'high' },
  );
  return command;
}

function mustNotResend(error: unknown): boolean {
  return Boolean(error && typeof error === 'object' && (error as Record<symbol, boolean>)[SENT_ONCE]);
}

/**
 * A quota the SDK takes for throttling: its standard strategy backs off on any
 * LimitExceededException, but those of the services we call (IAM's LimitExceeded: a profile
 * already holds its one role, the account's roles are used up; Secrets Manager's) are limits
 * no wait lifts. The resend after a lost AddRoleToInstanceProfile answer meets exactly that,
 * and would otherwise be sent seven more times, backing off for up to a minute.
 */
function isQuota(error: unknown): boolean {
  return isAwsServiceError(error) && error.name === 'LimitExceededException';
}

/** `strategy`, except that it never retries a call whose keys AWS refused, a quota, nor a create marked sentOnce. */
export function withoutRefusedKeyRetries(strategy: RetryStrategy): RetryStrategy {
  return {
    acquireInitialRetryToken: (scope) => strategy.acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: async (token, info) => {
      if (mustNotResend(info.error) || isQuota(info.error)) throw info.error;
      if (isKeysRefused(info.error) && !worthOneRetry(info.error, token)) throw info.error;
      return strategy.refreshRetryTokenForRetry(token, info);
    },
    recordSuccess: (token) => strategy.recordSuccess(token),
  };
}

/** A client extension (`extensions: [refusedKeysAreFinal]`) wrapping whatever retry strategy the client resolved. */
export const refusedKeysAreFinal = {
  configure(config: RetryConfiguration): void {
    const resolved = config.retryStrategy();
    let wrapped: Promise<AnyRetryStrategy> | undefined;
    config.setRetryStrategy(() => (wrapped ??= resolved().then((strategy) => (isRetryStrategyV2(strategy) ? withoutRefusedKeyRetries(strategy) : strategy))));
  },
};
