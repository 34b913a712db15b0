import { DescribeSpotPriceHistoryCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import type { PricingClient } from '@aws-sdk/client-pricing';
import { AwsDeps, SessionWhere, withSession } from './aws-session';
import { instanceQuery, lookUp } from './pricing';

/** The newest spot price of an instance type in one AZ (USD per hour), and when it was set. */
export interface SpotPrice {
  az: string;
  price: number;
  at: string;
}

/**
 * The prices a spot bid is made from, for the spot watcher's activities and the API's dry run
 * of a spot pool's reconfigure alike: the on-demand price of the type (the Pricing API,
 * cached by pricing.ts for an hour) and its current spot price in each AZ.
 */
export async function onDemandUsd(pricing: PricingClient, instanceType: string, region: string): Promise<number> {
  const usd = await lookUp(pricing, instanceQuery(instanceType, region));
  if (usd === undefined) throw ApplicationFailure.nonRetryable(`no on-demand price published for ${instanceType} in ${region}`, 'NoOnDemandPrice');
  return usd;
}

/** The newest spot price point per AZ (Linux/UNIX) for the type, among `azs` (all when absent), sorted by AZ. */
export async function newestSpotPrices(ec2: EC2Client, instanceType: string, azs?: string[]): Promise<SpotPrice[]> {
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
      if (!az || (azs && !azs.includes(az))) continue;
      const price = Number(point.SpotPrice);
      const at = point.Timestamp?.toISOString() ?? '';
      if (!Number.isFinite(price)) continue;
      const seen = newest.get(az);
      if (!seen || at > seen.at) newest.set(az, { az, price, at });
    }
    NextToken = answer.NextToken || undefined;
  } while (NextToken && ++pages < 10);
  return [...newest.values()].sort((a, b) => a.az.localeCompare(b.az));
}

/** Both at once, with the account's keys: what a bid in `azs` would be made from now. */
export function spotQuote(deps: AwsDeps, scope: SessionWhere, instanceType: string, azs: string[]): Promise<{ onDemandUsd: number; spotPrices: SpotPrice[] }> {
  return withSession(deps, scope, async ({ ec2, pricing }) => {
    const [onDemand, spotPrices] = await Promise.all([onDemandUsd(pricing, instanceType, scope.region), newestSpotPrices(ec2, instanceType, azs)]);
    return { onDemandUsd: onDemand, spotPrices };
  });
}
