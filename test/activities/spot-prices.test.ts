import { clearPriceCache } from '../../activities/pricing';
import { newScope, useBackend } from './support';

/** The spot watcher's price reads against the simulator: on-demand from the Pricing API, spot per AZ. */
describe('spot price activities', () => {
  const aws = useBackend();
  beforeEach(() => clearPriceCache());

  it('reads the on-demand price of an instance type from the Pricing API', async () => {
    if (aws.kind !== 'sim') return; // bare moto has no Pricing API
    expect(await aws.run('onDemandPrice', { scope: newScope('sp'), instanceType: 'm5.large' })).toBe(0.096);
    await expect(aws.run('onDemandPrice', { scope: newScope('sp'), instanceType: 'zz9.plural' })).rejects.toMatchObject({ type: 'NoOnDemandPrice' });
  });

  it('answers the newest spot price in each asked AZ', async () => {
    if (aws.kind !== 'sim') return; // moto's spot price is a constant
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
