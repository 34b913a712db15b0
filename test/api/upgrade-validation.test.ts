import { freePort } from '../../common/ports';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';

/**
 * POST /v1/clusters/:name/upgrade refuses malformed input with 400 naming the field and the
 * rule, before it asks the cluster anything: AWS and Temporal point at closed ports. The rules
 * that need the cluster's version (422) are in test/e2e/upgrade.test.ts and
 * test/workflows/upgrade.test.ts.
 */
describe('POST /v1/clusters/:name/upgrade validation', () => {
  let api: ApiUnderTest;

  beforeAll(async () => {
    api = await startApi({ awsEndpoint: `http://127.0.0.1:${await freePort()}` });
  });

  afterAll(async () => {
    await api?.close();
  });

  const problems = (r: { body: { details: Array<{ field: string; rule: string }> } }) => r.body.details.map((d) => `${d.field} ${d.rule}`).sort();

  it.each([
    ['no version', {}, ['kubernetesVersion isString', 'kubernetesVersion matches']],
    ['a minor only', { kubernetesVersion: '1.32' }, ['kubernetesVersion matches']],
    ['a leading v', { kubernetesVersion: 'v1.32.2' }, ['kubernetesVersion matches']],
    ['a number', { kubernetesVersion: 1.32 }, ['kubernetesVersion isString', 'kubernetesVersion matches']],
    ['an unknown field', { kubernetesVersion: '1.32.2', force: true }, ['force whitelistValidation']],
  ])('400 for %s, naming the field and rule, for the upgrade and its dry run alike', async (_what, body, expected) => {
    for (const query of ['', '?dryRun=true']) {
      const r = await call(api.base, 'POST', `/v1/clusters/demo/upgrade${query}`, { token: api.token, body });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(problems(r)).toEqual(expected);
      if (expected[0].startsWith('kubernetesVersion matches')) expect(r.body.message).toContain('kubernetesVersion must be a version x.y.z, e.g. 1.32.2');
    }
  });
});
