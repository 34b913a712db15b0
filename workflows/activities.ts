import type { RetryPolicy } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Activity stubs by kind of call. AWS errors that retrying cannot fix arrive as
 * non-retryable failures (activities/aws-errors.ts); the rest are retried with backoff.
 */
const retry: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 };

/** Single AWS calls (plus their look-ups). */
export const aws = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry });

/** Calls that wait for AWS to reach a state; they heartbeat while they poll. */
export const awsWait = proxyActivities<Activities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '1 minute', retry });
