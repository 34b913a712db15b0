import { AwsDeps, withSession } from '../cloud/aws-session';
import { newestSpotPrices, onDemandUsd } from '../cloud/spot-prices';
import { OnDemandPriceInput, SpotPrice, SpotPricesInput } from './types';

/**
 * Prices a spot pool's bidding watcher needs: the on-demand price of its instance type and the
 * current spot price in each AZ (cloud/spot-prices.ts, shared with the API's dry run).
 */
export function spotPriceActivities(deps: AwsDeps) {
  return {
    /** Hourly on-demand USD price of a Linux, shared-tenancy instance type in the scope's region. */
    async onDemandPrice({ scope, instanceType }: OnDemandPriceInput): Promise<number> {
      return withSession(deps, scope, ({ pricing }) => onDemandUsd(pricing, instanceType, scope.region));
    },

    /** The newest spot price point per AZ (Linux/UNIX) for the type, among `azs`. */
    async spotPrices({ scope, instanceType, azs }: SpotPricesInput): Promise<SpotPrice[]> {
      return withSession(deps, scope, ({ ec2 }) => newestSpotPrices(ec2, instanceType, azs));
    },
  };
}
