import type { MetricMeter } from '@temporalio/common';
import type { AwsCall, AwsCallObserver } from '../cloud/aws-call-metrics';

/**
 * The worker's own counters, made on the Temporal runtime's meter: they are served on the same
 * Prometheus endpoint as the SDK's metrics (workflow and activity task counts and latencies,
 * polls, slots), so one scrape sees both.
 */
export function awsCallCounters(meter: MetricMeter): AwsCallObserver {
  const calls = meter.createCounter('clusterflow_aws_calls', 'calls', 'AWS calls made by activities, by service, action and outcome (ok, throttled, or the error code), after the SDK\'s retries');
  const throttled = meter.createCounter('clusterflow_aws_throttled_attempts', 'attempts', 'AWS call attempts refused for their rate (most are retried), by service and action');
  return {
    ended: ({ service, action }: AwsCall, outcome: string) => calls.add(1, { service, action, outcome }),
    throttled: ({ service, action }: AwsCall) => throttled.add(1, { service, action }),
  };
}
