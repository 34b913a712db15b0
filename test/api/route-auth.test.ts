import { Controller, Get, INestApplication, Module, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { APP_GUARD, ModulesContainer, NestFactory, Reflector } from '@nestjs/core';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApiApp } from '../../api/app';
import { BearerTokenGuard } from '../../api/auth/bearer-token.guard';
import { Public } from '../../api/auth/public.decorator';
import { SETTINGS, STORE } from '../../api/common/tokens';
import { loadConfig } from '../../common/config';
import { freePort } from '../../common/ports';
import { SqliteStore } from '../../store/sqlite-store';
import { startTemporal } from '../support/temporal';

/**
 * The bearer guard decides on the matched route, not on how the path is spelled. Every
 * operation of the running app's own OpenAPI document is called without a token, with wrong
 * tokens, and under spellings that a path-prefix check would miss; a route added later is
 * covered without editing this test. Temporal and AWS point at closed ports, so a request
 * that got past the guard would show as a 5xx instead of reaching anything real.
 */

/** Reachable without the token, by design. Everything else in the document must answer 401. */
const PUBLIC = new Set(['/healthz', '/readyz']);

interface RawResponse {
  status: number;
  body: string;
}

/** Raw HTTP, so the path goes out exactly as written (fetch would normalise `..`, `//` and case-folding escapes). */
function raw(port: number, method: string, rawPath: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = ['POST', 'PATCH', 'PUT'].includes(method) ? '{}' : undefined;
    const request = http.request(
      { host: '127.0.0.1', port, method, path: rawPath, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** `/v1/clusters/{name}` → `/v1/clusters/p-name`: any value will do, the guard runs before validation. */
function concrete(template: string): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => `p-${name}`);
}

/** Spellings of one path that a string check on the raw path would treat differently from the router. */
function spellings(p: string): string[] {
  const [, first, ...rest] = p.split('/');
  const tail = rest.length > 0 ? `/${rest.join('/')}` : '';
  return [
    `/${first.toUpperCase()}${tail}`,
    p.toUpperCase(),
    `${p}/`,
    `/${p}`,
    `/${first}/${tail}`,
    `/%2F${first}${tail}`,
    `/%${first.charCodeAt(0).toString(16)}${first.slice(1)}${tail}`,
    `/${first}/.${tail}`,
    `/x/../${first}${tail}`,
    `/${first}/./..${p}`,
    `${p};a=b`,
    `/${first};a=b${tail}`,
    `${p}?a=b`,
    `${p}#frag`,
  ];
}

describe('bearer guard on every route of the OpenAPI document', () => {
  let app: INestApplication;
  let port: number;
  let token: string;
  let dataDir: string;
  let operations: Array<{ method: string; path: string; template: string }>;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-auth-'));
    const config = loadConfig({
      CLUSTERFLOW_DATA_DIR: dataDir,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    const built = await createApiApp(config, ['error']);
    app = built.app;
    token = built.token;
    port = await freePort();
    await app.listen(port, '127.0.0.1');

    const docs = await raw(port, 'GET', '/docs-json');
    expect(docs.status).toBe(200);
    const document = JSON.parse(docs.body) as { paths: Record<string, Record<string, unknown>> };
    operations = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.keys(item)
        .filter((key) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(key))
        .flatMap((method) => (method === 'get' ? ['GET', 'HEAD'] : [method.toUpperCase()]))
        .map((method) => ({ method, path: concrete(template), template })),
    );
  });

  afterAll(async () => {
    await app?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads a document that lists the API, so the checks below cover something', () => {
    const templates = new Set(operations.map((o) => o.template));
    expect([...templates].filter((t) => !PUBLIC.has(t)).length).toBeGreaterThanOrEqual(10);
    for (const p of PUBLIC) expect(templates.has(p)).toBe(true);
  });

  it('answers 401 for every protected operation without a token or with a wrong one', async () => {
    const wrong: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer \u00a0' },
      { authorization: `Bearer ${token}x` },
      { authorization: `Basic ${Buffer.from(`user:${token}`).toString('base64')}` },
      { authorization: token },
    ];
    let refused = 0;
    for (const { method, path: p, template } of operations) {
      if (PUBLIC.has(template)) continue;
      for (const headers of wrong) {
        // Asserted one by one: a request that got past the guard may wait on the absent Temporal.
        const r = await raw(port, method, p, headers);
        expect(`${method} ${p} ${JSON.stringify(headers)} → ${r.status}`).toBe(`${method} ${p} ${JSON.stringify(headers)} → 401`);
        refused += 1;
      }
    }
    expect(refused).toBeGreaterThanOrEqual(10 * wrong.length);
  });

  it('answers 401 or 404, never anything else, for every other spelling of a protected path', async () => {
    let refusedByGuard = 0;
    for (const { method, path: p, template } of operations) {
      if (PUBLIC.has(template)) continue;
      for (const spelling of spellings(p)) {
        const r = await raw(port, method, spelling);
        if (r.status === 401) refusedByGuard += 1;
        else expect(`${method} ${spelling} → ${r.status} ${r.body.slice(0, 120)}`).toMatch(/ → 404 /);
      }
    }
    // Query strings, `;params` in a parameter, and the like still reach the route, and the guard.
    expect(refusedByGuard).toBeGreaterThan(0);
  });

  it('answers 401 or 404 for the methods a protected path does not document', async () => {
    const documented = new Map<string, Set<string>>();
    for (const o of operations) documented.set(o.path, (documented.get(o.path) ?? new Set()).add(o.method));
    let tried = 0;
    for (const [p, methods] of documented) {
      if (PUBLIC.has(p)) continue;
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'].filter((m) => !methods.has(m))) {
        const r = await raw(port, method, p);
        expect(`${method} ${p} → ${r.status}`).toMatch(/ → 40[14]$/);
        tried += 1;
      }
    }
    expect(tried).toBeGreaterThan(0);
  });

  it('routes case-sensitively and strictly: an upper-case or trailing-slash spelling matches no route', async () => {
    for (const { method, path: p, template } of operations) {
      for (const spelling of [p.toUpperCase(), `${p}/`]) {
        const r = await raw(port, method, spelling, { authorization: `Bearer ${token}` });
        expect(`${method} ${spelling} → ${r.status}`).toBe(`${method} ${spelling} → 404`);
      }
      if (PUBLIC.has(template) && method === 'GET') expect((await raw(port, method, p)).status).not.toBe(404);
    }
  });

  it('keeps the public routes and the docs reachable without a token', async () => {
    expect((await raw(port, 'GET', '/healthz')).status).toBe(200);
    expect((await raw(port, 'GET', '/readyz')).status).toBe(503); // Temporal is deliberately absent
    const page = await raw(port, 'GET', '/docs');
    expect(page.status).toBe(200);
    // Every asset the Swagger UI page loads comes from under /docs and loads without a token.
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((a) => !/^(https?:|data:|#)/.test(a));
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const url = new URL(asset, `http://127.0.0.1:${port}/docs`);
      expect(`${url.pathname} → ${(await raw(port, 'GET', url.pathname)).status}`).toBe(`${url.pathname} → 200`);
    }
  });

  it('accepts the right token on the canonical spelling', async () => {
    const r = await raw(port, 'GET', '/v1/cluster-profiles', { authorization: `Bearer ${token}` });
    expect(r.status).toBe(200);
  });
});

