import { Filter, GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { AwsDeps, SessionWhere, withSession } from './aws-session';
import { classifyAwsError } from './aws-errors';

/**
 * Hourly cost estimates from the AWS Price List Query API, for the `estimateCost` activity,
 * the API's dry run and the spot watcher's on-demand price. An estimate is advice: a price
 * that cannot be had is listed in `missing` and the estimate goes on without it.
 *
 * These shapes are the `estimateCost` activity's too (activities/types.ts re-exports them).
 */

export interface CostInput {
  scope: SessionWhere;
  nodes: Array<{ instanceType: string; count: number; spotMaxPricePercent?: number }>;
  natGateways: number;
  /** Classic load balancers. */
  loadBalancers: number;
  networkLoadBalancers?: number;
}

export interface CostLine {
  item: string;
  count: number;
  unitUsdPerHour: number;
  usdPerHour: number;
}

export interface CostEstimate {
  currency: 'USD';
  usdPerHour: number;
  lines: CostLine[];
  /** Prices that could not be had (the estimate leaves them out and says so). */
  missing: string[];
}

/** A price list entry, as GetProducts returns it (one JSON document per product). */
export interface PriceListProduct {
  product?: { productFamily?: string; attributes?: Record<string, string>; sku?: string };
  terms?: {
    OnDemand?: Record<string, { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: Record<string, string> }> }>;
  };
}

export function parsePriceList(priceList: unknown): PriceListProduct[] {
  if (!Array.isArray(priceList)) return [];
  return priceList.map((item) => (typeof item === 'string' ? JSON.parse(item) : JSON.parse(String(item))) as PriceListProduct);
}

/**
 * The hourly on-demand USD price among `products` (those `accept` keeps). When several
 * match, the highest wins: an estimate should not come out low.
 */
export function hourlyUsd(products: PriceListProduct[], accept: (product: PriceListProduct) => boolean = () => true): number | undefined {
  let best: number | undefined;
  for (const product of products.filter(accept)) {
    for (const term of Object.values(product.terms?.OnDemand ?? {})) {
      for (const dimension of Object.values(term.priceDimensions ?? {})) {
        if (!/^h(ou)?rs?$/i.test(dimension.unit ?? '')) continue;
        const usd = Number(dimension.pricePerUnit?.USD);
        if (Number.isFinite(usd) && usd > 0 && (best === undefined || usd > best)) best = usd;
      }
    }
  }
  return best;
}

const CACHE_TTL_MS = 60 * 60 * 1000;
const cache = new Map<string, { usd: number; expires: number }>();

/** Prices change a few times a year; an hour-old one is as good as fresh. */
export function clearPriceCache(): void {
  cache.clear();
}

export interface PriceQuery {
  serviceCode: string;
  filters: Record<string, string>;
  /**
   * Keeps only products whose usage type ends so. us-east-1 usage types have no region
   * prefix ("NatGateway-Hours"), other regions do ("USW2-NatGateway-Hours").
   */
  usageTypeSuffix?: string;
}

export async function lookUp(pricing: PricingClient, query: PriceQuery): Promise<number | undefined> {
  const cacheKey = JSON.stringify(query);
  const hit = cache.get(cacheKey);
  if (hit && hit.expires > Date.now()) return hit.usd;
  const Filters: Filter[] = Object.entries(query.filters).map(([Field, Value]) => ({ Type: 'TERM_MATCH', Field, Value }));
  const products: PriceListProduct[] = [];
  let NextToken: string | undefined;
  let pages = 0;
  do {
    const answer = await pricing.send(new GetProductsCommand({ ServiceCode: query.serviceCode, Filters, FormatVersion: 'aws_v1', MaxResults: 100, NextToken }));
    products.push(...parsePriceList(answer.PriceList));
    NextToken = answer.NextToken;
  } while (NextToken && ++pages < 10);
  const suffix = query.usageTypeSuffix;
  const usd = hourlyUsd(products, suffix ? (product) => (product.product?.attributes?.usagetype ?? '').endsWith(suffix) : undefined);
  if (usd !== undefined) cache.set(cacheKey, { usd, expires: Date.now() + CACHE_TTL_MS });
  return usd;
}

