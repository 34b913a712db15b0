import { AwsError, ec2Response, escapeXml, type WireResponse } from '../errors';
import { globMatch } from '../filters';
import { pricedInstanceTypes } from '../pricing/catalog';
import { filtersOf, listParam, type AwsCall } from '../protocol';
import type { Sim } from '../sim';
import { formatSpotPrice } from './market';

/**
 * DescribeSpotPriceHistory over the simulator's price series, as EC2 answers it: records
 * newest first; with StartTime/EndTime, the points inside the window plus the last change
 * before StartTime (the price in effect at the start); InstanceTypes, ProductDescriptions,
 * AvailabilityZone and the documented filters; MaxResults/NextToken pagination.
 */

const LINUX = 'Linux/UNIX';
const LINUX_VPC = 'Linux/UNIX (Amazon VPC)';

interface Row {
  az: string;
  type: string;
  product: string;
  price: number;
  at: number;
}

function time(call: AwsCall, name: string): number | undefined {
  const raw = call.params.get(name);
  if (!raw) return undefined;
  const value = Date.parse(raw);
  if (Number.isNaN(value)) throw new AwsError('InvalidParameterValue', `Value (${raw}) for parameter ${name} is invalid.`);
  return value;
}

export async function describeSpotPriceHistory(sim: Sim, call: AwsCall): Promise<WireResponse> {
  const region = call.region;
  const filters = filtersOf(call.params);
  const start = time(call, 'StartTime');
  const end = time(call, 'EndTime');
  if (start !== undefined && end !== undefined && end < start) {
    throw new AwsError('InvalidParameterValue', 'EndTime must not be earlier than StartTime.');
  }

  const zones = await sim.moto.zonesOf(region).catch(() => [] as string[]);
  const wantedAz = call.params.get('AvailabilityZone');
  if (wantedAz && !zones.includes(wantedAz)) {
    throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${wantedAz}]`);
  }
  const requestedTypes = listParam(call.params, 'InstanceType');
  const types = requestedTypes.length ? requestedTypes : [...new Set([...pricedInstanceTypes(region), ...sim.spot.typesSetIn(region)])].sort();
  const requestedProducts = listParam(call.params, 'ProductDescription');
  const products = requestedProducts.length ? requestedProducts.filter((p) => p === LINUX || p === LINUX_VPC) : [LINUX];

  const rows: Row[] = [];
  for (const az of wantedAz ? [wantedAz] : zones) {
    for (const type of types) {
      const points = sim.spot.pointsOf(region, az, type);
      if (!points) continue;
      let chosen = points.filter((p) => (start === undefined || p.at >= start) && (end === undefined || p.at <= end));
      if (start !== undefined) {
        const before = points.filter((p) => p.at < start && (end === undefined || p.at <= end)).pop();
        if (before) chosen = [before, ...chosen];
      }
      for (const product of products) for (const p of chosen) rows.push({ az, type, product, price: p.price, at: p.at });
    }
  }

  const extract: Record<string, (row: Row) => string> = {
    'availability-zone': (row) => row.az,
    'instance-type': (row) => row.type,
    'product-description': (row) => row.product,
    'spot-price': (row) => formatSpotPrice(row.price),
    timestamp: (row) => new Date(row.at).toISOString(),
  };
  for (const filter of filters) {
    if (!extract[filter.name]) throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
  }
  const kept = rows.filter((row) =>
    filters.every((f) =>
      f.values.some((pattern) => {
        if (f.name === 'spot-price' && !/[*?]/.test(pattern)) return Number(pattern) === row.price;
        return globMatch(pattern, extract[f.name](row));
      }),
    ),
  );
  kept.sort((a, b) => b.at - a.at || a.az.localeCompare(b.az) || a.type.localeCompare(b.type) || a.product.localeCompare(b.product));

  const maxRaw = call.params.get('MaxResults');
  const max = maxRaw === null ? 1000 : Number(maxRaw);
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw new AwsError('InvalidParameterValue', 'MaxResults must be between 1 and 1000.');
  let offset = 0;
  const token = call.params.get('NextToken');
  if (token) {
    offset = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw new AwsError('InvalidNextToken', 'The specified token is not valid.');
  }
  const pageRows = kept.slice(offset, offset + max);
  const next = offset + max < kept.length ? Buffer.from(String(offset + max)).toString('base64') : '';

  const itemsXml = pageRows
    .map(
      (row) =>
        `<item><availabilityZone>${row.az}</availabilityZone><instanceType>${escapeXml(row.type)}</instanceType>` +
        `<productDescription>${escapeXml(row.product)}</productDescription><spotPrice>${formatSpotPrice(row.price)}</spotPrice>` +
        `<timestamp>${new Date(row.at).toISOString()}</timestamp></item>`,
    )
    .join('');
  return ec2Response('DescribeSpotPriceHistory', `<spotPriceHistorySet>${itemsXml}</spotPriceHistorySet><nextToken>${next}</nextToken>`);
}
