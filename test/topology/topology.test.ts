import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RATE_LIMITS_FILE } from '../../cloud/sqlite-rate-limiter';
import type { ClusterSpec } from '../../common/cluster-spec';
import { freePort } from '../../common/ports';
import { mulberry32 } from '../../common/seeded-random';
import { operationWorkflowId } from '../../common/workflow-ids';
import { launchStack, RunningStack, stackEnv, stackPorts } from '../../scripts/stack-driver';
import { ensureTemporalServer } from '../../scripts/temporal-server';
import { createAccount, NOTHING, waitOperation, waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { RunningPostgres, startPostgres } from '../support/postgres';
import { ApiProcess, startApiProcess, startWorker, WorkerProcess } from '../support/processes';
import { counts, inventory, isLive } from '../support/sim-client';
import { composeEnvironment, startTemporalTopology, TemporalTopology } from '../support/temporal-server';
import { until } from '../support/until';

jest.setTimeout(15 * 60_000);
const BUILD_TIMEOUT_MS = 60 * 60_000;

const SEED = Number(process.env.TOPOLOGY_SEED ?? Math.floor(Math.random() * 1e9));
const { PENDING_ACTIVITY_STATE_STARTED } = proto.api.enums.v1.PendingActivityState;

/**
 * The production topology, for real: PostgreSQL (the machine's, a throwaway cluster), the
 * Temporal server at compose's release with compose's settings on it (schema and namespace set
 * up by compose's own scripts), the simulator, two workers and two API processes, all on one
 * PostgreSQL store (the workers' EC2 request buckets too). A cluster is created through one
 * API, scaled through the other while the Temporal server process is killed and started again,
 * read alike from both, and deleted.
 */
describe('production topology', () => {
  let pg: RunningPostgres;
  let temporal: TemporalTopology;
  let sim: RunningStack;
  let simUrl: string;
  let client: Client;
  const workers: WorkerProcess[] = [];
  const apis: ApiProcess[] = [];
  const dirs: string[] = [];
  const token = `cf_${randomBytes(24).toString('hex')}`;
  const random = mulberry32(SEED);
  const name = 'topo';

  /** Where each process of the deployment differs; the rest of its settings are compose's. */
  async function processEnv(service: 'worker' | 'api'): Promise<NodeJS.ProcessEnv> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `cf-topology-${service}-`));
    dirs.push(dataDir);
    const storeUrl = new URL(pg.url('clusterflow'));
    storeUrl.password = '';
    return {
      ...process.env,
      ...composeEnvironment(service),
      TEMPORAL_ADDRESS: temporal.address,
      // Its own data dir each: everything the processes share is in the store and the settings.
      CLUSTERFLOW_DATA_DIR: dataDir,
      CLUSTERFLOW_STORE_URL: storeUrl.toString(),
      CLUSTERFLOW_STORE_PASSWORD: pg.password,
      CLUSTERFLOW_SECRET_KEY: secretKey,
      CLUSTERFLOW_PAYLOAD_KEY: payloadKey,
      CLUSTERFLOW_API_TOKEN: token,
      AWS_ENDPOINT_URL: simUrl,
      CLUSTERFLOW_AWS_POLL_MS: '200',
      CLUSTERFLOW_API_HOST: '127.0.0.1',
      CLUSTERFLOW_API_PORT: String(await freePort()),
      CLUSTERFLOW_WORKER_METRICS_HOST: '127.0.0.1',
      CLUSTERFLOW_WORKER_METRICS_PORT: String(await freePort()),
    };
  }
  const secretKey = randomBytes(32).toString('base64');
  const payloadKey = randomBytes(32).toString('base64');

  // The first run on a machine builds the Temporal server (tens of minutes on two cores); later ones find it cached.
  beforeAll(() => {
    ensureTemporalServer();
  }, BUILD_TIMEOUT_MS);

  beforeAll(async () => {
    process.stdout.write(`topology seed ${SEED} (reproduce: TOPOLOGY_SEED=${SEED})\n`);
    pg = await startPostgres();
    temporal = await startTemporalTopology(pg);
    const ports = await stackPorts();
    const simDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-topology-sim-'));
    dirs.push(simDir);
    sim = await launchStack(stackEnv(ports, simDir, { CLUSTERFLOW_SIM_CONFIG: JSON.stringify({ delayScale: 0.3 }) }), ports, ['--only', 'moto,sim']);
    simUrl = `http://127.0.0.1:${ports.sim}`;
    // Both APIs start together on the empty store database (made by compose's schema script): the migrations take turns.
    const envs = [await processEnv('api'), await processEnv('api')];
    // Each kept as soon as it runs, so that afterAll stops it even when its twin failed to start.
    await Promise.all(envs.map(async (env) => apis.push(await startApiProcess(env))));
    for (let i = 0; i < 2; i++) workers.push(await startWorker(await processEnv('worker')));
    client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  });

  afterAll(async () => {
    await client?.connection.close();
    for (const p of [...apis, ...workers]) await p.kill('SIGTERM');
    await temporal?.stop();
    await sim?.interrupt();
    await pg?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function spec(accountId: string): ClusterSpec {
    return {
      name,
      profile: { id: 'aws-default' },
      cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.60.0.0/16' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
        { name: 'workers', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
      ],
    };
  }

  async function bothSay(path: string): Promise<unknown> {
    const [one, two] = await Promise.all(apis.map((api) => call(api.base, 'GET', path, { token })));
    expect(one.status).toBe(200);
    expect(two.body).toEqual(one.body);
    return one.body;
  }

  it('creates a cluster through API one; API two sees the account and the cluster', async () => {
    const accountId = await createAccount(apis[0].base, token, 'topology', { accessKeyId: 'AKIATOPOLOGYKEY00001', secretAccessKey: 'topologySecretKeyThatIsLongEnough0001' });
    expect((await call(apis[1].base, 'GET', `/v1/cloud-accounts/${accountId}`, { token })).status).toBe(200);
    expect((await call(apis[0].base, 'POST', '/v1/clusters', { token, body: spec(accountId) })).status).toBe(202);
    expect((await waitPhase(apis[1].base, token, name, ['Running', 'Failed'], 480_000)).phase).toBe('Running');
    await bothSay(`/v1/clusters/${name}`);
    expect(await bothSay(`/v1/cloud-accounts/${accountId}`)).toMatchObject({ clusters: [name] });

    // The two workers kept EC2's request buckets together, in the store: no worker kept a file
    // of its own (each has its own data dir), and the launch drew from the shared RunInstances bucket.
    const store = new PgClient({ connectionString: pg.url('clusterflow') });
    await store.connect();
    try {
      const buckets = (await store.query<{ key: string }>('SELECT key FROM rate_buckets ORDER BY key')).rows.map((row) => row.key);
      expect(buckets).toContainEqual(expect.stringMatching(/\|us-east-1\|RunInstances$/));
    } finally {
      await store.end();
    }
    expect(dirs.filter((dir) => fs.existsSync(path.join(dir, RATE_LIMITS_FILE)))).toEqual([]);
  });

  it('scales through API two while the Temporal server process is killed and started again; the scale finishes and both APIs agree', async () => {
    const scaled = await call(apis[1].base, 'PATCH', `/v1/clusters/${name}/pools/workers`, { token, body: { size: 3 } });
    expect(scaled.status).toBe(202);
    const operationId = scaled.body.operationId as string;
    // A moment inside the scale, drawn from the seed: a pause, then the first activity seen running.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3000)));
    const child = client.workflow.getHandle(operationWorkflowId('default', name, operationId));
    const running = await until(
      async () => ((await child.describe().catch(() => undefined))?.raw.pendingActivities ?? []).filter((a) => a.state === PENDING_ACTIVITY_STATE_STARTED),
      (found) => found.length > 0,
      'an activity of the scale running',
    );
    process.stdout.write(`restarting the Temporal server while ${running.map((a) => a.activityType?.name).join(', ')} of ${operationId} ran\n`);
    await temporal.kill();
    expect(temporal.serving()).toBe(false);
    await temporal.start();

    const operation = await waitOperation(apis[0].base, token, name, operationId, ['Succeeded', 'Failed', 'Cancelled'], 480_000);
    expect({ state: operation.state, message: operation.message }).toMatchObject({ state: 'Succeeded' });
    const status = (await bothSay(`/v1/clusters/${name}`)) as { phase: string; pools: Array<{ name: string; desired: number; nodes: unknown[] }> };
    expect(status.phase).toBe('Running');
    expect(status.pools.find((p) => p.name === 'workers')).toMatchObject({ desired: 3, nodes: [expect.anything(), expect.anything(), expect.anything()] });
    await bothSay(`/v1/clusters/${name}/operations/${operationId}`);
    const live = (await inventory(simUrl, `clusterflow.io/cluster=default/${name}`)).instances.filter(isLive);
    expect(live.map((i) => i.tags?.['clusterflow.io/resource']).sort()).toEqual(['bastion', 'node/master/0', 'node/workers/0', 'node/workers/1', 'node/workers/2']);
  });

  it('deletes it through API one: the cloud holds nothing of it, the account is free on API two', async () => {
    expect((await call(apis[0].base, 'DELETE', `/v1/clusters/${name}`, { token })).status).toBe(202);
    expect((await waitPhase(apis[1].base, token, name, ['Deleted', 'Failed'], 480_000)).phase).toBe('Deleted');
    expect(counts(await inventory(simUrl, `clusterflow.io/cluster=default/${name}`))).toEqual(NOTHING);
    const accounts = (await call(apis[1].base, 'GET', '/v1/cloud-accounts', { token })).body as Array<{ clusters: string[] }>;
    expect(accounts.map((a) => a.clusters)).toEqual([[]]);
  });
});
