import table from './data/ec2-throttling.json';

/**
 * EC2's request throttling as AWS documents it (sizes in common/data/ec2-throttling.json, from
 * "Request throttling for the Amazon EC2 API"): a token bucket per account, Region and API
 * action, sized by the action's category or its own entry; a smaller bucket for unfiltered,
 * unpaginated calls of a few Describe actions; and resource buckets that RunInstances,
 * StartInstances, StopInstances and TerminateInstances drain by one token per instance.
 *
 * One table for both sides: the simulator throttles with it (sim/throttling.ts), and the
 * worker keeps its own calls within it (cloud/rate-limiter.ts).
 */

export interface BucketSize {
  capacity: number;
  refillPerSecond: number;
}

export type BucketCategory = 'uncategorized' | 'non-mutating' | 'unfiltered' | 'mutating' | 'resource-intensive' | 'resource';

/** What of a call decides its buckets: its action, whether it filters or pages, how many instances it names. */
export interface Ec2CallShape {
  action: string;
  /** The call has at least one filter (`Filter.N` / `Filters`). */
  filtered: boolean;
  /** The call pages (`MaxResults` or `NextToken`). */
  paginated: boolean;
  /** Instances it launches (`MaxCount`) or names (`InstanceId.N`), for the resource buckets; 1 when none. */
  instances: number;
}

export interface Ec2Draw {
  /** The bucket's name, e.g. `RunInstances`, `DescribeInstances#unfiltered`, `RunInstances#resource`. */
  bucket: string;
  category: BucketCategory;
  size: BucketSize;
  tokens: number;
}

const UNFILTERED = new Set(table.categories.unfiltered.actions);
const RESOURCE_INTENSIVE = new Set(table.categories['resource-intensive'].actions);
const UNCATEGORIZED = table.uncategorized as Record<string, BucketSize>;
const RESOURCE = table.resourceBuckets as Record<string, BucketSize>;
const NON_MUTATING_PREFIXES = ['Describe', 'List', 'Search', 'Get'];

const sizeOf = (size: BucketSize): BucketSize => ({ capacity: size.capacity, refillPerSecond: size.refillPerSecond });

/** The sizes of each category's bucket, as documented. */
export const CATEGORY_SIZES: Record<Exclude<BucketCategory, 'uncategorized' | 'resource'>, BucketSize> = {
  'non-mutating': sizeOf(table.categories['non-mutating']),
  unfiltered: sizeOf(table.categories.unfiltered),
  mutating: sizeOf(table.categories.mutating),
  'resource-intensive': sizeOf(table.categories['resource-intensive']),
};

/** The buckets an EC2 call draws from, and how many tokens from each. */
export function ec2Draws(call: Ec2CallShape): Ec2Draw[] {
  const { action } = call;
  const draws: Ec2Draw[] = [];
  if (UNCATEGORIZED[action]) {
    draws.push({ bucket: action, category: 'uncategorized', size: sizeOf(UNCATEGORIZED[action]), tokens: 1 });
  } else if (NON_MUTATING_PREFIXES.some((p) => action.startsWith(p))) {
    if (UNFILTERED.has(action) && !call.paginated && !call.filtered) {
      draws.push({ bucket: `${action}#unfiltered`, category: 'unfiltered', size: CATEGORY_SIZES.unfiltered, tokens: 1 });
    } else {
      draws.push({ bucket: action, category: 'non-mutating', size: CATEGORY_SIZES['non-mutating'], tokens: 1 });
    }
  } else if (RESOURCE_INTENSIVE.has(action)) {
    draws.push({ bucket: action, category: 'resource-intensive', size: CATEGORY_SIZES['resource-intensive'], tokens: 1 });
  } else {
    draws.push({ bucket: action, category: 'mutating', size: CATEGORY_SIZES.mutating, tokens: 1 });
  }
  const resource = RESOURCE[action];
  if (resource) draws.push({ bucket: `${action}#resource`, category: 'resource', size: sizeOf(resource), tokens: Math.max(1, call.instances) });
  return draws;
}
