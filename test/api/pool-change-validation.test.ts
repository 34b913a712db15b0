import { freePort } from '../../common/ports';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';

/**
 * PATCH /v1/clusters/:name/pools/:pool refuses malformed input with 400 naming the field and
 * the rule, the change and its dry run alike, before it asks the cluster anything: AWS and
 * Temporal point at closed ports. What needs the cluster (a spot pool's roll, the dry run's
 * prices, the day-2 rules) is in test/e2e/spot.test.ts and test/workflows/spot-reconfigure.test.ts.
 */
describe('PATCH /v1/clusters/:name/pools/:pool validation', () => {
  let api: ApiUnderTest;

  beforeAll(async () => {
    api = await startApi({ awsEndpoint: `http://127.0.0.1:${await freePort()}` });
  });

  afterAll(async () => {
    await api?.close();
  });

  const problems = (r: { body: { details: Array<{ field: string; rule: string }> } }) => r.body.details.map((d) => `${d.field} ${d.rule}`).sort();

  it.each([
    ['no change', {}, ['body one-change']],
    ['a size that is not whole', { size: 1.5 }, ['size isInt']],
    ['a negative size', { size: -1 }, ['size min']],
    ['an instance type EC2 has no such shape for', { instanceType: 'huge' }, ['instanceType matches']],
    ['an unknown field', { instanceType: 'm5.xlarge', bid: 1 }, ['bid whitelistValidation']],
  ])('400 for %s, naming the field and rule, for the change and its dry run alike', async (_what, body, expected) => {
    for (const query of ['', '?dryRun=true']) {
      const r = await call(api.base, 'PATCH', `/v1/clusters/demo/pools/spot${query}`, { token: api.token, body });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(problems(r)).toEqual(expected);
    }
  });

  it('400 for a dryRun that is not true or false', async () => {
    const r = await call(api.base, 'PATCH', '/v1/clusters/demo/pools/spot?dryRun=maybe', { token: api.token, body: { instanceType: 'm5.xlarge' } });
    expect(r.status).toBe(400);
  });
});
