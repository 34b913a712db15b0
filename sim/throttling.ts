import { ec2Draws, type BucketSize as Size } from '../common/ec2-throttling';
import type { BucketSize, ThrottlingConfig } from './config';
import { filtersOf, listParam, type AwsCall } from './protocol';

/**
 * EC2's request throttling as AWS documents it: the buckets a call draws from are
 * common/ec2-throttling.ts's (the table the worker's own limiter keeps to), here sized with
 * the config's overrides. A call that finds its bucket empty is answered
 * RequestLimitExceeded (503).
 */

interface Bucket {
  tokens: number;
  at: number;
}

export interface Draw {
  /** The bucket's name, e.g. `RunInstances`, `DescribeInstances#unfiltered`, `RunInstances#resource`. */
  bucket: string;
  size: BucketSize;
  tokens: number;
}

/** The buckets an EC2 call draws from, and how many tokens from each. */
export function drawsFor(call: AwsCall, config: ThrottlingConfig): Draw[] {
  const action = call.action;
  const instances =
    action === 'RunInstances'
      ? Math.max(1, Number(call.params.get('MaxCount') ?? call.params.get('MinCount') ?? '1') || 1)
      : Math.max(1, listParam(call.params, 'InstanceId').length);
  const draws = ec2Draws({
    action,
    filtered: filtersOf(call.params).length > 0,
    paginated: call.params.has('MaxResults') || call.params.has('NextToken'),
    instances,
  });
  return draws.map(({ bucket, category, size, tokens }) => {
    const override = (s: Size): BucketSize =>
      config.buckets[bucket] ?? (category === 'resource' ? undefined : config.buckets[`category:${category}`]) ?? s;
    return { bucket, size: override(size), tokens };
  });
}

export class Throttler {
  private readonly buckets = new Map<string, Bucket>();
  throttledCount = 0;

  /**
   * Takes the call's tokens, or answers false (and takes none) when any of its buckets is
   * short. Buckets start full and refill continuously.
   */
  admit(call: AwsCall, account: string, config: ThrottlingConfig, now = Date.now()): boolean {
    if (!config.enabled || call.service !== 'ec2') return true;
    const draws = drawsFor(call, config);
    const states = draws.map((draw) => {
      const capacity = draw.size.capacity * config.capacityScale;
      const rate = draw.size.refillPerSecond * config.rateScale;
      const key = `${account}|${call.region}|${draw.bucket}`;
      let bucket = this.buckets.get(key);
      if (!bucket) {
        bucket = { tokens: capacity, at: now };
        this.buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
      // A single call larger than the whole bucket can still pass once the bucket is full.
      const need = Math.min(draw.tokens, capacity);
      return { bucket, need };
    });
    if (states.some(({ bucket, need }) => bucket.tokens < need)) {
      this.throttledCount++;
      return false;
    }
    for (const { bucket, need } of states) bucket.tokens -= need;
    return true;
  }

  reset(): void {
    this.buckets.clear();
    this.throttledCount = 0;
  }
}
