import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../common/paths';
import { isPortTaken } from '../../common/ports';
import { call } from '../support/http';
import { launchStack, RunningStack, stackEnv, stackPorts, StackPorts } from '../../scripts/stack-driver';

/**
 * `npm start` as an operator runs it: the real launcher starts the Temporal dev server, moto,
 * the simulator, the worker and the API as processes, on ports of this test's choosing.
 */
describe('the stack launcher', () => {
  let dataDir: string;
  let ports: StackPorts;
  let stack: RunningStack | undefined;
  // Looks like an AWS secret; unique, so finding it anywhere is a leak and not a coincidence.
  const secretAccessKey = `e2eSecret${Date.now()}xQ7/kP2+vR9wL4mN8bT3`;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-stack-'));
    ports = await stackPorts();
  });

  afterAll(async () => {
    await stack?.interrupt();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything on 127.0.0.1, ready, with the Web UI and the token printed', async () => {
    // As `npm start` does: the worker bundles its workflows itself (the run's prebuilt bundle is for the other stacks).
    stack = await launchStack(stackEnv(ports, dataDir, { CLUSTERFLOW_WORKFLOW_BUNDLE: '' }), ports);
    const output = stack.output();
    expect(output).toMatch(/stack +\| ready/);
    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    expect(output).toContain(`API token        ${token}`);
    expect(output).toContain(`Temporal Web UI  http://127.0.0.1:${ports.ui}`);
    for (const name of ['temporal', 'moto', 'sim', 'worker', 'api']) expect(output).toMatch(new RegExp(`^${name} *\\| `, 'm'));
    expect(output).toMatch(/worker state RUNNING/);

    const ready = await call(`http://127.0.0.1:${ports.api}`, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', checks: { temporal: 'ok', store: 'ok' } } });
    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.sim}/_sim/healthz`)).status).toBe(200);
    // Both metrics endpoints, printed: the worker's open on 127.0.0.1, the API's behind the token.
    expect(output).toContain(`worker metrics   http://127.0.0.1:${ports.workerMetrics}/metrics`);
    expect(output).toContain(`API metrics      http://127.0.0.1:${ports.api}/metrics`);
    expect(output).toContain(`console          http://127.0.0.1:${ports.api}/   (sign in with the API token)`);
    expect(await (await fetch(`http://127.0.0.1:${ports.workerMetrics}/metrics`)).text()).toMatch(/^temporal_worker_start_total\{/m);
    expect((await fetch(`http://127.0.0.1:${ports.api}/metrics`)).status).toBe(401);
  });

  it('runs the test runner and every process of the stack under the Node.js that engines asks for', async () => {
    // package.json's engines is the requirement; under an older machine Node, `npm test` and
    // `npm start` run under the one scripts/node-runtime.js fetched (docs/architecture.md).
    const engines = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')).engines.node as string;
    const minimum = Number(/^>=(\d+)$/.exec(engines)?.[1]);
    expect(minimum).toBeGreaterThanOrEqual(24);
    const majorOf = (version: string) => Number(version.replace(/^v/, '').split('.')[0]);
    expect(majorOf(process.version)).toBeGreaterThanOrEqual(minimum);

    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    const metrics = await call(`http://127.0.0.1:${ports.api}`, 'GET', '/metrics', { token });
    const api = /^nodejs_version_info\{version="(v[\d.]+)"/m.exec(metrics.text)?.[1];
    const worker = /worker on Node\.js (v[\d.]+)/.exec(stack!.output())?.[1];
    const sim = (await call(`http://127.0.0.1:${ports.sim}`, 'GET', '/_sim/healthz')).body?.node;
    expect(majorOf(api ?? '')).toBeGreaterThanOrEqual(minimum);
    expect(majorOf(worker ?? '')).toBeGreaterThanOrEqual(minimum);
    expect(majorOf(sim ?? '')).toBeGreaterThanOrEqual(minimum);
    // The launcher starts its children with its own Node, the one running these tests.
    expect({ api, worker, sim }).toEqual({ api: process.version, worker: process.version, sim: process.version });
  });

  it('creates a cloud account whose secret reaches neither the response, the logs, nor the store file', async () => {
    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    const created = await call(`http://127.0.0.1:${ports.api}`, 'POST', '/v1/cloud-accounts', {
      token,
      body: { name: 'e2e', accessKeyId: 'AKIAE2ETESTKEY000001', secretAccessKey },
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(secretAccessKey);
    // Wait until the API has logged the request, then look for the secret in everything logged.
    for (let i = 0; i < 100 && !stack!.output().includes(`cloud account ${created.body.id}`); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stack!.output()).toContain(`cloud account ${created.body.id}`);
    expect(stack!.output()).not.toContain(secretAccessKey);
    const storeFiles = fs.readdirSync(dataDir).filter((f) => f.startsWith('clusterflow.sqlite'));
    expect(storeFiles).toContain('clusterflow.sqlite');
    for (const file of storeFiles) expect(fs.readFileSync(path.join(dataDir, file)).includes(secretAccessKey)).toBe(false);
  });

  it('stops every child on Ctrl-C, leaving no port taken', async () => {
    expect(await stack!.interrupt()).toBe(0);
    stack = undefined;
    for (const port of Object.values(ports)) expect(await isPortTaken(port)).toBe(false);
  });

  it('starts again on the same data dir, keeping the token and the accounts', async () => {
    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    stack = await launchStack(stackEnv(ports, dataDir), ports);
    expect(stack.output()).toContain(`API token        ${token}`);
    const list = await call(`http://127.0.0.1:${ports.api}`, 'GET', '/v1/cloud-accounts', { token });
    expect(list.body.map((a: { name: string }) => a.name)).toEqual(['e2e']);
    expect(await stack.interrupt()).toBe(0);
    stack = undefined;
  });

  it('does not print a token the operator set in CLUSTERFLOW_API_TOKEN, and accepts it', async () => {
    const chosen = 'cf_operator_chosen_token_0123456789abcdef';
    stack = await launchStack(stackEnv(ports, dataDir, { CLUSTERFLOW_API_TOKEN: chosen }), ports);
    expect(stack.output()).toContain('API token        (from CLUSTERFLOW_API_TOKEN)');
    expect(stack.output()).not.toContain(chosen);
    expect((await call(`http://127.0.0.1:${ports.api}`, 'GET', '/v1/cloud-accounts', { token: chosen })).status).toBe(200);
    expect(await stack.interrupt()).toBe(0);
    stack = undefined;
  });

  it('says which port is taken and how to choose another, starting nothing', async () => {
    const squatter = http.createServer(() => undefined);
    await new Promise<void>((r) => squatter.listen(ports.api, '127.0.0.1', r));
    try {
      const refused = await launchStack(stackEnv(ports, dataDir), ports, [], true);
      expect(await refused.exited).toBe(2);
      expect(refused.output()).toContain(`Port ${ports.api} on 127.0.0.1, wanted for the API, is already in use`);
      expect(refused.output()).toContain('CLUSTERFLOW_API_PORT');
      expect(refused.output()).not.toMatch(/starting temporal/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});
