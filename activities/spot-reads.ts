import type { SharedReads } from '../cloud/shared-reads';
import type { InstanceInfo, ListClusterInstancesInput, OnDemandPriceInput, Scope, SpotPrice, SpotPricesInput } from './types';

/** The reads a spot watcher's tick makes (activities/spot-prices.ts, activities/instances.ts). */
export interface SpotReads {
  onDemandPrice(input: OnDemandPriceInput): Promise<number>;
  spotPrices(input: SpotPricesInput): Promise<SpotPrice[]>;
  listClusterInstances(input: ListClusterInstancesInput): Promise<InstanceInfo[]>;
}

/**
 * `own` made shared across the watchers of this process when the caller allows it
 * (docs/architecture.md#spot-watcher): prices within `sharedWithinMs` by account, region and
 * instance type (spot prices of every AZ, each caller taking its own; the account id is in the
 * key, as AZ names map to different zones in different accounts; the read runs in its first
 * asker's activity, under that attempt's time); the listing, when `batched`, through
 * `listBatched`, which gathers the clusters asked within a window into one read.
 */
export function shareSpotReads(own: SpotReads, shared: SharedReads, listBatched: (scope: Scope) => Promise<InstanceInfo[]>): SpotReads {
  return {
    onDemandPrice: ({ scope, instanceType, sharedWithinMs }) =>
      sharedWithinMs
        ? shared.get(`on-demand|${scope.accountId}|${scope.region}|${instanceType}`, sharedWithinMs, () => own.onDemandPrice({ scope, instanceType }))
        : own.onDemandPrice({ scope, instanceType }),
    spotPrices: async ({ scope, instanceType, azs, sharedWithinMs }) => {
      if (!sharedWithinMs) return own.spotPrices({ scope, instanceType, azs });
      const all = await shared.get(`spot|${scope.accountId}|${scope.region}|${instanceType}`, sharedWithinMs, () => own.spotPrices({ scope, instanceType }));
      return azs ? all.filter((p) => azs.includes(p.az)) : all;
    },
    listClusterInstances: ({ scope, batched }) => (batched ? listBatched(scope) : own.listClusterInstances({ scope })),
  };
}
