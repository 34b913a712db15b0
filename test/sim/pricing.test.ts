import { DescribeServicesCommand, GetAttributeValuesCommand, GetProductsCommand, paginateGetProducts, type PricingClient } from '@aws-sdk/client-pricing';
import prices from '../../sim/data/aws-prices.json';
import { useHarness } from './harness';

/** Feature 1: the Price List Query API, in AWS's response shape, from real published prices. */

const h = useHarness();
let pricing: PricingClient;
beforeAll(() => {
  pricing = h.pricing();
});

interface PriceListEntry {
  product: { productFamily: string; sku: string; attributes: Record<string, string> };
  serviceCode: string;
  terms: { OnDemand: Record<string, { priceDimensions: Record<string, { unit: string; pricePerUnit: { USD: string } }> }> };
}

function entries(list: unknown[] | undefined): PriceListEntry[] {
  return (list ?? []).map((p) => JSON.parse(String(p)) as PriceListEntry);
}

function onDemandUsd(entry: PriceListEntry): number {
  const term = Object.values(entry.terms.OnDemand)[0];
  const dimension = Object.values(term.priceDimensions)[0];
  return Number(dimension.pricePerUnit.USD);
}

const term = (Field: string, Value: string) => ({ Type: 'TERM_MATCH' as const, Field, Value });

it('answers GetProducts for m5.large in us-east-1 with a parseable on-demand price', async () => {
  const out = await pricing.send(
    new GetProductsCommand({
      ServiceCode: 'AmazonEC2',
      Filters: [
        term('instanceType', 'm5.large'),
        term('regionCode', 'us-east-1'),
        term('operatingSystem', 'Linux'),
        term('tenancy', 'Shared'),
        term('preInstalledSw', 'NA'),
        term('capacitystatus', 'Used'),
      ],
    }),
  );
  expect(out.FormatVersion).toBe('aws_v1');
  expect(out.PriceList).toHaveLength(1);
  const entry = entries(out.PriceList)[0];
  expect(entry.serviceCode).toBe('AmazonEC2');
  expect(entry.product.productFamily).toBe('Compute Instance');
  expect(entry.product.attributes).toMatchObject({ instanceType: 'm5.large', vcpu: '2', memory: '8 GiB', location: 'US East (N. Virginia)', usagetype: 'BoxUsage:m5.large' });
  expect(onDemandUsd(entry)).toBe(Number(prices.onDemandLinuxHourlyUsd['us-east-1']['m5.large']));
  expect(onDemandUsd(entry)).toBeCloseTo(0.096, 6);
});

it('prices differ by region as published (eu-west-1 by location name)', async () => {
  const out = await pricing.send(
    new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [term('instanceType', 'm5.large'), term('location', 'EU (Ireland)'), term('productFamily', 'Compute Instance')] }),
  );
  const entry = entries(out.PriceList)[0];
  expect(entry.product.attributes.usagetype).toBe('EU-BoxUsage:m5.large');
  expect(onDemandUsd(entry)).toBeCloseTo(0.107, 6);
});

it('covers the families a cluster uses in the three regions', async () => {
  for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
    for (const type of ['t3.medium', 'm5.xlarge', 'm6i.large', 'c5.2xlarge', 'r5.large', 'g4dn.xlarge']) {
      const out = await pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [term('instanceType', type), term('regionCode', region)] }));
      expect(out.PriceList).toHaveLength(1);
      const usd = onDemandUsd(entries(out.PriceList)[0]);
      expect(usd).toBe(Number((prices.onDemandLinuxHourlyUsd as Record<string, Record<string, string>>)[region][type]));
    }
  }
});

it('prices NAT gateway hours and network load balancer hours', async () => {
  const nat = await pricing.send(
    new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [term('productFamily', 'NAT Gateway'), term('regionCode', 'us-west-2'), term('usagetype', 'USW2-NatGateway-Hours')] }),
  );
  expect(nat.PriceList).toHaveLength(1);
  const natEntry = entries(nat.PriceList)[0];
  expect(Object.values(Object.values(natEntry.terms.OnDemand)[0].priceDimensions)[0].unit).toBe('Hrs');
  expect(onDemandUsd(natEntry)).toBeCloseTo(0.045, 6);

  const nlb = await pricing.send(
    new GetProductsCommand({ ServiceCode: 'AWSELB', Filters: [term('productFamily', 'Load Balancer-Network'), term('regionCode', 'eu-west-1')] }),
  );
  const hourly = entries(nlb.PriceList).find((e) => e.product.attributes.usagetype === 'EU-LoadBalancerUsage');
  expect(hourly && onDemandUsd(hourly)).toBeCloseTo(0.0252, 6);
});

it('supports the other filter types and pagination', async () => {
  const any = await pricing.send(
    new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [{ Type: 'ANY_OF', Field: 'instanceType', Value: 'm5.large,c5.large' }, term('regionCode', 'us-east-1')] }),
  );
  expect(entries(any.PriceList).map((e) => e.product.attributes.instanceType).sort()).toEqual(['c5.large', 'm5.large']);

  const contains = await pricing.send(
    new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [{ Type: 'CONTAINS', Field: 'instanceType', Value: 'g4dn' }, term('regionCode', 'us-east-1')] }),
  );
  expect(contains.PriceList?.length).toBe(6);

  const pages: unknown[] = [];
  for await (const page of paginateGetProducts({ client: pricing, pageSize: 7 }, { ServiceCode: 'AmazonEC2', Filters: [term('regionCode', 'us-east-1'), term('productFamily', 'Compute Instance')] })) {
    expect((page.PriceList ?? []).length).toBeLessThanOrEqual(7);
    pages.push(...(page.PriceList ?? []));
  }
  expect(pages).toHaveLength(Object.keys(prices.onDemandLinuxHourlyUsd['us-east-1']).length);
  expect(new Set(entries(pages).map((e) => e.product.sku)).size).toBe(pages.length);
});

it('answers DescribeServices and GetAttributeValues', async () => {
  const services = await pricing.send(new DescribeServicesCommand({ ServiceCode: 'AmazonEC2' }));
  expect(services.Services?.[0]?.ServiceCode).toBe('AmazonEC2');
  expect(services.Services?.[0]?.AttributeNames).toEqual(expect.arrayContaining(['instanceType', 'regionCode', 'operatingSystem', 'tenancy']));

  const values = await pricing.send(new GetAttributeValuesCommand({ ServiceCode: 'AmazonEC2', AttributeName: 'regionCode' }));
  expect(values.AttributeValues?.map((v) => v.Value)).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);

  await expect(pricing.send(new GetAttributeValuesCommand({ ServiceCode: 'AmazonEC2', AttributeName: 'noSuchAttribute' }))).rejects.toMatchObject({
    name: 'NotFoundException',
  });
});

it('says where its prices come from', () => {
  expect(prices.source.publishedBy).toContain('aws.amazon.com');
  expect(prices.source.transcribed).toMatch(/^\d{4}-\d{2}-\d{2}$/);
});
