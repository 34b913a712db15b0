import { INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApiApp } from '../../api/app';
import { SqliteStore } from '../../store/sqlite-store';
import { loadConfig } from '../../common/config';
import { freePort } from '../../common/ports';
import { call } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';

/**
 * The API in-process on a real port, with real HTTP, a real SQLite store and STS answered by
 * a real moto. Temporal is deliberately absent: /readyz must say so.
 */
describe('API', () => {
  let moto: RunningMoto;
  let app: INestApplication;
  let base: string;
  let token: string;
  let dataDir: string;
  const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const account = { name: 'prod', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey };

  beforeAll(async () => {
    moto = await startMoto();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-api-'));
    const deadTemporal = await freePort();
    const config = loadConfig({
      CLUSTERFLOW_DATA_DIR: dataDir,
      AWS_ENDPOINT_URL: moto.url,
      TEMPORAL_ADDRESS: `127.0.0.1:${deadTemporal}`,
    });
    const built = await createApiApp(config, ['error']);
    app = built.app;
    token = built.token;
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await moto?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('health and docs', () => {
    it('answers /healthz without a token', async () => {
      expect(await call(base, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    });

    it('answers /readyz with 503 naming Temporal when Temporal is unreachable', async () => {
      const r = await call(base, 'GET', '/readyz');
      expect(r.status).toBe(503);
      expect(r.body.message).toMatch(/temporal unreachable/);
      expect(r.body.details).toMatchObject({ store: 'ok' });
    });

    it('serves the OpenAPI document without a token', async () => {
      const r = await call(base, 'GET', '/docs-json');
      expect(r.status).toBe(200);
      expect(Object.keys(r.body.paths)).toEqual(expect.arrayContaining(['/v1/cloud-accounts', '/v1/cluster-profiles/{id}', '/readyz']));
      expect((await fetch(`${base}/docs`)).status).toBe(200);
    });
  });

  describe('bearer auth', () => {
    it('refuses /v1 without a token, with a wrong token, and with a malformed header', async () => {
      const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer nope' }, { authorization: token }];
      for (const headers of attempts) {
        const r = await fetch(`${base}/v1/cloud-accounts`, { headers });
        expect(r.status).toBe(401);
        expect(await r.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      }
    });

    it('accepts the right token', async () => {
      expect((await call(base, 'GET', '/v1/cloud-accounts', { token })).status).toBe(200);
    });
  });

  describe('cloud accounts', () => {
    let id: string;

    it('verifies with STS, stores, and answers 201 with a masked key and no secret', async () => {
      const r = await call(base, 'POST', '/v1/cloud-accounts', { token, body: account });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ name: 'prod', accessKeyId: 'AKIA************MPLE', awsAccountId: '123456789012' });
      expect(r.text).not.toContain(secretAccessKey);
      expect(r.text).not.toContain(account.accessKeyId);
      id = r.body.id;
    });

    it('lists and gets it without the secret', async () => {
      const list = await call(base, 'GET', '/v1/cloud-accounts', { token });
      expect(list.body.map((a: { id: string }) => a.id)).toEqual([id]);
      const one = await call(base, 'GET', `/v1/cloud-accounts/${id}`, { token });
      expect(one.body).toMatchObject({ id, name: 'prod' });
      expect(list.text + one.text).not.toContain(secretAccessKey);
    });

    it('keeps the secret only sealed in the store file', async () => {
      const files = fs.readdirSync(dataDir).filter((f) => f.startsWith('clusterflow.sqlite'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expect(fs.readFileSync(path.join(dataDir, file)).includes(secretAccessKey)).toBe(false);
    });

    it('answers 409 for a name already taken', async () => {
      const r = await call(base, 'POST', '/v1/cloud-accounts', { token, body: account });
      expect(r.status).toBe(409);
      expect(r.body.message).toMatch(/^name: /);
    });

    it('answers 400 naming each bad field and rule, and refuses unknown fields', async () => {
      const r = await call(base, 'POST', '/v1/cloud-accounts', { token, body: { name: '', accessKeyId: 'lower', extra: 1 } });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      const fields = r.body.details.map((d: { field: string }) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['name', 'accessKeyId', 'secretAccessKey', 'extra']));
      expect(r.body.message).toMatch(/accessKeyId: /);
    });

    it('answers 400 for a malformed JSON body', async () => {
      const r = await call(base, 'POST', '/v1/cloud-accounts', { token, raw: '{"name":' });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^body: /) });
    });

    it('answers 404 for an unknown id', async () => {
      expect((await call(base, 'GET', '/v1/cloud-accounts/nope', { token })).status).toBe(404);
      expect((await call(base, 'DELETE', '/v1/cloud-accounts/nope', { token })).status).toBe(404);
    });

    it('refuses to delete an account a cluster uses (409), then deletes it once released', async () => {
      // The worker shares the store file; record the usage the way a cluster operation will.
      const store = await SqliteStore.open(dataDir);
      await store.useCloudAccount('default', 'demo', id);
      const refused = await call(base, 'DELETE', `/v1/cloud-accounts/${id}`, { token });
      expect(refused.status).toBe(409);
      expect(refused.body.details).toEqual({ clusters: ['demo'] });
      await store.releaseCloudAccount('default', 'demo');
      await store.close();
      expect((await call(base, 'DELETE', `/v1/cloud-accounts/${id}`, { token })).status).toBe(204);
      expect((await call(base, 'GET', `/v1/cloud-accounts/${id}`, { token })).status).toBe(404);
    });
  });

  describe('cluster profiles', () => {
    const packs = [
      { name: 'ubuntu', layer: 'os', version: '22.04', values: {} },
      { name: 'kubernetes', layer: 'k8s', version: '1.30.8', values: { podCIDR: '172.16.0.0/16' } },
    ];

    it('always has the built-in aws-default profile, which cannot be deleted', async () => {
      const r = await call(base, 'GET', '/v1/cluster-profiles/aws-default', { token });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: 'aws-default', builtIn: true });
      expect(r.body.packs.map((p: { layer: string }) => p.layer)).toEqual(expect.arrayContaining(['os', 'k8s', 'cni']));
      expect((await call(base, 'DELETE', '/v1/cluster-profiles/aws-default', { token })).status).toBe(409);
    });

    it('creates, lists, gets and deletes a profile', async () => {
      const created = await call(base, 'POST', '/v1/cluster-profiles', { token, body: { name: 'k8s-130', packs } });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const list = await call(base, 'GET', '/v1/cluster-profiles', { token });
      expect(list.body.map((p: { name: string }) => p.name)).toEqual(['aws-default', 'k8s-130']);
      expect((await call(base, 'GET', `/v1/cluster-profiles/${id}`, { token })).body.packs).toEqual(packs);
      expect((await call(base, 'POST', '/v1/cluster-profiles', { token, body: { name: 'k8s-130', packs } })).status).toBe(409);
      expect((await call(base, 'DELETE', `/v1/cluster-profiles/${id}`, { token })).status).toBe(204);
      expect((await call(base, 'GET', `/v1/cluster-profiles/${id}`, { token })).status).toBe(404);
    });

    it('answers 400 naming a bad pack field', async () => {
      const r = await call(base, 'POST', '/v1/cluster-profiles', {
        token,
        body: { name: 'bad', packs: [{ name: 'ubuntu', layer: 'kernel', version: '1', values: 'x' }] },
      });
      expect(r.status).toBe(400);
      expect(r.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['packs.0.layer', 'packs.0.values']));
    });

    it('answers 422 naming the rule when the packs do not make a cluster', async () => {
      const r = await call(base, 'POST', '/v1/cluster-profiles', { token, body: { name: 'no-k8s', packs: [packs[0]] } });
      expect(r.status).toBe(422);
      expect(r.body.details).toEqual([expect.objectContaining({ field: 'packs', rule: 'one-k8s-pack' })]);
    });
  });
});