export function instanceQuery(instanceType: string, region: string): PriceQuery {
  return {
    serviceCode: 'AmazonEC2',
    filters: { instanceType, regionCode: region, operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used' },
  };
}

export function natGatewayQuery(region: string): PriceQuery {
  return { serviceCode: 'AmazonEC2', filters: { productFamily: 'NAT Gateway', regionCode: region }, usageTypeSuffix: 'NatGateway-Hours' };
}

export function classicLoadBalancerQuery(region: string): PriceQuery {
  return { serviceCode: 'AWSELB', filters: { productFamily: 'Load Balancer', regionCode: region }, usageTypeSuffix: 'LoadBalancerUsage' };
}

export function networkLoadBalancerQuery(region: string): PriceQuery {
  return { serviceCode: 'AWSELB', filters: { productFamily: 'Load Balancer-Network', regionCode: region }, usageTypeSuffix: 'LoadBalancerUsage' };
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The hourly cost of what `input` lists, at on-demand prices (spot at its bid ceiling). */
export async function estimateCost(deps: AwsDeps, input: CostInput): Promise<CostEstimate> {
  const region = input.scope.region;
  return withSession(deps, input.scope, async ({ pricing }) => {
    const lines: CostLine[] = [];
    const missing: string[] = [];
    // Once the API has failed (after the SDK's retries), asking again per item only adds delay.
    let apiFailure: string | undefined;
    const price = async (query: PriceQuery, what: string): Promise<number | undefined> => {
      if (apiFailure) {
        missing.push(`${what}: Pricing API failed (${apiFailure})`);
        return undefined;
      }
      try {
        const usd = await lookUp(pricing, query);
        if (usd === undefined) missing.push(`${what}: no price published for ${region}`);
        return usd;
      } catch (error) {
        const classified = classifyAwsError(error);
        apiFailure = classified ? `${classified.code}: ${classified.message}` : (error as Error).message;
        missing.push(`${what}: Pricing API failed (${apiFailure})`);
        return undefined;
      }
    };
    const add = (item: string, count: number, unit: number) =>
      lines.push({ item, count, unitUsdPerHour: round(unit), usdPerHour: round(unit * count) });

    for (const node of input.nodes.filter((n) => n.count > 0)) {
      const onDemand = await price(instanceQuery(node.instanceType, region), `${node.instanceType} on-demand`);
      if (onDemand === undefined) continue;
      if (node.spotMaxPricePercent !== undefined) {
        // Spot bills the market price, at most the bid: the ceiling is the honest upper bound.
        add(`${node.instanceType} spot (at the bid ceiling, ${node.spotMaxPricePercent}% of on-demand)`, node.count, (onDemand * node.spotMaxPricePercent) / 100);
      } else {
        add(`${node.instanceType} on-demand`, node.count, onDemand);
      }
    }
    if (input.natGateways > 0) {
      const nat = await price(natGatewayQuery(region), 'NAT gateway hours');
      if (nat !== undefined) add('NAT gateway (hourly, before data processing)', input.natGateways, nat);
    }
    if (input.loadBalancers > 0) {
      const lb = await price(classicLoadBalancerQuery(region), 'classic load balancer hours');
      if (lb !== undefined) add('classic load balancer (hourly, before data processed)', input.loadBalancers, lb);
    }
    if ((input.networkLoadBalancers ?? 0) > 0) {
      const nlb = await price(networkLoadBalancerQuery(region), 'network load balancer hours');
      if (nlb !== undefined) add('network load balancer (hourly, before capacity units)', input.networkLoadBalancers!, nlb);
    }
    return { currency: 'USD', usdPerHour: round(lines.reduce((sum, line) => sum + line.usdPerHour, 0)), lines, missing };
  });
}
