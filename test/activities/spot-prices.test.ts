import { clearPriceCache } from '../../cloud/pricing';
import { newScope, simOnly, useBackend } from './support';

/** The spot watcher's price reads against the simulator: on-demand from the Pricing API, spot per AZ. */
describe('spot price activities', () => {
  const aws = useBackend();
  beforeEach(() => clearPriceCache());

  simOnly('reads the on-demand price of an instance type from the Pricing API', 'bare moto has no Pricing API', async () => {
    expect(await aws.run('onDemandPrice', { scope: newScope('sp'), instanceType: 'm5.large' })).toBe(0.096);
    await expect(aws.run('onDemandPrice', { scope: newScope('sp'), instanceType: 'zz9.plural' })).rejects.toMatchObject({ type: 'NoOnDemandPrice' });
  });

  it('answers one spot price for each asked AZ, and none for the others', async () => {
    const prices = await aws.run('spotPrices', { scope: newScope('sp'), instanceType: 'm5.large', azs: ['us-east-1b', 'us-east-1a'] });
    expect(prices.map(({ az }) => az)).toEqual(['us-east-1a', 'us-east-1b']);
    for (const { price, at } of prices) {
      expect(price).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(at))).toBe(false);
    }
  });

  simOnly('answers the newest spot price in each asked AZ', 'bare moto’s spot price is a constant a test cannot set', async () => {
    const put = (availabilityZone: string, price: number) =>
      fetch(`${aws.url}/_sim/spot-prices`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ region: 'us-east-1', availabilityZone, instanceType: 'm5.large', price }),
      });
    await put('us-east-1a', 0.05);
    await put('us-east-1a', 0.041);
    await put('us-east-1b', 0.062);
    const prices = await aws.run('spotPrices', { scope: newScope('sp'), instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] });
    expect(prices.map(({ az, price }) => ({ az, price }))).toEqual([
      { az: 'us-east-1a', price: 0.041 },
      { az: 'us-east-1b', price: 0.062 },
    ]);
  });
});
