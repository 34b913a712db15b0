import type { RetryPolicy } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Activity stubs by kind of call. AWS errors that retrying cannot fix arrive as
 * non-retryable failures (activities/aws-errors.ts); the rest are retried with backoff.
 */
const retry: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 };

/**
 * Single AWS calls (plus their look-ups). The timeout is how long a call lost with a crashed
 * worker goes unnoticed: short, since every activity is safe to run again.
 */
export const aws = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry });

/**
 * Calls that wait for AWS to reach a state. They heartbeat every poll, so a crashed worker's
 * wait is noticed within the heartbeat timeout and resumed elsewhere.
 */
export const awsWait = proxyActivities<Activities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '20 seconds', retry });
