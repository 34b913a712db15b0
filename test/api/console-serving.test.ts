import * as fs from 'node:fs';
import * as path from 'node:path';
import { consoleAssetsDir } from '../../api/console/console-assets';
import { freePort } from '../../common/ports';
import { startApi, ApiUnderTest } from '../support/api-app';
import { call } from '../support/http';

/**
 * The console's files at `/` (built by `npm run build`, which `npm test` runs first) are
 * public; everything else keeps its own answer: the API's routes still need the token, unknown
 * paths are still the contract's 404, and no fallback serves the page in their place.
 */
describe('console serving', () => {
  let api: ApiUnderTest;
  const built = path.join(consoleAssetsDir(), 'index.html');

  beforeAll(async () => {
    if (!fs.existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
    api = await startApi({ awsEndpoint: `http://127.0.0.1:${await freePort()}` });
  });
  afterAll(() => api?.close());

  it('serves the built page at / without a token, with a strict CSP', async () => {
    const r = await call(api.base, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.text).toBe(fs.readFileSync(built, 'utf8'));
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('serves each asset the page names, and nothing outside the assets', async () => {
    const page = fs.readFileSync(built, 'utf8');
    const assets = [...page.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const r = await call(api.base, 'GET', `/assets/${asset}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(r.headers.get('cache-control')).toContain('immutable');
    }
    for (const bad of ['/assets/nope.js', '/assets/..%2Findex.html', '/assets/..%2F..%2Fpackage.json', '/assets/index.html', '/index.html', '/assets']) {
      const r = await call(api.base, 'GET', bad);
      expect({ bad, status: r.status }).toEqual({ bad, status: 404 });
      expect(r.body).toMatchObject({ statusCode: 404 });
    }
  });

  it('shadows none of the API: routes keep their token, unknown paths their 404', async () => {
    for (const route of ['/v1/clusters', '/v1/cloud-accounts', '/v1/session', '/metrics', '/codec/decode', '/v1/projects']) {
      const r = await call(api.base, route === '/codec/decode' ? 'POST' : 'GET', route);
      expect({ route, status: r.status }).toEqual({ route, status: 401 });
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    }
    const ready = await call(api.base, 'GET', '/readyz');
    expect(ready.body).toMatchObject({ statusCode: 503, details: { store: 'ok' } });
    expect((await call(api.base, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(api.base, 'GET', '/docs-json')).body).toMatchObject({ openapi: expect.any(String) });
    expect((await call(api.base, 'GET', '/codec/sign-in')).text).toContain('Temporal Web UI');
    for (const unknown of ['/clusters', '/clusters/demo', '/v1/nope', '/console', '/assets/']) {
      const r = await call(api.base, 'GET', unknown);
      expect({ unknown, status: r.status }).toEqual({ unknown, status: 404 });
      expect(r.text).not.toContain('<div id="root">');
    }
  });

  it('/v1/session says who the token is and where the Web UI is', async () => {
    const admin = await call(api.base, 'GET', '/v1/session', { token: api.token });
    expect(admin.body).toEqual({ role: 'admin', project: 'default', temporalUi: { url: api.config.temporalUiOrigins[0], namespace: 'default' } });
    expect((await call(api.base, 'POST', '/v1/projects', { token: api.token, body: { name: 'team-a' } })).status).toBe(201);
    const issued = await call(api.base, 'POST', '/v1/projects/team-a/tokens', { token: api.token, body: { role: 'viewer' } });
    const viewer = await call(api.base, 'GET', '/v1/session', { token: issued.body.token });
    expect(viewer.body).toMatchObject({ role: 'viewer', project: 'team-a' });
    const chosen = await call(api.base, 'GET', '/v1/session', { token: api.token, headers: { 'x-clusterflow-project': 'team-a' } });
    expect(chosen.body).toMatchObject({ role: 'admin', project: 'team-a' });
    expect(JSON.stringify(viewer.body)).not.toContain(issued.body.token);
  });
});
