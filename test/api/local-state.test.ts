import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApiApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { freePort } from '../../common/ports';
import { call } from '../support/http';

/**
 * The API's start keeps its local state private and refuses a token anyone could guess. The
 * API runs in-process on a real port; Temporal and AWS are closed ports, which nothing here
 * reaches.
 */
describe('API start and its local state', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const modeOf = (file: string): string => (fs.statSync(path.join(dataDir, file)).mode & 0o777).toString(8);

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-state-'));
    env = {
      CLUSTERFLOW_DATA_DIR: dataDir,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
  });

  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start on an empty token file, so a blank bearer token can never authenticate', async () => {
    fs.writeFileSync(path.join(dataDir, 'api-token'), '', { mode: 0o600 });
    const outcome = await createApiApp(loadConfig(env), ['error']).catch((error: Error) => error);
    if (!(outcome instanceof Error)) {
      // It started: say what that let in.
      const port = await freePort();
      await outcome.app.listen(port, '127.0.0.1');
      const r = await fetch(`http://127.0.0.1:${port}/v1/cloud-accounts`, { headers: { authorization: 'Bearer \u00a0' } });
      await outcome.app.close();
      throw new Error(`the API started on an empty token file, and \`Bearer\` + a non-breaking space got ${r.status}`);
    }
    expect(outcome.message).toBe(
      `The API token in ${path.join(dataDir, 'api-token')} is empty: write a token of at least 32 printable ASCII characters there, or delete the file to have one generated.`,
    );
  });

  it('refuses a token file shorter than 32 characters', async () => {
    fs.writeFileSync(path.join(dataDir, 'api-token'), 'short-token-0123456789', { mode: 0o600 });
    await expect(createApiApp(loadConfig(env), ['error'])).rejects.toThrow(/is 22 characters long, shorter than 32: /);
  });

  it('refuses an operator-set token shorter than 16 characters', async () => {
    await expect(createApiApp(loadConfig({ ...env, CLUSTERFLOW_API_TOKEN: 'fifteen-chars-x' }), ['error'])).rejects.toThrow(
      /^CLUSTERFLOW_API_TOKEN is 15 characters long, shorter than 16: /,
    );
  });

  it('tightens a data dir, token, key and store left open to others, and serves with them', async () => {
    fs.chmodSync(dataDir, 0o755);
    const token = `cf_${'a'.repeat(40)}`;
    fs.writeFileSync(path.join(dataDir, 'api-token'), token, { mode: 0o644 });
    fs.chmodSync(path.join(dataDir, 'api-token'), 0o644);
    fs.writeFileSync(path.join(dataDir, 'clusterflow.sqlite'), '');
    fs.chmodSync(path.join(dataDir, 'clusterflow.sqlite'), 0o644);

    const { app } = await createApiApp(loadConfig(env), ['error']);
    try {
      const port = await freePort();
      await app.listen(port, '127.0.0.1');
      const packs = [
        { name: 'ubuntu', layer: 'os', version: '22.04', values: {} },
        { name: 'kubernetes', layer: 'k8s', version: '1.30.8', values: {} },
      ];
      // A write, so SQLite has its -wal and -shm files.
      expect((await call(`http://127.0.0.1:${port}`, 'POST', '/v1/cluster-profiles', { token, body: { name: 'private', packs } })).status).toBe(201);
      expect(modeOf('.')).toBe('700');
      const files = fs.readdirSync(dataDir).sort();
      // rate-limits.sqlite: EC2's request buckets, which the API's reads share with the workers.
      expect(files).toEqual([
        'api-token',
        'clusterflow.sqlite',
        'clusterflow.sqlite-shm',
        'clusterflow.sqlite-wal',
        'payload.key',
        'rate-limits.sqlite',
        'rate-limits.sqlite-shm',
        'rate-limits.sqlite-wal',
        'secret.key',
      ]);
      for (const file of files) expect(`${file} ${modeOf(file)}`).toBe(`${file} 600`);
    } finally {
      await app.close();
    }
  });
});
