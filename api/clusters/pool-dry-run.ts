import { capacityOf, isSpotPool, type PoolSpec } from '../../common/cluster-spec';
import type { NodeStatus } from '../../common/cluster-status';
import { bidOf, rollWaitingReason } from '../../common/spot-bid';
import type { CostEstimate } from '../../cloud/pricing';
import type { SpotPrice } from '../../cloud/spot-prices';

/** What the dry run of PATCH /v1/clusters/:name/pools/:pool knows: the pool, its nodes now, the change, and the prices asked of AWS. */
export interface PoolChangeFacts {
  cluster: string;
  pool: PoolSpec;
  nodes: NodeStatus[];
  /** `rolls`: the change gives a launch setting (instance type, labels, taints, root volume). */
  change: { size?: number; instanceType?: string; rolls?: boolean };
  /** An on-demand pool's roll: why each node would be replaced (none: kept), as the reconfigure decides. */
  whyReplace?: (node: NodeStatus) => string[];
  /** One node of each instance type involved, priced (spot pools at the bid ceiling). */
  cost: CostEstimate;
  /** A spot pool's reconfigure: the new type's on-demand and spot prices now. */
  quote?: { onDemandUsd: number; spotPrices: SpotPrice[] };
}

const indexOf = (n: NodeStatus) => Number(n.key.split('/').pop());

/**
 * What a pool change would do, priced (docs/api.md#pool-changes): a scale's node count, a
 * reconfigure's replacements in the order they roll and the surge node's price; for a spot
 * pool, the new type's bid, its spot price in each AZ, and whether the roll would wait.
 */
export function poolChangeDryRun({ cluster, pool, nodes, change, cost, quote, whyReplace }: PoolChangeFacts) {
  const rolls = change.rolls ?? change.instanceType !== undefined;
  const capacity = capacityOf(pool);
  const percent = capacity.type === 'spot' ? capacity.maxPricePercent : undefined;
  const from = { instanceType: pool.instanceType, size: pool.size };
  const to = { instanceType: change.instanceType ?? pool.instanceType, size: change.size ?? pool.size };
  const unit = (instanceType: string) => cost.lines.find((l) => l.item.startsWith(`${instanceType} `))?.unitUsdPerHour;
  const hourly = (side: { instanceType: string; size: number }) => {
    const u = unit(side.instanceType);
    return u === undefined ? undefined : Number((u * side.size).toFixed(6));
  };
  const base = {
    name: cluster,
    pool: pool.name,
    dryRun: true as const,
    operation: rolls ? ('reconfigure' as const) : ('scale' as const),
    capacity,
    from,
    to,
    currency: 'USD' as const,
    usdPerHour: { from: hourly(from), to: hourly(to), basis: percent === undefined ? 'on-demand price' : `spot bid ceiling (${percent}% of on-demand)` },
    missing: cost.missing,
  };
  if (!rolls) return base;

  const newType = change.instanceType ?? pool.instanceType;
  // Each node's reasons once: rendering its bootstrap twice would say the same.
  const judged = nodes.map((n) => ({ n, reasons: whyReplace?.(n) }));
  const old = judged.filter(({ n, reasons }) => (reasons ? reasons.length > 0 : n.instanceType !== newType)).sort((a, b) => indexOf(a.n) - indexOf(b.n));
  const replacements = old.map(({ n, reasons }, i) => ({
    step: i + 1,
    key: n.key,
    instanceId: n.instanceId,
    az: n.az,
    instanceType: n.instanceType,
    newInstanceType: newType,
    ...(reasons ? { reasons } : {}),
  }));
  const surge = { what: `one extra ${newType} node at a time, while the pool rolls`, instanceType: newType, usdPerHour: unit(newType) };
  if (!isSpotPool(pool) || percent === undefined || !quote) return { ...base, replacements, surge };

  const bid = bidOf(quote.onDemandUsd, percent);
  const priceIn = (az: string) => quote.spotPrices.find((p) => p.az === az)?.price;
  const azs = pool.azs.map((az) => ({ az, spotUsdPerHour: priceIn(az), inRange: rollWaitingReason(newType, az, priceIn(az), bid) === undefined }));
  const steps = replacements.map((r) => ({ ...r, spotUsdPerHour: priceIn(r.az), waiting: rollWaitingReason(newType, r.az, priceIn(r.az), bid) }));
  const waiting = [...new Set(steps.map((s) => s.waiting).filter((w): w is string => w !== undefined))];
  return {
    ...base,
    replacements: steps,
    surge,
    spot: { maxPricePercent: percent, onDemandUsdPerHour: quote.onDemandUsd, bid, azs, wouldWait: waiting.length > 0, waiting },
  };
}
