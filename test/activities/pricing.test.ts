import { clearPriceCache, hourlyUsd, parsePriceList } from '../../cloud/pricing';
import { motoOnly, newScope, simOnly, useBackend } from './support';

/** One GetProducts PriceList entry exactly as AWS returns it (a JSON string), for m5.large in us-east-1. */
const M5_LARGE = JSON.stringify({
  product: {
    productFamily: 'Compute Instance',
    attributes: {
      instanceType: 'm5.large',
      regionCode: 'us-east-1',
      location: 'US East (N. Virginia)',
      operatingSystem: 'Linux',
      tenancy: 'Shared',
      preInstalledSw: 'NA',
      capacitystatus: 'Used',
      usagetype: 'BoxUsage:m5.large',
      vcpu: '2',
      memory: '8 GiB',
    },
    sku: '2WTMTR9HDDT7AA73',
  },
  serviceCode: 'AmazonEC2',
  terms: {
    OnDemand: {
      '2WTMTR9HDDT7AA73.JRTCKXETXF': {
        priceDimensions: {
          '2WTMTR9HDDT7AA73.JRTCKXETXF.6YS6EN2CT7': {
            unit: 'Hrs',
            endRange: 'Inf',
            description: '$0.096 per On Demand Linux m5.large Instance Hour',
            appliesTo: [],
            rateCode: '2WTMTR9HDDT7AA73.JRTCKXETXF.6YS6EN2CT7',
            beginRange: '0',
            pricePerUnit: { USD: '0.0960000000' },
          },
        },
        sku: '2WTMTR9HDDT7AA73',
        effectiveDate: '2024-11-01T00:00:00Z',
        offerTermCode: 'JRTCKXETXF',
        termAttributes: {},
      },
    },
    Reserved: {},
  },
  version: '20241101000000',
  publicationDate: '2024-11-01T00:00:00Z',
});

describe('price list parsing', () => {
  it('reads the hourly on-demand USD price from AWS’s PriceList documents', () => {
    const products = parsePriceList([M5_LARGE]);
    expect(products).toHaveLength(1);
    expect(products[0].product?.attributes?.instanceType).toBe('m5.large');
    expect(hourlyUsd(products)).toBe(0.096);
  });

  it('ignores non-hourly and zero prices, filters by product, and takes the highest match', () => {
    const perGb = JSON.stringify({
      product: { attributes: { usagetype: 'NatGateway-Bytes' } },
      terms: { OnDemand: { t: { priceDimensions: { d: { unit: 'GB', pricePerUnit: { USD: '0.045' } } } } } },
    });
    const hours = JSON.stringify({
      product: { attributes: { usagetype: 'NatGateway-Hours' } },
      terms: { OnDemand: { t: { priceDimensions: { d: { unit: 'Hrs', pricePerUnit: { USD: '0.045' } }, z: { unit: 'Hrs', pricePerUnit: { USD: '0' } } } } } },
    });
    const products = parsePriceList([perGb, hours]);
    expect(hourlyUsd(products, (p) => p.product?.attributes?.usagetype === 'NatGateway-Hours')).toBe(0.045);
    expect(hourlyUsd(products, (p) => p.product?.attributes?.usagetype === 'NatGateway-Bytes')).toBeUndefined();
    const dearer = M5_LARGE.replace('0.0960000000', '0.1010000000');
    expect(hourlyUsd(parsePriceList([M5_LARGE, dearer]))).toBe(0.101);
    expect(parsePriceList(undefined)).toEqual([]);
  });
});

describe('estimateCost', () => {
  const aws = useBackend();
  beforeEach(() => clearPriceCache());

  const input = () => ({
    scope: newScope('p'),
    nodes: [
      { instanceType: 'm5.large', count: 3 },
      { instanceType: 'm5.xlarge', count: 2, spotMaxPricePercent: 60 },
      { instanceType: 't3.micro', count: 0 },
    ],
    natGateways: 2,
    loadBalancers: 1,
  });

  simOnly('prices nodes, spot at the bid ceiling, NAT gateways and the load balancer', 'bare moto has no Pricing API', async () => {
    const estimate = await aws.run('estimateCost', input());
    expect(estimate.missing).toEqual([]);
    expect(estimate.lines).toEqual([
      { item: 'm5.large on-demand', count: 3, unitUsdPerHour: 0.096, usdPerHour: 0.288 },
      { item: 'm5.xlarge spot (at the bid ceiling, 60% of on-demand)', count: 2, unitUsdPerHour: 0.1152, usdPerHour: 0.2304 },
      { item: 'NAT gateway (hourly, before data processing)', count: 2, unitUsdPerHour: 0.045, usdPerHour: 0.09 },
      { item: 'classic load balancer (hourly, before data processed)', count: 1, unitUsdPerHour: 0.025, usdPerHour: 0.025 },
    ]);
    expect(estimate.usdPerHour).toBeCloseTo(0.6334, 6);
    expect(estimate.currency).toBe('USD');
  });

  simOnly('prices a network load balancer at its own hourly rate, not the classic one', 'bare moto has no Pricing API', async () => {
    const estimate = await aws.run('estimateCost', { ...input(), nodes: [], natGateways: 0, loadBalancers: 0, networkLoadBalancers: 1 });
    expect(estimate.missing).toEqual([]);
    expect(estimate.lines).toEqual([{ item: 'network load balancer (hourly, before capacity units)', count: 1, unitUsdPerHour: 0.0225, usdPerHour: 0.0225 }]);
  });

  /** The request of `input()` plus an instance type no price list knows, so no backend can price it. */
  function withUnknownType() {
    const request = input();
    request.nodes.push({ instanceType: 'zz9.plural', count: 1 });
    return request;
  }

  it('lists what it could not price and goes on', async () => {
    const estimate = await aws.run('estimateCost', withUnknownType());
    expect(estimate.missing).toEqual(expect.arrayContaining([expect.stringMatching(/^zz9\.plural on-demand: /)]));
    // Every item of the request is either priced or listed as missing, never dropped: five in
    // all (two node pools and the unknown type; t3.micro ×0 is no item), NAT gateways, the load balancer.
    expect(estimate.lines.length + estimate.missing.length).toBe(5);
    expect(estimate.usdPerHour).toBeCloseTo(
      estimate.lines.reduce((sum, line) => sum + line.usdPerHour, 0),
      6,
    );
  });

  simOnly('names the one price the Pricing API does not publish', 'bare moto has no Pricing API', async () => {
    const estimate = await aws.run('estimateCost', withUnknownType());
    expect(estimate.missing).toEqual(['zz9.plural on-demand: no price published for us-east-1']);
    expect(estimate.lines).toHaveLength(4);
  });

  motoOnly('without a Pricing API, prices nothing and lists every item as missing', 'the simulator serves a Pricing API', async () => {
    const estimate = await aws.run('estimateCost', withUnknownType());
    expect(estimate.lines).toEqual([]);
    expect(estimate.usdPerHour).toBe(0);
    expect(estimate.missing).toHaveLength(5);
  });
});
