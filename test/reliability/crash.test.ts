import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Task } from '../../common/cluster-status';
import { call } from '../support/http';
import { NOTHING, THREE_AZ_INVENTORY, threeAzSpec, waitPhase } from '../support/clusters';
import { armHold, releaseHold, waitParked } from '../support/sim-holds';
import { startWorker, WorkerProcess } from '../support/processes';
import { counts, extremes, inventory, isLive, simNow, transitions } from '../support/sim-client';
import { launchStack, RunningStack, stackEnv, stackPorts, StackPorts } from '../../scripts/stack-driver';

/**
 * Real processes killed at real moments. The worker runs on its own so it can be SIGKILLed
 * mid-step and started again; the Temporal dev server runs in its own launcher so it can be
 * stopped and started on the same database. Afterwards the simulator's inventory must hold
 * exactly what the cluster should own: no duplicate, no orphan.
 */
jest.setTimeout(300000);

const KEYS = { accessKeyId: 'AKIACRASHTEST0000001', secretAccessKey: 'crashTestSecretKeyThatIsLongEnough01' };

describe('reliability: killed processes', () => {
  let ports: StackPorts;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let temporal: RunningStack | undefined;
  let rest: RunningStack | undefined;
  let worker: WorkerProcess | undefined;
  let api: string;
  let sim: string;
  let token: string;
  let accountId: string;

  beforeAll(async () => {
    ports = await stackPorts();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-crash-'));
    // Half the simulator's default delays: long enough to land a kill inside a step.
    env = stackEnv(ports, dataDir, { CLUSTERFLOW_SIM_CONFIG: JSON.stringify({ delayScale: 0.5 }), CLUSTERFLOW_AWS_POLL_MS: '200' });
    temporal = await launchStack(env, ports, ['--only', 'temporal']);
    rest = await launchStack(env, ports, ['--only', 'moto,sim,api']);
    worker = await startWorker(env);
    api = `http://127.0.0.1:${ports.api}`;
    sim = `http://127.0.0.1:${ports.sim}`;
    token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name: 'crash', ...KEYS } });
    accountId = account.body.id;
  });

  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await rest?.interrupt();
    await temporal?.interrupt();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * SIGKILLs the worker inside a step: the simulator parks the step's next `action` call (one
   * carrying `withValue`, such as the resource key in its tags, when given), so
   * the worker dies with that call under way (AWS then performs it, and its answer is lost),
   * and a new worker takes over.
   */
  async function killWorkerDuring(cluster: string, operationId: string, action: string, withValue?: string): Promise<string> {
    const hold = await armHold(sim, action, { withValue });
    await waitParked(sim, hold).catch(async (error: Error) => {
      // Say where the operation is instead of only that the call never came.
      const operation = await call(api, 'GET', `/v1/clusters/${cluster}/operations/${operationId}`, { token });
      throw new Error(`${error.message}\noperation: ${operation.text}\nworker output (end):\n${worker!.output().slice(-4000)}`);
    });
    const running = await runningTasks(cluster, operationId);
    await worker!.kill('SIGKILL');
    await releaseHold(sim, hold);
    worker = await startWorker(env);
    expect(running).not.toEqual([]);
    return running.join(', ');
  }

  async function runningTasks(cluster: string, operationId: string): Promise<string[]> {
    const operation = await call(api, 'GET', `/v1/clusters/${cluster}/operations/${operationId}`, { token });
    return (operation.body.tasks as Task[]).filter((task) => task.state === 'Running').map((task) => task.name);
  }

  /** The operation's tasks that did not succeed: none when all went well, the culprit otherwise. */
  async function unfinishedTasks(cluster: string, operationId: string): Promise<Task[]> {
    const operation = await call(api, 'GET', `/v1/clusters/${cluster}/operations/${operationId}`, { token });
    return (operation.body.tasks as Task[]).filter((task) => task.state !== 'Succeeded');
  }

  it('create survives the worker being SIGKILLed at three points, with no duplicate resource', async () => {
    expect((await call(api, 'POST', '/v1/clusters', { token, body: threeAzSpec('crashy', accountId) })).status).toBe(202);
    expect(await killWorkerDuring('crashy', 'op-1-create', 'ec2:CreateVpc')).toContain('vpc');
    expect(await killWorkerDuring('crashy', 'op-1-create', 'ec2:CreateNatGateway', 'nat/us-east-1b')).toContain('nat gateway us-east-1b');
    expect(await killWorkerDuring('crashy', 'op-1-create', 'ec2:RunInstances', 'node/master/1')).toContain('node/master/1');
    const status = await waitPhase(api, token, 'crashy', ['Running', 'Failed']);
    expect(status.lastError).toBeUndefined();
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/crashy'))).toEqual(THREE_AZ_INVENTORY);
  });

  it('delete survives the worker being SIGKILLed at two points, leaving nothing', async () => {
    expect((await call(api, 'DELETE', '/v1/clusters/crashy', { token })).status).toBe(202);
    expect(await killWorkerDuring('crashy', 'op-2-delete', 'ec2:TerminateInstances')).toContain('instances');
    expect(await killWorkerDuring('crashy', 'op-2-delete', 'ec2:DeleteSecurityGroup')).toContain('security groups');
    const deleted = await waitPhase(api, token, 'crashy', ['Deleted', 'Failed'], 240000).catch(() => undefined);
    // A delete that stalls names its stuck task here rather than as a timeout.
    expect(await unfinishedTasks('crashy', 'op-2-delete')).toEqual([]);
    expect(deleted?.lastError).toBeUndefined();
    expect(deleted?.phase).toBe('Deleted');
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/crashy'))).toEqual(NOTHING);
  }, 600000);

  it('a rolling reconfigure survives worker SIGKILLs without a double replacement', async () => {
    const spec = threeAzSpec('rolling', accountId);
    spec.pools = [
      { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
      { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
    ];
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    expect((await waitPhase(api, token, 'rolling', ['Running', 'Failed'])).phase).toBe('Running');
    const patch = await call(api, 'PATCH', '/v1/clusters/rolling/pools/workers', { token, body: { instanceType: 'm5.xlarge' } });
    expect(patch.status).toBe(202);
    const operationId: string = patch.body.operationId;

    const workers = async () =>
      (await inventory(sim, 'clusterflow.io/cluster=default/rolling')).instances.filter(
        (i) => i.tags?.['clusterflow.io/resource']?.startsWith('node/workers/') && isLive(i),
      );
    const from = await simNow(sim);
    expect(await killWorkerDuring('rolling', operationId, 'ec2:RunInstances', 'node/workers/0')).toContain('replace node/workers/0');
    expect(await killWorkerDuring('rolling', operationId, 'ec2:RunInstances', 'node/workers/1')).toContain('replace node/workers/1');
    const deadline = Date.now() + 240000;
    let state = 'Running';
    while (state === 'Running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      state = (await call(api, 'GET', `/v1/clusters/rolling/operations/${operationId}`, { token })).body.state;
    }
    const to = await simNow(sim);
    expect(state).toBe('Succeeded');
    // Named by key and generation, so that a duplicate says which node and which launch it is.
    const left = (await workers()).map((w) => `${w.tags?.['clusterflow.io/resource']} ${w.instanceType} generation ${w.tags?.['clusterflow.io/generation']} (${w.id})`);
    expect(left).toHaveLength(2);
    expect(left.map((line) => line.split(' ').slice(0, 2).join(' ')).sort()).toEqual(['node/workers/0 m5.xlarge', 'node/workers/1 m5.xlarge']);
    // What held at every instant of the operation, from the simulator's record of each state change.
    const history = (await transitions(sim, 'clusterflow.io/cluster=default/rolling')).instances.filter((i) => i.tags['clusterflow.io/resource']?.startsWith('node/workers/'));
    const { maxLive, minRunning } = extremes(history, from, to);
    expect(maxLive).toBe(3);
    expect(minRunning).toBeGreaterThanOrEqual(2);
    // Every instance this operation ever launched, terminated or not: one per replaced node.
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: sim, credentials: KEYS });
    const launched = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:clusterflow.io/cluster', Values: ['default/rolling'] },
          { Name: 'tag:clusterflow.io/generation', Values: [operationId.split('-')[1]] },
        ],
      }),
    );
    ec2.destroy();
    expect((launched.Reservations ?? []).flatMap((r) => r.Instances ?? [])).toHaveLength(2);

    await call(api, 'DELETE', '/v1/clusters/rolling', { token });
    expect((await waitPhase(api, token, 'rolling', ['Deleted', 'Failed'])).phase).toBe('Deleted');
  });

  it('create survives the Temporal dev server restarting on the same database', async () => {
    expect((await call(api, 'POST', '/v1/clusters', { token, body: threeAzSpec('restarted', accountId) })).status).toBe(202);
    // The server stops while a NAT gateway's create is under way, and is back before it answers.
    const hold = await armHold(sim, 'ec2:CreateNatGateway', { withValue: 'nat/us-east-1a' });
    await waitParked(sim, hold);
    expect(await runningTasks('restarted', 'op-1-create')).toEqual(expect.arrayContaining([expect.stringMatching(/^nat gateway us-east-1/)]));
    expect(await temporal!.interrupt()).toBe(0);
    temporal = await launchStack(env, ports, ['--only', 'temporal']);
    await releaseHold(sim, hold);
    const status = await waitPhase(api, token, 'restarted', ['Running', 'Failed']);
    expect(status.lastError).toBeUndefined();
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/restarted'))).toEqual(THREE_AZ_INVENTORY);
    const ops = await call(api, 'GET', '/v1/clusters/restarted/operations', { token });
    expect(ops.body.map((o: { id: string; state: string }) => `${o.id}:${o.state}`)).toEqual(['op-1-create:Succeeded']);
    // The worker rode out the restart; it was not replaced.
    expect(worker!.child.exitCode).toBeNull();

    await call(api, 'DELETE', '/v1/clusters/restarted', { token });
    expect((await waitPhase(api, token, 'restarted', ['Deleted', 'Failed'])).phase).toBe('Deleted');
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/restarted'))).toEqual(NOTHING);
  });
});
