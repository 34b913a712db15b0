import { INestApplication } from '@nestjs/common';
import { defaultPayloadConverter, toPayloads } from '@temporalio/common';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApiApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { resolvePayloadCodec } from '../../common/data-dir';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../common/payload-codec';
import { freePort } from '../../common/ports';

/**
 * The remote codec endpoint of the API, in-process on a real port with real HTTP: the bearer
 * token (or the codec session the Web UI carries) opens it, CORS lets the Web UI's origins
 * in and nobody else, and it shares its key with every other process of the data dir.
 * Temporal is deliberately absent: the codec does not need it.
 */

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('codec endpoint', () => {
  const uiPort = 18233;
  const uiOrigins = [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
  const spec = { name: 'payroll', description: 'quarterly-close cluster', tags: { 'cost-center': 'cc-4711-secret' } };
  let app: INestApplication;
  let port: number;
  let token: string;
  let dataDir: string;
  let config: ReturnType<typeof loadConfig>;

  /** Raw HTTP: browsers' Origin and Cookie headers go out exactly as a browser would send them. */
  function send(method: string, route: string, headers: Record<string, string> = {}, body?: unknown): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port, method, path: route, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, json });
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  }

  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const asJson = (values: unknown[]) => ({
    payloads: toPayloads(defaultPayloadConverter, ...values)!.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
      data: Buffer.from(p.data!).toString('base64'),
    })),
  });
  const valuesOf = (body: { payloads: Array<{ metadata: Record<string, string>; data: string }> }): unknown[] =>
    body.payloads.map((p) =>
      defaultPayloadConverter.fromPayload({
        metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(p.data, 'base64'),
      }),
    );

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-codec-'));
    config = loadConfig({
      CLUSTERFLOW_DATA_DIR: dataDir,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      CLUSTERFLOW_TEMPORAL_UI_PORT: String(uiPort),
    });
    const built = await createApiApp(config, ['error']);
    app = built.app;
    token = built.token;
    port = await freePort();
    await app.listen(port, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 401 without the token or with a wrong one', async () => {
    for (const route of ['/codec/encode', '/codec/decode', '/codec/session']) {
      const wrong: Array<Record<string, string>> = [{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${token}x` }];
      for (const headers of wrong) {
        const r = await send('POST', route, headers, asJson([spec]));
        expect(`${route} ${JSON.stringify(headers)} → ${r.status}`).toBe(`${route} ${JSON.stringify(headers)} → 401`);
        expect(r.body).not.toContain('cc-4711-secret');
      }
    }
  });

  it('encrypts with the token, names the key, and decrypts back', async () => {
    const encoded = await send('POST', '/codec/encode', { ...bearer(), 'x-namespace': 'default' }, asJson([spec, 'second']));
    expect(encoded.status).toBe(200);
    expect(encoded.body).not.toContain('cc-4711-secret');
    expect(encoded.json.payloads).toHaveLength(2);
    for (const p of encoded.json.payloads) {
      expect(Buffer.from(p.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(p.metadata[KEY_ID_METADATA], 'base64').toString()).toMatch(/^k1-[0-9a-f]{16}$/);
    }
    const decoded = await send('POST', '/codec/decode', { ...bearer(), 'x-namespace': 'default' }, encoded.json);
    expect(decoded.status).toBe(200);
    expect(valuesOf(decoded.json)).toEqual([spec, 'second']);
  });

  it('decrypts what the worker of the same data dir encrypted: one key for the deployment', async () => {
    const sealed = await resolvePayloadCodec(config).encode(toPayloads(defaultPayloadConverter, spec)!);
    const body = { payloads: sealed.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(p.data!).toString('base64') })) };
    const decoded = await send('POST', '/codec/decode', bearer(), body);
    expect(decoded.status).toBe(200);
    expect(valuesOf(decoded.json)).toEqual([spec]);
  });

  it('returns payloads that are not encrypted as they are', async () => {
    const decoded = await send('POST', '/codec/decode', bearer(), asJson([spec]));
    expect(decoded.status).toBe(200);
    expect(decoded.json).toEqual(asJson([spec]));
  });

  it('refuses what is not a list of payloads with a 400 naming the field and the rule', async () => {
    const notAList = await send('POST', '/codec/decode', bearer(), { payload: [] });
    expect(notAList.status).toBe(400);
    expect(notAList.json.details).toEqual([expect.objectContaining({ field: 'payloads', rule: 'isArray' })]);
    const badBytes = await send('POST', '/codec/encode', bearer(), { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'not base64!' }, 'x'] });
    expect(badBytes.status).toBe(400);
    expect(badBytes.json.details.map((d: { field: string; rule: string }) => `${d.field} ${d.rule}`)).toEqual(['payloads.0.data isBase64', 'payloads.1 isObject']);
  });

  it('refuses a tampered payload with a 422 naming the payload and the rule', async () => {
    const encoded = await send('POST', '/codec/encode', bearer(), asJson(['first', spec]));
    const data = Buffer.from(encoded.json.payloads[1].data, 'base64');
    data[data.length - 1] ^= 1;
    encoded.json.payloads[1].data = data.toString('base64');
    const refused = await send('POST', '/codec/decode', bearer(), encoded.json);
    expect(refused.status).toBe(422);
    expect(refused.json.details).toEqual([expect.objectContaining({ field: 'payloads.1', rule: 'authentic' })]);
  });

  describe('CORS', () => {
    const preflight = (origin: string) =>
      send('OPTIONS', '/codec/decode', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' });

    it('answers the Web UI origins’ preflight without a token', async () => {
      for (const origin of uiOrigins) {
        const r = await preflight(origin);
        expect(r.status).toBe(204);
        expect(r.headers).toMatchObject({
          'access-control-allow-origin': origin,
          'access-control-allow-credentials': 'true',
          'access-control-allow-methods': 'POST',
        });
        expect(String(r.headers['access-control-allow-headers']).toLowerCase().split(/, */)).toEqual(expect.arrayContaining(['content-type', 'x-namespace']));
      }
    });

    it('gives another origin no CORS headers, on the preflight or the request itself', async () => {
      for (const origin of ['http://evil.example', `http://127.0.0.1:${uiPort + 1}`, `https://127.0.0.1:${uiPort}`, 'null']) {
        const pre = await preflight(origin);
        expect(pre.status).not.toBe(204);
        expect(pre.headers['access-control-allow-origin']).toBeUndefined();
        const r = await send('POST', '/codec/decode', { ...bearer(), origin }, asJson([spec]));
        expect(r.headers['access-control-allow-origin']).toBeUndefined();
        expect(r.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it('lets the Web UI read the answer of a request from its origin', async () => {
      const r = await send('POST', '/codec/decode', { ...bearer(), origin: uiOrigins[0] }, asJson([spec]));
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBe(uiOrigins[0]);
    });
  });

  describe('the Web UI’s codec session', () => {
    async function signIn(): Promise<string> {
      const r = await send('POST', '/codec/session', bearer());
      expect(r.status).toBe(200);
      const setCookie = String(r.headers['set-cookie']);
      expect(setCookie).toMatch(/^cf_codec_session=v1\.\d+\.[A-Za-z0-9_-]{43}; /);
      expect(setCookie.split('; ').slice(1)).toEqual(expect.arrayContaining(['Path=/codec', 'HttpOnly', 'SameSite=Strict', 'Max-Age=43200']));
      expect(setCookie).not.toContain(token);
      expect(r.body).not.toContain(token);
      return setCookie.split(';')[0];
    }

    it('is issued for the token only, and opens decode and encode from the Web UI without the token', async () => {
      const cookie = await signIn();
      const encoded = await send('POST', '/codec/encode', { cookie, origin: uiOrigins[0], 'x-namespace': 'default' }, asJson([spec]));
      expect(encoded.status).toBe(200);
      const decoded = await send('POST', '/codec/decode', { cookie, origin: uiOrigins[1], 'x-namespace': 'default' }, encoded.json);
      expect(decoded.status).toBe(200);
      expect(decoded.headers).toMatchObject({ 'access-control-allow-origin': uiOrigins[1], 'access-control-allow-credentials': 'true' });
      expect(valuesOf(decoded.json)).toEqual([spec]);
    });

    it('opens nothing else: not the API, not a new session, not with a wrong token beside it', async () => {
      const cookie = await signIn();
      expect((await send('GET', '/v1/cluster-profiles', { cookie })).status).toBe(401);
      expect((await send('GET', '/v1/clusters', { cookie })).status).toBe(401);
      expect((await send('POST', '/codec/session', { cookie })).status).toBe(401);
      expect((await send('POST', '/codec/decode', { cookie, authorization: 'Bearer nope' }, asJson([spec]))).status).toBe(401);
    });

    it('refuses a forged, altered or expired session', async () => {
      const cookie = await signIn();
      const [, expires, mac] = /^cf_codec_session=v1\.(\d+)\.(.+)$/.exec(cookie)!;
      const forged = [
        `cf_codec_session=v1.${expires}.${'A'.repeat(43)}`,
        `cf_codec_session=v1.${Number(expires) + 3600}.${mac}`,
        `cf_codec_session=v1.1000.${mac}`,
        `cf_codec_session=${token}`,
        `other=${cookie.split('=').slice(1).join('=')}`,
      ];
      for (const c of forged) expect(`${c} → ${(await send('POST', '/codec/decode', { cookie: c }, asJson([spec]))).status}`).toBe(`${c} → 401`);
    });

    it('serves the sign-in page without a token, unframeable, with its script allowed by hash only', async () => {
      const r = await send('GET', '/codec/sign-in');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.body).toContain("fetch('session'");
      expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(r.headers['content-security-policy']).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    });
  });

  it('is in the OpenAPI document, bearer-protected', async () => {
    const docs = await send('GET', '/docs-json');
    for (const route of ['/codec/encode', '/codec/decode', '/codec/session']) {
      expect(docs.json.paths[route]?.post?.security).toEqual([{ bearer: [] }]);
    }
  });
});
