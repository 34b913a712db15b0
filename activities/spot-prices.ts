import { DescribeSpotPriceHistoryCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { instanceQuery, lookUp } from '../cloud/pricing';
import { OnDemandPriceInput, SpotPrice, SpotPricesInput } from './types';

/**
 * Prices a spot pool's bidding watcher needs: the on-demand price of its instance type (the
 * Pricing API, cached by pricing.ts for an hour) and the current spot price in each AZ.
 */
export function spotPriceActivities(deps: AwsDeps) {
  return {
    /** Hourly on-demand USD price of a Linux, shared-tenancy instance type in the scope's region. */
    async onDemandPrice({ scope, instanceType }: OnDemandPriceInput): Promise<number> {
      return withSession(deps, scope, async ({ pricing }) => {
        const usd = await lookUp(pricing, instanceQuery(instanceType, scope.region));
        if (usd === undefined) throw ApplicationFailure.nonRetryable(`no on-demand price published for ${instanceType} in ${scope.region}`, 'NoOnDemandPrice');
        return usd;
      });
    },

    /** The newest spot price point per AZ (Linux/UNIX) for the type, among `azs`. */
    async spotPrices({ scope, instanceType, azs }: SpotPricesInput): Promise<SpotPrice[]> {
      return withSession(deps, scope, async ({ ec2 }) => {
        const newest = new Map<string, SpotPrice>();
        let NextToken: string | undefined;
        let pages = 0;
        do {
          const answer = await ec2.send(
            new DescribeSpotPriceHistoryCommand({
              InstanceTypes: [instanceType as _InstanceType],
              ProductDescriptions: ['Linux/UNIX'],
              // With StartTime now, EC2 answers the price in effect now (the last change before it).
              StartTime: new Date(),
              NextToken,
            }),
          );
          for (const point of answer.SpotPriceHistory ?? []) {
            const az = point.AvailabilityZone ?? '';
            if (!azs.includes(az)) continue;
            const price = Number(point.SpotPrice);
            const at = point.Timestamp?.toISOString() ?? '';
            if (!Number.isFinite(price)) continue;
            const seen = newest.get(az);
            if (!seen || at > seen.at) newest.set(az, { az, price, at });
          }
          NextToken = answer.NextToken || undefined;
        } while (NextToken && ++pages < 10);
        return [...newest.values()].sort((a, b) => a.az.localeCompare(b.az));
      });
    },
  };
}
