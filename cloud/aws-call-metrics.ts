import { classifyAwsError, isThrottling } from './aws-errors';

/** One AWS call as the metrics see it: `EC2`, `DescribeVpcs`. */
export interface AwsCall {
  service: string;
  action: string;
}

/**
 * Told of every AWS call a session's clients make: once per call when it ends (`ok`,
 * `throttled`, or the AWS or network error code it failed with, after the SDK's retries), and
 * once per attempt AWS throttled (most of which the retries absorb). The worker counts them
 * (worker/metrics.ts); the API passes none.
 */
export interface AwsCallObserver {
  ended(call: AwsCall, outcome: string): void;
  throttled(call: AwsCall): void;
}

/** The outcome label of a failed call: bounded by the codes AWS and the network have. */
export function outcomeOf(error: unknown): string {
  if (isThrottling(error)) return 'throttled';
  return classifyAwsError(error)?.code ?? (error instanceof Error && error.name ? error.name : 'error');
}

interface HandlerContext {
  clientName?: string;
  commandName?: string;
}
type Handler = (args: unknown) => Promise<unknown>;
interface MiddlewareStackLike {
  add(middleware: (next: Handler, context: HandlerContext) => Handler, options: { step: string; name: string; priority?: string }): void;
}

function callOf(context: HandlerContext): AwsCall {
  return {
    service: (context.clientName ?? 'Unknown').replace(/Client$/, ''),
    action: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
  };
}

/**
 * Adds the observer's two middlewares to a client: one around the whole call (initialize
 * step, outside the SDK's retries), one around each attempt (finalizeRequest step at low
 * priority, inside the retry middleware), so a throttled attempt is seen even when a retry succeeds.
 */
export function observeCalls<C extends { middlewareStack: unknown }>(client: C, observer: AwsCallObserver | undefined): C {
  if (!observer) return client;
  const stack = client.middlewareStack as MiddlewareStackLike;
  stack.add(
    (next, context) => async (args) => {
      const call = callOf(context);
      try {
        const result = await next(args);
        observer.ended(call, 'ok');
        return result;
      } catch (error) {
        observer.ended(call, outcomeOf(error));
        throw error;
      }
    },
    { step: 'initialize', name: 'clusterflowCallMetrics', priority: 'high' },
  );
  stack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isThrottling(error)) observer.throttled(callOf(context));
        throw error;
      }
    },
    { step: 'finalizeRequest', name: 'clusterflowAttemptMetrics', priority: 'low' },
  );
  return client;
}
