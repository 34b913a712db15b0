import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';
import { exampleSpec } from '../unit/fixtures';

/**
 * Pool labels, taints and root volumes, and profile changes, refuse malformed input with 400
 * naming the field and the rule before anything starts: on a create and its dry run (with a
 * real moto), and on PATCH pools/PUT profile before the cluster is asked (Temporal is not
 * running). The rules that need the cluster (422) are in test/workflows/rolling-changes.test.ts
 * and test/e2e/pool-settings.test.ts.
 */
describe('pool settings and profile change validation', () => {
  let moto: RunningMoto;
  let api: ApiUnderTest;
  let accountId: string;

  beforeAll(async () => {
    moto = await startMoto();
    api = await startApi({ awsEndpoint: moto.url });
    const account = await call(api.base, 'POST', '/v1/cloud-accounts', {
      token: api.token,
      body: { name: 'acct', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    accountId = account.body.id;
  });

  afterAll(async () => {
    await api?.close();
    await moto?.stop();
  });

  const problems = (r: { body: { details?: Array<{ field: string; rule: string }> } }) => (r.body.details ?? []).map((d) => `${d.field} ${d.rule}`).sort();

  function withWorkers(settings: Record<string, unknown>) {
    const spec = exampleSpec();
    spec.cloud.accountId = accountId;
    Object.assign(spec.pools[1], settings);
    return spec;
  }

  it.each([
    ['a label the kubelet may not set', { labels: { 'node-role.kubernetes.io/gpu': '' } }, ['pools.1.labels.node-role.kubernetes.io/gpu label-kubelet-namespace']],
    ['a malformed label key and value', { labels: { 'bad key': 'ok', team: 'no way' } }, ['pools.1.labels.bad key label-key', 'pools.1.labels.team label-value']],
    ['labels that are not an object', { labels: 'gpu=true' }, ['pools.1.labels isObject']],
    ['a taint effect Kubernetes lacks', { taints: [{ key: 'nvidia.com/gpu', effect: 'Never' }] }, ['pools.1.taints.0.effect isIn']],
    ['a taint twice', { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoSchedule' }] }, ['pools.1.taints.1 unique-taints']],
    ['a root volume smaller than the image’s', { rootVolume: { sizeGiB: 8, type: 'gp3' } }, ['pools.1.rootVolume.sizeGiB min']],
    ['a root volume type that needs IOPS', { rootVolume: { sizeGiB: 100, type: 'io2' } }, ['pools.1.rootVolume.type isIn']],
    ['an unknown root volume field', { rootVolume: { sizeGiB: 100, type: 'gp3', encrypted: false } }, ['pools.1.rootVolume.encrypted whitelistValidation']],
  ])('create and dry run: 400 for %s, naming the field and rule', async (_what, settings, expected) => {
    for (const query of ['', '?dryRun=true']) {
      const r = await call(api.base, 'POST', `/v1/clusters${query}`, { token: api.token, body: withWorkers(settings) });
      expect(r.status).toBe(400);
      expect(problems(r)).toEqual(expected);
    }
  });

  it.each([
    ['nothing to change', {}, ['body one-change']],
    ['a malformed label', { labels: { 'Bad Key': 'x' } }, ['labels.Bad Key label-key']],
    ['taints that are not an array', { taints: { key: 'a' } }, ['taints isArray', 'taints.effect isIn']],
    ['a root volume too large', { rootVolume: { sizeGiB: 20000, type: 'gp3' } }, ['rootVolume.sizeGiB max']],
  ])('PATCH a pool: 400 for %s before the cluster is asked', async (_what, body, expected) => {
    const r = await call(api.base, 'PATCH', '/v1/clusters/demo/pools/workers', { token: api.token, body });
    expect(r.status).toBe(400);
    expect(problems(r)).toEqual(expected);
  });

  it.each([
    ['no profile id', { overrides: {} }, ['id isLength', 'id isString']],
    ['overrides that are not an object', { id: 'aws-default', overrides: [1] }, ['overrides isObject']],
    ['an unknown field', { id: 'aws-default', force: true }, ['force whitelistValidation']],
  ])('PUT a profile: 400 for %s, for the change and its dry run alike', async (_what, body, expected) => {
    for (const query of ['', '?dryRun=true']) {
      const r = await call(api.base, 'PUT', `/v1/clusters/demo/profile${query}`, { token: api.token, body });
      expect(r.status).toBe(400);
      expect(problems(r)).toEqual(expected);
    }
  });

  it('PUT a profile the project does not have: 422 naming the rule', async () => {
    const r = await call(api.base, 'PUT', '/v1/clusters/demo/profile', { token: api.token, body: { id: 'no-such-profile' } });
    expect(r.status).toBe(422);
    expect(problems(r)).toEqual(['id profile-exists']);
  });
});
