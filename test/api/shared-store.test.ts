import { randomBytes } from 'node:crypto';
import { createApiApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';
import { RunningPostgres, startPostgres } from '../support/postgres';
import { startHarness, type Harness } from '../sim/harness';

/**
 * Two API processes' worth of apps (each with its own data dir) on one PostgreSQL store, as
 * the production topology runs them: what one writes, the other answers at once.
 */
describe('two APIs on one PostgreSQL store', () => {
  let sim: Harness;
  let pg: RunningPostgres;
  let one: ApiUnderTest;
  let two: ApiUnderTest;
  // Every API process of a deployment shares these (compose hands them to each).
  const token = `cf_${randomBytes(24).toString('hex')}`;
  const shared = () => ({ CLUSTERFLOW_API_TOKEN: token, CLUSTERFLOW_SECRET_KEY: secretKey });
  // One names the password in the URL; the other, as compose does, beside it.
  const withPasswordInUrl = () => ({ ...shared(), CLUSTERFLOW_STORE_URL: pg.url('clusterflow') });
  const withPasswordBeside = () => {
    const url = new URL(pg.url('clusterflow'));
    url.password = '';
    return { ...shared(), CLUSTERFLOW_STORE_URL: url.toString(), CLUSTERFLOW_STORE_PASSWORD: pg.password };
  };
  const secretKey = randomBytes(32).toString('base64');
  const KEYS = { accessKeyId: 'AKIASHAREDSTORE00001', secretAccessKey: 'shared/Secret+Key/for/the/store/0001' };
  const ROTATED = { accessKeyId: 'AKIASHAREDSTORE00002', secretAccessKey: 'shared/Secret+Key/for/the/store/0002' };

  beforeAll(async () => {
    [sim, pg] = await Promise.all([startHarness(), startPostgres()]);
    await pg.createDatabase('clusterflow');
    // Started together: both migrate the empty database at once (the advisory lock orders them).
    [one, two] = await Promise.all([startApi({ awsEndpoint: sim.url, env: withPasswordInUrl() }), startApi({ awsEndpoint: sim.url, env: withPasswordBeside() })]);
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await pg?.stop();
    await sim?.stop();
  });

  it('reports the store ready on both', async () => {
    for (const api of [one, two]) {
      const ready = await call(api.base, 'GET', '/readyz');
      expect(ready.body.details).toMatchObject({ store: 'ok' });
    }
  });

  it('shares projects and tokens: issued on one, accepted on the other, revoked there, refused on the first', async () => {
    expect((await call(one.base, 'POST', '/v1/projects', { token, body: { name: 'alpha' } })).status).toBe(201);
    expect((await call(two.base, 'POST', '/v1/projects', { token, body: { name: 'alpha' } })).status).toBe(409);
    expect((await call(two.base, 'GET', '/v1/projects', { token })).body.map((p: { name: string }) => p.name)).toEqual(['default', 'alpha']);
    const issued = await call(one.base, 'POST', '/v1/projects/alpha/tokens', { token, body: { role: 'viewer' } });
    expect(issued.status).toBe(201);
    expect((await call(two.base, 'GET', '/v1/cluster-profiles', { token: issued.body.token })).status).toBe(200);
    expect((await call(two.base, 'DELETE', `/v1/projects/alpha/tokens/${issued.body.id}`, { token })).status).toBe(204);
    expect((await call(one.base, 'GET', '/v1/cluster-profiles', { token: issued.body.token })).status).toBe(401);
  });

  it('shares cloud accounts and profiles: made on one, read, rotated and deleted on the other', async () => {
    const created = await call(one.base, 'POST', '/v1/cloud-accounts', { token, body: { name: 'shared', ...KEYS } });
    expect(created.status).toBe(201);
    const read = await call(two.base, 'GET', `/v1/cloud-accounts/${created.body.id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect((await call(two.base, 'POST', '/v1/cloud-accounts', { token, body: { name: 'shared', ...KEYS } })).status).toBe(409);
    const rotated = await call(two.base, 'PATCH', `/v1/cloud-accounts/${created.body.id}`, { token, body: ROTATED });
    expect(rotated.status).toBe(200);
    expect((await call(one.base, 'GET', `/v1/cloud-accounts/${created.body.id}`, { token })).body.accessKeyId).toBe('AKIA************0002');

    const profile = { name: 'shared', packs: (await call(one.base, 'GET', '/v1/cluster-profiles', { token })).body[0].packs };
    const made = await call(two.base, 'POST', '/v1/cluster-profiles', { token, body: profile });
    expect(made.status).toBe(201);
    expect((await call(one.base, 'GET', `/v1/cluster-profiles/${made.body.id}`, { token })).body).toEqual(made.body);
    expect((await call(one.base, 'POST', '/v1/cluster-profiles', { token, body: profile })).status).toBe(409);

    expect((await call(two.base, 'DELETE', `/v1/cloud-accounts/${created.body.id}`, { token })).status).toBe(204);
    expect((await call(one.base, 'GET', `/v1/cloud-accounts/${created.body.id}`, { token })).status).toBe(404);
  });

  it('refuses a store URL that is not PostgreSQL’s, naming the setting and never the password', async () => {
    const config = loadConfig({ CLUSTERFLOW_DATA_DIR: one.dataDir, CLUSTERFLOW_STORE_URL: 'mysql://root:hunter2secret@db/clusterflow' });
    const refused = createApiApp(config, ['error']);
    await expect(refused).rejects.toThrow('CLUSTERFLOW_STORE_URL must be a postgres:// URL, got a mysql: one');
    await expect(refused).rejects.not.toThrow(/hunter2secret/);
  });
});
