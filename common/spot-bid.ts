/**
 * How a spot pool bids, for its watcher (workflows/spot-watcher.ts) and the API's dry run of a
 * spot pool's reconfigure alike, so the dry run says what the watcher will do. Pure.
 */

/** maxPricePercent × on-demand, rounded to 4 decimals, as MaxPrice wants it. */
export function bidOf(onDemand: number, percent: number): string {
  return (Math.round(((onDemand * percent) / 100) * 10000) / 10000).toFixed(4);
}

/** A USD price as the watcher's reasons write it: `$0.048`. */
export const usd = (price: number) => `$${Number(price.toFixed(6))}`;

/** Why a roll does not replace a node in `az` now: the new type's spot price there is unknown or above the bid. */
export function rollWaitingReason(instanceType: string, az: string, spotPrice: number | undefined, bid: string): string | undefined {
  if (spotPrice === undefined) return `waiting: no spot price of ${instanceType} known in ${az}`;
  if (spotPrice > Number(bid)) return `waiting: spot price of ${instanceType} in ${az} is ${usd(spotPrice)}, above the bid ${usd(Number(bid))}`;
  return undefined;
}
