import { INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApiApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { freePort } from '../../common/ports';
import { call } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';
import { metricValue, Sample, scrape } from '../support/prometheus';

/**
 * The API's access log, request ids and /metrics, in-process on a real port with real HTTP,
 * STS answered by a real moto (no Temporal: nothing here starts a workflow). The log lines are
 * the JSON the process would print, captured as written.
 */
describe('API logs and metrics', () => {
  let moto: RunningMoto;
  let app: INestApplication;
  let base: string;
  let token: string;
  let dataDir: string;
  let viewer: string;
  const lines: string[] = [];
  const secretAccessKey = 'obsTestSecretKey/K7MDENG/bPxRfiCYSECRET42';
  const sessionToken = 'obsTestSessionTokenThatMustNeverBeLogged0001';

  beforeAll(async () => {
    moto = await startMoto();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-obs-'));
    const config = loadConfig({ CLUSTERFLOW_DATA_DIR: dataDir, AWS_ENDPOINT_URL: moto.url, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    const built = await createApiApp(config, ['log', 'warn', 'error'], { logDestination: { write: (line: string) => void lines.push(line) } });
    app = built.app;
    token = built.token;
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    expect((await call(base, 'POST', '/v1/projects', { token, body: { name: 'obs' } })).status).toBe(201);
    viewer = (await call(base, 'POST', '/v1/projects/obs/tokens', { token, body: { role: 'viewer' } })).body.token as string;
  });

  afterAll(async () => {
    await app?.close();
    await moto?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const accessLines = () => logged().filter((l) => typeof l.route === 'string');
  const metrics = () => scrape(`${base}/metrics`, token);
  const requests = (samples: Sample[], labels: Record<string, string>) => metricValue(samples, 'clusterflow_http_requests_total', labels);

  it('counts exactly the requests made, labelled by route pattern, and times them', async () => {
    const before = await metrics();
    // Refused before anything asks Temporal (there is none here).
    for (const name of ['alpha', 'beta', 'gamma']) expect((await call(base, 'GET', `/v1/clusters/${name}/operations?limit=0`, { token })).status).toBe(400);
    expect((await call(base, 'GET', '/v1/cloud-accounts', { token })).status).toBe(200);
    expect((await call(base, 'GET', '/v1/cloud-accounts', {})).status).toBe(401);
    expect((await call(base, 'GET', '/no/such/route', { token })).status).toBe(404);
    const after = await metrics();

    const diff = (labels: Record<string, string>) => requests(after, labels) - requests(before, labels);
    const opRoute = '/v1/clusters/:name/operations';
    expect(diff({ method: 'GET', route: opRoute, status: '400' })).toBe(3);
    expect(diff({ method: 'GET', route: '/v1/cloud-accounts', status: '200' })).toBe(1);
    expect(diff({ method: 'GET', route: '/v1/cloud-accounts', status: '401' })).toBe(1);
    expect(diff({ method: 'GET', route: '(unmatched)', status: '404' })).toBe(1);
    // The first scrape itself, counted once answered.
    expect(diff({ method: 'GET', route: '/metrics', status: '200' })).toBe(1);
    const latency = (s: Sample[]) => metricValue(s, 'clusterflow_http_request_duration_seconds_count', { method: 'GET', route: opRoute });
    expect(latency(after) - latency(before)).toBe(3);
    // No raw path ever becomes a label.
    expect(after.filter((s) => Object.values(s.labels).some((v) => /alpha|beta|gamma|no\/such/.test(v)))).toEqual([]);
  });

  it('writes one JSON access line per request: method, route pattern, status, duration, request id, project, cluster, operation', async () => {
    // A viewer may not cancel: answered by the guard, once it knows the project.
    const r = await call(base, 'POST', '/v1/clusters/delta/operations/op-4-scale/cancel', { token: viewer, headers: { 'x-request-id': 'trace-4711.a:b' } });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-request-id')).toBe('trace-4711.a:b');
    const line = accessLines().find((l) => l.reqId === 'trace-4711.a:b');
    expect(line).toMatchObject({
      level: 'warn',
      component: 'api',
      method: 'POST',
      route: '/v1/clusters/:name/operations/:id/cancel',
      status: 403,
      project: 'obs',
      cluster: 'delta',
      operationId: 'op-4-scale',
      msg: 'POST /v1/clusters/:name/operations/:id/cancel 403',
    });
    expect(line).not.toHaveProperty('req');
    expect(typeof line?.durationMs).toBe('number');
    expect(typeof line?.time).toBe('string');
    expect(accessLines().filter((l) => l.reqId === 'trace-4711.a:b')).toHaveLength(1);
  });

  it('makes up a request id when none came or the one that came is not well-formed, and echoes it', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const none = await call(base, 'GET', '/healthz');
    const bad = await call(base, 'GET', '/healthz', { headers: { 'x-request-id': 'two words "quoted"' } });
    const long = await call(base, 'GET', '/healthz', { headers: { 'x-request-id': 'x'.repeat(129) } });
    for (const r of [none, bad, long]) expect(r.headers.get('x-request-id')).toMatch(uuid);
    expect(new Set([none, bad, long].map((r) => r.headers.get('x-request-id'))).size).toBe(3);
    expect(accessLines().find((l) => l.reqId === bad.headers.get('x-request-id'))).toMatchObject({ route: '/healthz', status: 200, level: 'info' });
  });

  it('never logs the token, a cloud account\'s keys or a project token', async () => {
    const created = await call(base, 'POST', '/v1/cloud-accounts', { token, body: { name: 'obs', accessKeyId: 'AKIAOBSERVABILITY01', secretAccessKey, sessionToken } });
    expect(created.status).toBe(201);
    const rotated = await call(base, 'PATCH', `/v1/cloud-accounts/${created.body.id}`, { token, body: { accessKeyId: 'AKIAOBSERVABILITY02', secretAccessKey: `${secretAccessKey}2` } });
    expect(rotated.status).toBe(200);
    const issued = await call(base, 'POST', '/v1/projects/obs/tokens', { token, body: { role: 'operator' } });
    expect(issued.status).toBe(201);
    expect((await call(base, 'GET', '/v1/cloud-accounts', { token: viewer })).status).toBe(200);
    // A refused body too: validation errors name fields, never echo values into the log.
    expect((await call(base, 'POST', '/v1/cloud-accounts', { token, body: { name: 'x', accessKeyId: 'bad', secretAccessKey } })).status).toBe(400);

    const all = lines.join('');
    expect(accessLines().find((l) => l.route === '/v1/cloud-accounts' && l.method === 'POST' && l.status === 201)).toBeDefined();
    for (const secret of [token, viewer, secretAccessKey, sessionToken, issued.body.token as string]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/authorization|bearer/i);
  });

  it('serves /metrics to the admin token only', async () => {
    expect((await call(base, 'GET', '/metrics')).status).toBe(401);
    expect((await call(base, 'GET', '/metrics', { token: viewer })).status).toBe(403);
    const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(await r.text()).toMatch(/^# HELP clusterflow_http_requests_total /m);
  });
});
