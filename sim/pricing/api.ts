import { AwsError, jsonResponse, type WireResponse } from '../errors';
import type { AwsCall } from '../protocol';
import { CATALOG, priceListEntry, type Product } from './catalog';

/**
 * The AWS Price List Query API (service `pricing`, JSON 1.1, target AWSPriceListService):
 * GetProducts, DescribeServices and GetAttributeValues over the simulator's price list.
 */

interface Filter {
  Type?: string;
  Field?: string;
  Value?: string;
}

function fieldValue(product: Product, field: string): string | undefined {
  const lower = field.toLowerCase();
  if (lower === 'servicecode') return product.serviceCode;
  if (lower === 'productfamily') return product.productFamily;
  if (lower === 'sku') return product.sku;
  const key = Object.keys(product.attributes).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : product.attributes[key];
}

function matches(product: Product, filter: Filter): boolean {
  if (!filter.Field || filter.Value === undefined) throw new AwsError('InvalidParameterException', 'Each filter needs a Field and a Value.');
  const actual = fieldValue(product, filter.Field);
  const type = filter.Type ?? 'TERM_MATCH';
  const wanted = filter.Value;
  switch (type) {
    case 'TERM_MATCH':
      return actual !== undefined && actual.toLowerCase() === wanted.toLowerCase();
    case 'EQUALS':
      return actual === wanted;
    case 'CONTAINS':
      return actual !== undefined && actual.toLowerCase().includes(wanted.toLowerCase());
    case 'ANY_OF':
      return actual !== undefined && wanted.split(',').some((v) => v.trim().toLowerCase() === actual.toLowerCase());
    case 'NONE_OF':
      return actual === undefined || !wanted.split(',').some((v) => v.trim().toLowerCase() === actual.toLowerCase());
    default:
      throw new AwsError('InvalidParameterException', `Filter type ${type} is not valid. Valid types: TERM_MATCH, EQUALS, CONTAINS, ANY_OF, NONE_OF.`);
  }
}

function page<T>(list: T[], call: AwsCall, cap: number): { slice: T[]; next?: string } {
  const max = call.json.MaxResults === undefined ? cap : Number(call.json.MaxResults);
  if (!Number.isInteger(max) || max < 1 || max > cap) throw new AwsError('InvalidParameterException', `MaxResults must be between 1 and ${cap}.`);
  let start = 0;
  if (typeof call.json.NextToken === 'string' && call.json.NextToken) {
    const decoded = Number(Buffer.from(call.json.NextToken, 'base64').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw new AwsError('InvalidNextTokenException', 'The pagination token is invalid.');
    start = decoded;
  }
  const slice = list.slice(start, start + max);
  const next = start + max < list.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
  return { slice, next };
}

function serviceProducts(call: AwsCall): Product[] {
  const code = call.json.ServiceCode;
  if (typeof code !== 'string' || !code) throw new AwsError('InvalidParameterException', 'ServiceCode is required.');
  return CATALOG.filter((p) => p.serviceCode === code);
}

function attributeNames(products: Product[]): string[] {
  const names = new Set<string>();
  for (const p of products) for (const k of Object.keys(p.attributes)) names.add(k);
  names.add('productFamily');
  return [...names].sort();
}

export function handlePricing(call: AwsCall): WireResponse {
  switch (call.action) {
    case 'GetProducts': {
      const format = call.json.FormatVersion ?? 'aws_v1';
      if (format !== 'aws_v1') throw new AwsError('InvalidParameterException', 'FormatVersion must be aws_v1.');
      const filters = Array.isArray(call.json.Filters) ? (call.json.Filters as Filter[]) : [];
      const found = serviceProducts(call).filter((p) => filters.every((f) => matches(p, f)));
      const { slice, next } = page(found, call, 100);
      return jsonResponse({ FormatVersion: 'aws_v1', PriceList: slice.map(priceListEntry), ...(next ? { NextToken: next } : {}) });
    }
    case 'DescribeServices': {
      const code = call.json.ServiceCode;
      const codes = typeof code === 'string' && code ? [code] : [...new Set(CATALOG.map((p) => p.serviceCode))].sort();
      const services = codes
        .map((c) => ({ ServiceCode: c, products: CATALOG.filter((p) => p.serviceCode === c) }))
        .filter((s) => s.products.length > 0)
        .map((s) => ({ ServiceCode: s.ServiceCode, AttributeNames: attributeNames(s.products) }));
      if (typeof code === 'string' && code && services.length === 0) {
        throw new AwsError('NotFoundException', `Service ${code} is not found.`);
      }
      const { slice, next } = page(services, call, 100);
      return jsonResponse({ Services: slice, FormatVersion: 'aws_v1', ...(next ? { NextToken: next } : {}) });
    }
    case 'GetAttributeValues': {
      const products = serviceProducts(call);
      const name = call.json.AttributeName;
      if (typeof name !== 'string' || !name) throw new AwsError('InvalidParameterException', 'AttributeName is required.');
      const values = [...new Set(products.map((p) => fieldValue(p, name)).filter((v): v is string => v !== undefined))].sort();
      if (values.length === 0) throw new AwsError('NotFoundException', `Attribute ${name} is not found for service ${String(call.json.ServiceCode)}.`);
      const { slice, next } = page(values, call, 1000);
      return jsonResponse({ AttributeValues: slice.map((Value) => ({ Value })), ...(next ? { NextToken: next } : {}) });
    }
    default:
      throw new AwsError('UnknownOperationException', `The simulator's Pricing API does not implement ${call.action}.`);
  }
}
