import table from './data/ec2-throttling.json';
import type { BucketSize, ThrottlingConfig } from './config';
import { filtersOf, listParam, type AwsCall } from './protocol';

/**
 * EC2's request throttling as AWS documents it (sizes in sim/data/ec2-throttling.json,
 * from "Request throttling for the Amazon EC2 API"): a token bucket per account, Region and
 * API action, sized by the action's category or its own entry; a smaller bucket for
 * unfiltered, unpaginated calls of a few Describe actions; and resource buckets that
 * RunInstances, StartInstances, StopInstances and TerminateInstances drain by one token per
 * instance. A call that finds its bucket empty is answered RequestLimitExceeded (503).
 */

const UNFILTERED = new Set(table.categories.unfiltered.actions);
const RESOURCE_INTENSIVE = new Set(table.categories['resource-intensive'].actions);
const UNCATEGORIZED = table.uncategorized as Record<string, BucketSize>;
const RESOURCE = table.resourceBuckets as Record<string, BucketSize>;
const NON_MUTATING_PREFIXES = ['Describe', 'List', 'Search', 'Get'];

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
  const draws: Draw[] = [];
  const override = (name: string, category: string, size: BucketSize): BucketSize =>
    config.buckets[name] ?? config.buckets[`category:${category}`] ?? size;

  if (UNCATEGORIZED[action]) {
    draws.push({ bucket: action, size: override(action, 'uncategorized', UNCATEGORIZED[action]), tokens: 1 });
  } else if (NON_MUTATING_PREFIXES.some((p) => action.startsWith(p))) {
    const paginated = call.params.has('MaxResults') || call.params.has('NextToken');
    if (UNFILTERED.has(action) && !paginated && filtersOf(call.params).length === 0) {
      const name = `${action}#unfiltered`;
      draws.push({ bucket: name, size: override(name, 'unfiltered', table.categories.unfiltered), tokens: 1 });
    } else {
      draws.push({ bucket: action, size: override(action, 'non-mutating', table.categories['non-mutating']), tokens: 1 });
    }
  } else if (RESOURCE_INTENSIVE.has(action)) {
    draws.push({ bucket: action, size: override(action, 'resource-intensive', table.categories['resource-intensive']), tokens: 1 });
  } else {
    draws.push({ bucket: action, size: override(action, 'mutating', table.categories.mutating), tokens: 1 });
  }

  const resource = RESOURCE[action];
  if (resource) {
    const name = `${action}#resource`;
    const count =
      action === 'RunInstances'
        ? Math.max(1, Number(call.params.get('MaxCount') ?? call.params.get('MinCount') ?? '1') || 1)
        : Math.max(1, listParam(call.params, 'InstanceId').length);
    draws.push({ bucket: name, size: config.buckets[name] ?? resource, tokens: count });
  }
  return draws;
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
