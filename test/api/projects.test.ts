import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../common/ports';
import { SqliteStore } from '../../store/sqlite-store';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';

/**
 * Projects and their tokens over real HTTP: the admin token makes projects and issues tokens
 * (shown once, stored as a hash); a project token sees its project's accounts and profiles
 * only (another project's are 404), a viewer reads but never changes, a revoked token is 401.
 * Clusters are kept apart by the same project on their workflow ids: test/e2e/projects.test.ts.
 */
describe('projects and project tokens', () => {
  let api: ApiUnderTest;
  let admin: string;
  const tokens: Record<'alphaOperator' | 'alphaViewer' | 'betaOperator', { id: string; token: string }> = {} as never;

  const as = (token: string, headers?: Record<string, string>) => ({
    get: (p: string) => call(api.base, 'GET', p, { token, headers }),
    post: (p: string, body: unknown) => call(api.base, 'POST', p, { token, body, headers }),
    patch: (p: string, body: unknown) => call(api.base, 'PATCH', p, { token, body, headers }),
    delete: (p: string) => call(api.base, 'DELETE', p, { token, headers }),
  });

  async function issue(project: string, role: string, description?: string) {
    const r = await as(admin).post(`/v1/projects/${project}/tokens`, { role, description });
    expect(r.status).toBe(201);
    return r.body as { id: string; token: string; role: string; project: string; createdAt: string; description?: string };
  }

  let packs: unknown;
  const profile = (name: string) => ({ name, packs });

  beforeAll(async () => {
    api = await startApi({ awsEndpoint: `http://127.0.0.1:${await freePort()}` });
    admin = api.token;
    packs = (await as(admin).get('/v1/cluster-profiles/aws-default')).body.packs;
    expect(packs).toBeDefined();
    for (const name of ['alpha', 'beta']) expect((await as(admin).post('/v1/projects', { name })).status).toBe(201);
    tokens.alphaOperator = await issue('alpha', 'operator', 'CI');
    tokens.alphaViewer = await issue('alpha', 'viewer');
    tokens.betaOperator = await issue('beta', 'operator');
  });

  afterAll(() => api?.close());

  describe('projects (admin only)', () => {
    it('lists default first, then the created projects', async () => {
      const r = await as(admin).get('/v1/projects');
      expect(r.status).toBe(200);
      expect(r.body.map((p: { name: string }) => p.name)).toEqual(['default', 'alpha', 'beta']);
      expect(r.body[1].createdAt).toEqual(expect.any(String));
      expect((await as(admin).get('/v1/projects/beta')).body.name).toBe('beta');
      expect((await as(admin).get('/v1/projects/default')).status).toBe(200);
      expect((await as(admin).get('/v1/projects/gamma')).status).toBe(404);
    });

    it('refuses a name that is not a DNS label (400 naming the field), a taken one and default (409)', async () => {
      for (const name of ['Alpha', '-a', 'a-', 'a_b', 'a'.repeat(64), '', 'a/b']) {
        const r = await as(admin).post('/v1/projects', { name });
        expect(`${name} → ${r.status}`).toBe(`${name} → 400`);
        expect(r.body.details).toEqual([expect.objectContaining({ field: 'name', rule: 'matches' })]);
      }
      expect((await as(admin).post('/v1/projects', { name: 'a'.repeat(63) })).status).toBe(201);
      for (const name of ['alpha', 'default']) {
        const r = await as(admin).post('/v1/projects', { name });
        expect(r.status).toBe(409);
        expect(r.body.message).toBe(`name: a project named "${name}" already exists`);
      }
      expect((await as(admin).post('/v1/projects', { name: 'x', extra: 1 })).body.details).toEqual([expect.objectContaining({ field: 'extra', rule: 'whitelistValidation' })]);
    });

    it('is out of reach of project tokens, even for their own project', async () => {
      for (const { token } of Object.values(tokens)) {
        for (const r of [await as(token).get('/v1/projects'), await as(token).post('/v1/projects/alpha/tokens', { role: 'operator' }), await as(token).get('/v1/projects/alpha/tokens')]) {
          expect(r.status).toBe(403);
          expect(r.body.message).toMatch(/needs the admin token/);
        }
      }
    });
  });

  describe('tokens', () => {
    it('shows a new token once, recognisable by its prefix, and keeps only its hash', async () => {
      const created = await issue('alpha', 'viewer', 'dashboard');
      expect(created).toEqual({ id: expect.stringMatching(/^tok-/), token: expect.stringMatching(/^cf_[A-Za-z0-9_-]{43}$/), role: 'viewer', project: 'alpha', description: 'dashboard', createdAt: expect.any(String) });
      const listed = await as(admin).get('/v1/projects/alpha/tokens');
      expect(listed.status).toBe(200);
      const mine = listed.body.find((t: { id: string }) => t.id === created.id);
      expect(mine).toEqual({ id: created.id, role: 'viewer', project: 'alpha', description: 'dashboard', createdAt: created.createdAt });
      expect(listed.text).not.toContain(created.token);
      // Nowhere in the store's files either (the WAL included).
      for (const file of fs.readdirSync(api.dataDir).filter((f) => f.startsWith('clusterflow.sqlite'))) {
        expect(fs.readFileSync(path.join(api.dataDir, file)).includes(created.token)).toBe(false);
      }
      expect(listed.body.map((t: { project: string }) => t.project)).toEqual(listed.body.map(() => 'alpha'));
    });

    it('refuses a bad role or an unknown project', async () => {
      const bad = await as(admin).post('/v1/projects/alpha/tokens', { role: 'admin' });
      expect(bad.status).toBe(400);
      expect(bad.body.details).toEqual([{ field: 'role', rule: 'isIn', message: 'role must be one of viewer, operator' }]);
      expect((await as(admin).post('/v1/projects/gamma/tokens', { role: 'viewer' })).status).toBe(404);
      expect((await as(admin).get('/v1/projects/gamma/tokens')).status).toBe(404);
    });

    it('revokes: the token answers 401 from then on; revoking again, or through another project, is 404', async () => {
      const doomed = await issue('beta', 'operator');
      expect((await as(doomed.token).get('/v1/cluster-profiles')).status).toBe(200);
      expect((await as(admin).delete(`/v1/projects/alpha/tokens/${doomed.id}`)).status).toBe(404);
      expect((await as(admin).delete(`/v1/projects/beta/tokens/${doomed.id}`)).status).toBe(204);
      const after = await as(doomed.token).get('/v1/cluster-profiles');
      expect(after.status).toBe(401);
      expect(after.body.message).toBe('invalid bearer token');
      expect((await as(admin).delete(`/v1/projects/beta/tokens/${doomed.id}`)).status).toBe(404);
      expect((await as(admin).get('/v1/projects/beta/tokens')).body.map((t: { id: string }) => t.id)).not.toContain(doomed.id);
    });
  });

  describe('a project token sees its own project only', () => {
    it('profiles: made in alpha, invisible (404) to beta and to the admin in default, visible to the admin naming alpha', async () => {
      const made = await as(tokens.alphaOperator.token).post('/v1/cluster-profiles', profile('alpha-prof'));
      expect(made.status).toBe(201);
      const id = made.body.id;
      expect((await as(tokens.alphaViewer.token).get(`/v1/cluster-profiles/${id}`)).status).toBe(200);
      const beta = as(tokens.betaOperator.token);
      expect((await beta.get(`/v1/cluster-profiles/${id}`)).status).toBe(404);
      expect((await beta.delete(`/v1/cluster-profiles/${id}`)).status).toBe(404);
      expect((await beta.get('/v1/cluster-profiles')).body.map((p: { id: string }) => p.id)).not.toContain(id);
      expect((await as(admin).get(`/v1/cluster-profiles/${id}`)).status).toBe(404);
      expect((await as(admin, { 'X-Clusterflow-Project': 'alpha' }).get(`/v1/cluster-profiles/${id}`)).status).toBe(200);
      // The same name is free in another project.
      expect((await beta.post('/v1/cluster-profiles', profile('alpha-prof'))).status).toBe(201);
      // Still there after beta's attempts; its own operator removes it.
      expect((await as(tokens.alphaOperator.token).delete(`/v1/cluster-profiles/${id}`)).status).toBe(204);
    });

    it('cloud accounts: alpha’s account is 404 to beta for every route, and read-only to alpha’s viewer', async () => {
      // Inserted into the API's own store: registering one through the API needs STS, and
      // which project an account lands in is the profile case above.
      const store = await SqliteStore.open(api.dataDir);
      try {
        await store.insertCloudAccount({ id: 'acct-of-alpha', project: 'alpha', name: 'alpha aws', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', sealedSecret: 'sealed', createdAt: new Date().toISOString() });
      } finally {
        await store.close();
      }
      const rotate = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
      const beta = as(tokens.betaOperator.token);
      expect((await beta.get('/v1/cloud-accounts/acct-of-alpha')).status).toBe(404);
      expect((await beta.patch('/v1/cloud-accounts/acct-of-alpha', rotate)).status).toBe(404);
      expect((await beta.delete('/v1/cloud-accounts/acct-of-alpha')).status).toBe(404);
      expect((await beta.get('/v1/cloud-accounts')).body).toEqual([]);
      const viewer = as(tokens.alphaViewer.token);
      expect((await viewer.get('/v1/cloud-accounts')).body.map((a: { id: string }) => a.id)).toEqual(['acct-of-alpha']);
      for (const r of [await viewer.patch('/v1/cloud-accounts/acct-of-alpha', rotate), await viewer.delete('/v1/cloud-accounts/acct-of-alpha'), await viewer.post('/v1/cloud-accounts', { name: 'x', ...rotate })]) {
        expect(r.status).toBe(403);
        expect(r.body.message).toMatch(/^role viewer may only read: (PATCH|DELETE|POST) \/v1\/cloud-accounts(\/:id)? changes project "alpha"/);
      }
      expect((await as(tokens.alphaOperator.token).delete('/v1/cloud-accounts/acct-of-alpha')).status).toBe(204);
    });
  });

  describe('X-Clusterflow-Project', () => {
    it('moves the admin token into an existing project; an unknown one is 404, a malformed one 400', async () => {
      expect((await as(admin, { 'X-Clusterflow-Project': 'beta' }).get('/v1/cloud-accounts')).status).toBe(200);
      const unknown = await as(admin, { 'X-Clusterflow-Project': 'gamma' }).get('/v1/cloud-accounts');
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toBe('X-Clusterflow-Project: project "gamma" does not exist');
      const malformed = await as(admin, { 'X-Clusterflow-Project': 'Not_A_Label' }).get('/v1/cloud-accounts');
      expect(malformed.status).toBe(400);
      expect(malformed.body.details).toEqual([expect.objectContaining({ field: 'X-Clusterflow-Project', rule: 'project-name' })]);
    });

    it('cannot move a project token out of its project (403), and may name its own', async () => {
      const r = await as(tokens.alphaOperator.token, { 'X-Clusterflow-Project': 'beta' }).get('/v1/cloud-accounts');
      expect(r.status).toBe(403);
      expect(r.body.message).toBe('X-Clusterflow-Project: this token acts in project "alpha" only');
      // Same answer for a project that does not exist: no way to learn which projects do.
      expect((await as(tokens.alphaOperator.token, { 'X-Clusterflow-Project': 'gamma' }).get('/v1/cloud-accounts')).status).toBe(403);
      expect((await as(tokens.alphaOperator.token, { 'X-Clusterflow-Project': 'alpha' }).get('/v1/cloud-accounts')).status).toBe(200);
    });
  });
});
