import { AwsError } from '../errors';
import { onDemandPrice } from '../pricing/catalog';
import type { Sim } from '../sim';

/**
 * Spot prices a test controls, per (region, Availability Zone, instance type): a series of
 * (time, price) points. Until a test sets one, a series holds a single stable price below
 * the on-demand price, stamped an hour before the simulator (re)started. Setting a price
 * adds a point at now and interrupts every spot instance in that pool whose MaxPrice the
 * new price exceeds, as EC2 does.
 */

export interface PricePoint {
  at: number;
  price: number;
}

export interface SpotPriceInput {
  region: string;
  availabilityZone: string;
  instanceType: string;
  price: number;
}

function key(region: string, az: string, type: string): string {
  return `${region}|${az}|${type}`;
}

/** AWS prints spot prices with six decimals. */
export function formatSpotPrice(price: number): string {
  return price.toFixed(6);
}

export class SpotMarket {
  private readonly series = new Map<string, PricePoint[]>();
  private epoch = Date.now() - 3600_000;

  constructor(private readonly sim: Sim) {}

  reset(): void {
    this.series.clear();
    this.epoch = Date.now() - 3600_000;
  }

  /**
   * The default price of a pool: on-demand × (discount fraction + a per-AZ offset of 0 to
   * 0.06 by the AZ's letter), so AZs differ deterministically and every price stays below
   * on-demand. Undefined when the price list has no on-demand price for the type.
   */
  defaultPrice(region: string, az: string, type: string): number | undefined {
    const onDemand = onDemandPrice(region, type);
    if (onDemand === undefined) return undefined;
    const letter = az.charCodeAt(az.length - 1) - 'a'.charCodeAt(0);
    const offset = (((letter % 4) + 4) % 4) * 0.02;
    const fraction = Math.min(0.95, this.sim.config.spot.defaultDiscountFraction + offset);
    return Math.max(0.0001, Math.round(onDemand * fraction * 10000) / 10000);
  }

  /** The pool's price points, oldest first (created with the default price on first use). */
  pointsOf(region: string, az: string, type: string): PricePoint[] | undefined {
    const k = key(region, az, type);
    let points = this.series.get(k);
    if (!points) {
      const price = this.defaultPrice(region, az, type);
      if (price === undefined) return undefined;
      points = [{ at: this.epoch, price }];
      this.series.set(k, points);
    }
    return points;
  }

  current(region: string, az: string, type: string): number | undefined {
    const points = this.pointsOf(region, az, type);
    return points?.[points.length - 1].price;
  }

  /** Instance types with a price series set explicitly in this region (beyond the price list's). */
  typesSetIn(region: string): string[] {
    const out = new Set<string>();
    for (const k of this.series.keys()) {
      const [r, , type] = k.split('|');
      if (r === region) out.add(type);
    }
    return [...out];
  }

  /** Adds a point at now to each pool, then interrupts the spot instances now outbid. */
  async setPrices(inputs: SpotPriceInput[]): Promise<string[]> {
    for (const input of inputs) {
      if (!input.region || !input.availabilityZone || !input.instanceType) {
        throw new AwsError('ValidationError', 'each price needs region, availabilityZone and instanceType');
      }
      if (typeof input.price !== 'number' || !Number.isFinite(input.price) || input.price <= 0) {
        throw new AwsError('ValidationError', 'price must be a positive number (USD per hour)');
      }
    }
    for (const input of inputs) {
      const k = key(input.region, input.availabilityZone, input.instanceType);
      const points = this.pointsOf(input.region, input.availabilityZone, input.instanceType) ?? [];
      if (!this.series.has(k)) this.series.set(k, points);
      const last = points[points.length - 1];
      const at = Math.max(Date.now(), last ? last.at + 1 : 0);
      points.push({ at, price: input.price });
    }
    return this.interruptOutbid();
  }

  /** Terminates (in moto) every live spot instance whose MaxPrice is below its pool's current price. */
  async interruptOutbid(): Promise<string[]> {
    const now = this.sim.now();
    const victims = [...this.sim.instances.values()].filter((record) => {
      if (!record.spot || record.terminatedAt !== undefined || !record.availabilityZone || !record.instanceType) return false;
      const price = this.current(record.region, record.availabilityZone, record.instanceType);
      return price !== undefined && price > record.spot.maxPrice;
    });
    const interrupted: string[] = [];
    for (const record of victims) {
      // Marked first, so a concurrent request neither sees it running nor interrupts it twice.
      record.terminatedAt = now;
      record.interruptedAt = now;
      try {
        await this.sim.moto.query('ec2', { region: record.region, accessKeyId: record.accessKeyId }, 'TerminateInstances', { 'InstanceId.1': record.id });
        record.events.push({ kind: 'terminate', at: now });
        interrupted.push(record.id);
      } catch {
        // Still running in moto: it stays live, and the next price change tries again.
        record.terminatedAt = undefined;
        record.interruptedAt = undefined;
      }
    }
    return interrupted;
  }

  /** Every pool's current price, for GET /_sim/spot-prices. */
  snapshot(region?: string): Array<SpotPriceInput & { since: string }> {
    const out: Array<SpotPriceInput & { since: string }> = [];
    for (const [k, points] of this.series) {
      const [r, az, type] = k.split('|');
      if (region && r !== region) continue;
      const last = points[points.length - 1];
      out.push({ region: r, availabilityZone: az, instanceType: type, price: last.price, since: new Date(last.at).toISOString() });
    }
    return out.sort((a, b) => (a.region + a.availabilityZone + a.instanceType).localeCompare(b.region + b.availabilityZone + b.instanceType));
  }
}
