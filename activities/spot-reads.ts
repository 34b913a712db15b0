import type { SharedReads } from '../cloud/shared-reads';
import type { InstanceInfo, ListClusterInstancesInput, OnDemandPriceInput, SpotPrice, SpotPricesInput } from './types';

/** The reads a spot watcher's tick makes (activities/spot-prices.ts, activities/instances.ts). */
export interface SpotReads {
  onDemandPrice(input: OnDemandPriceInput): Promise<number>;
  spotPrices(input: SpotPricesInput): Promise<SpotPrice[]>;
  listClusterInstances(input: ListClusterInstancesInput): Promise<InstanceInfo[]>;
}

/**
 * `own` made shared across the watchers of this process when the caller allows it
 * (`sharedWithinMs`, docs/architecture.md#spot-watcher): prices by account, region and
 * instance type (spot prices of every AZ, each caller taking its own), the listing by cluster.
 * The account id is in every key: AZ names map to different zones in different accounts.
 * The shared read runs in its first asker's activity, under that attempt's time.
 */
export function shareSpotReads(own: SpotReads, shared: SharedReads): SpotReads {
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
    listClusterInstances: ({ scope, sharedWithinMs }) =>
      sharedWithinMs
        ? shared.get(`listing|${scope.accountId}|${scope.region}|${scope.owner.cluster}`, sharedWithinMs, () => own.listClusterInstances({ scope }))
        : own.listClusterInstances({ scope }),
  };
}