/** A route added later, anywhere, is protected unless it says `@Public()`: the guard never looks at the path. */
describe('bearer guard on a route it has never seen', () => {
  const token = `cf_${'n'.repeat(40)}`;
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-auth-store-'));
  // Opened before the app is made (the module's factory hands it over).
  let store: SqliteStore;

  @Controller('added-later')
  class AddedLaterController {
    @Get()
    protectedByDefault(): { ok: boolean } {
      return { ok: true };
    }

    @Public()
    @Get('open')
    open(): { ok: boolean } {
      return { ok: true };
    }
  }

  @Module({
    controllers: [AddedLaterController],
    providers: [
      { provide: SETTINGS, useValue: { apiToken: token } },
      { provide: STORE, useFactory: () => store },
      { provide: APP_GUARD, useClass: BearerTokenGuard },
    ],
  })
  class AddedLaterModule {}

  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    store = await SqliteStore.open(storeDir);
    app = await NestFactory.create(AddedLaterModule, { logger: ['error'] });
    port = await freePort();
    await app.listen(port, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it('answers 401 without the token outside /v1 too, and serves with it', async () => {
    expect((await raw(port, 'GET', '/added-later')).status).toBe(401);
    expect((await raw(port, 'GET', '/added-later', { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('serves a route marked @Public() without the token', async () => {
    expect((await raw(port, 'GET', '/added-later/open')).status).toBe(200);
  });

  it('cannot be built on a blank token', () => {
    for (const apiToken of ['', ' ', '\u00a0']) {
      expect(() => new BearerTokenGuard({ apiToken } as never, store, new Reflector())).toThrow(/^the API token (is empty|has spaces)/);
    }
  });
});

/**
 * Every route the app serves (read from its controllers as Nest declares them, so one left
 * out of the OpenAPI document counts too, and checked against Express's router) × every role. What each role may do is written here, not read from
 * the guard: reads for everyone; changes for admin and operator; dry runs for viewers too;
 * projects, tokens and the codec for admin only. A route added later falls under its method's
 * rule, and an admin-only one must be named below or the operator's row fails. Temporal is
 * real (no worker), so a request the guard lets through gets a quick answer (400 for an empty
 * body, 404 for a cluster that does not exist, …): anything but 401 and 403 means "through".
 */
/** Every handler of every controller the app's modules hold, as Nest declares it: `{method, template}` with `:params`. */
function nestRoutes(app: INestApplication): Array<{ method: string; template: string }> {
  const join = (...parts: string[]): string => `/${parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
  const found: Array<{ method: string; template: string }> = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const verb = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (verb === undefined || paths === undefined) continue;
        for (const p of [paths].flat()) {
          const template = join(prefix, p);
          const method = RequestMethod[verb];
          found.push({ method, template });
          if (method === 'GET') found.push({ method: 'HEAD', template });
        }
      }
    }
  }
  return found;
}

describe('role × route matrix', () => {
  /** Reachable without a token. */
  const PUBLIC_ROUTES = new Set(['GET /healthz', 'HEAD /healthz', 'GET /readyz', 'HEAD /readyz', 'GET /codec/sign-in', 'HEAD /codec/sign-in']);
  const isPublic = (method: string, template: string): boolean => PUBLIC_ROUTES.has(`${method} ${template}`);
  /** Only the admin token: projects and their tokens, the codec (every project's payloads) and the metrics (every project's counts). */
  const ADMIN_ONLY = [/^\/v1\/projects(\/|$)/, /^\/codec\//, /^\/metrics$/];
  /** Changes whose `?dryRun=true` changes nothing, so a viewer may ask them. */
  const DRY_RUNS = new Set(['POST /v1/clusters', 'PATCH /v1/clusters/:name/pools/:pool', 'POST /v1/clusters/:name/upgrade', 'PUT /v1/clusters/:name/profile']);

  let app: INestApplication;
  let port: number;
  let dataDir: string;
  let temporal: Awaited<ReturnType<typeof startTemporal>>;
  const tokens: Record<string, string> = {};
  let routes: Array<{ method: string; template: string }>;

  async function json(method: string, p: string, token: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await fetch(`http://127.0.0.1:${port}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text && (r.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  }

  beforeAll(async () => {
    temporal = await startTemporal();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-roles-'));
    const config = loadConfig({
      CLUSTERFLOW_DATA_DIR: dataDir,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
      TEMPORAL_ADDRESS: temporal.address,
    });
    const built = await createApiApp(config, ['error']);
    app = built.app;
    tokens.admin = built.token;
    port = await freePort();
    await app.listen(port, '127.0.0.1');
    expect((await json('POST', '/v1/projects', tokens.admin, { name: 'alpha' })).status).toBe(201);
    for (const role of ['operator', 'viewer']) {
      const created = await json('POST', '/v1/projects/alpha/tokens', tokens.admin, { role });
      expect(created.status).toBe(201);
      tokens[role] = created.body.token;
    }

    routes = nestRoutes(app);
    // Cross-check with what Express really serves, so a mis-joined path cannot go untested.
    const server = app.getHttpAdapter().getInstance() as { router?: { stack: unknown[] }; _router?: { stack: unknown[] } };
    const served = new Set(
      ((server.router ?? server._router)?.stack ?? []).flatMap((layer) => {
        const route = (layer as { route?: { path: string; methods: Record<string, boolean> } }).route;
        return route ? Object.keys(route.methods).map((m) => `${m.toUpperCase()} ${route.path}`) : [];
      }),
    );
    // (Express serves HEAD through GET.)
    for (const { method, template } of routes) expect(served).toContain(`${method === 'HEAD' ? 'GET' : method} ${template}`);
  });

  afterAll(async () => {
    await app?.close();
    await temporal?.teardown();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  type Expected = 'through' | 'forbidden';
  function expected(role: string, method: string, template: string, dryRun: boolean): Expected {
    if (role === 'admin') return 'through';
    if (ADMIN_ONLY.some((r) => r.test(template))) return 'forbidden';
    if (role === 'operator' || method === 'GET' || method === 'HEAD') return 'through';
    return dryRun && DRY_RUNS.has(`${method} ${template}`) ? 'through' : 'forbidden';
  }

  it('reads every route of the app from its router, the documented ones and the project routes among them', () => {
    const seen = new Set(routes.map((r) => `${r.method} ${r.template}`));
    for (const route of [...PUBLIC_ROUTES, ...DRY_RUNS, 'POST /v1/projects', 'POST /v1/projects/:project/tokens', 'DELETE /v1/projects/:project/tokens/:id', 'POST /codec/decode']) {
      expect(seen).toContain(route);
    }
    expect(routes.length).toBeGreaterThanOrEqual(25);
  });

  it('lets each role through exactly where its rule says, and answers 403 naming why everywhere else', async () => {
    let through = 0;
    let forbidden = 0;
    for (const { method, template } of routes) {
      if (isPublic(method, template)) continue;
      const p = concrete(template.replace(/:(\w+)/g, '{$1}'));
      const change = !['GET', 'HEAD'].includes(method);
      for (const dryRun of change ? [false, true] : [false]) {
        for (const role of ['admin', 'operator', 'viewer']) {
          const want = expected(role, method, template, dryRun);
          const r = await json(method, `${p}${dryRun ? '?dryRun=true' : ''}`, tokens[role], change ? {} : undefined);
          const got = r.status === 403 ? 'forbidden' : r.status === 401 ? 'unauthorized' : 'through';
          expect(`${role} ${method} ${p}${dryRun ? '?dryRun=true' : ''} → ${got}`).toBe(`${role} ${method} ${p}${dryRun ? '?dryRun=true' : ''} → ${want}`);
          if (got === 'forbidden' && method !== 'HEAD') {
            expect(r.body.message).toMatch(role === 'viewer' && !ADMIN_ONLY.some((x) => x.test(template)) ? /^role viewer may only read/ : /needs the admin token/);
            // A viewer refused a change that has a dry run is told about it.
            expect(r.body.message.endsWith('its dry run (?dryRun=true) is allowed')).toBe(role === 'viewer' && DRY_RUNS.has(`${method} ${template}`));
          }
          if (got === 'forbidden') {
            forbidden += 1;
          } else {
            // Through the guard and answered, not crashed.
            expect(`${role} ${method} ${p} → ${r.status}`).toMatch(/ → [234]\d\d$/);
            through += 1;
          }
        }
      }
    }
    expect(through).toBeGreaterThan(40);
    expect(forbidden).toBeGreaterThan(20);
  });
});
