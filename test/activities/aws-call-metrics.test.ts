import { createActivities } from '../../activities';
import type { AwsCall, AwsCallObserver } from '../../cloud/aws-call-metrics';
import { putSimConfig } from '../support/sim-client';
import { mockEnvironment, newScope, simOnly, useBackend } from './support';

/**
 * What the worker's AWS call metrics see (cloud/aws-call-metrics.ts), through a real activity,
 * real SDK clients and the simulator: each call once when it ends, with its outcome after the
 * SDK's retries, and each throttled attempt, retried or not.
 */
describe('AWS call metrics', () => {
  const aws = useBackend();

  function recorder() {
    const ended: string[] = [];
    const throttled: string[] = [];
    const name = ({ service, action }: AwsCall) => `${service}:${action}`;
    const observer: AwsCallObserver = { ended: (call, outcome) => ended.push(`${name(call)} ${outcome}`), throttled: (call) => throttled.push(name(call)) };
    const activities = createActivities({ ...aws.deps, awsCalls: observer });
    const spotPrices = () => mockEnvironment().run(activities.spotPrices, { scope: newScope('m'), instanceType: 'm5.large', azs: ['us-east-1a'] });
    return { ended, throttled, spotPrices };
  }

  it('sees each call of an activity once, by service and action, with its outcome', async () => {
    const { ended, throttled, spotPrices } = recorder();
    await spotPrices();
    expect(ended).toEqual(['EC2:DescribeSpotPriceHistory ok']);
    expect(throttled).toEqual([]);
  });

  simOnly('names a refused call by its error code', 'bare moto cannot inject faults', async () => {
    const { ended, spotPrices } = recorder();
    await putSimConfig(aws.url, { faults: { 'ec2:DescribeSpotPriceHistory': { code: 'InvalidParameterValue', rate: 1, count: 1, httpStatus: 400, message: 'no' } } });
    await expect(spotPrices()).rejects.toThrow(/InvalidParameterValue/);
    expect(ended).toEqual(['EC2:DescribeSpotPriceHistory InvalidParameterValue']);
  });

  simOnly('counts throttled attempts that the retries absorb, and the calls as ok', 'bare moto does not throttle', async () => {
    const { ended, throttled, spotPrices } = recorder();
    await putSimConfig(aws.url, { throttling: { enabled: true, buckets: { DescribeSpotPriceHistory: { capacity: 1, refillPerSecond: 4 } } } });
    try {
      await Promise.all([spotPrices(), spotPrices(), spotPrices()]);
    } finally {
      await putSimConfig(aws.url, { throttling: { buckets: { DescribeSpotPriceHistory: null } } });
    }
    expect(ended).toEqual(Array(3).fill('EC2:DescribeSpotPriceHistory ok'));
    expect(throttled.length).toBeGreaterThanOrEqual(2);
    expect(new Set(throttled)).toEqual(new Set(['EC2:DescribeSpotPriceHistory']));
  });
});
