import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { ClusterSpec } from '../../common/cluster-spec';
import { endpointMembers, waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { extremes, inventory, InventoryItem, isLive, simNow, transitions } from '../support/sim-client';
import { useStack } from '../support/stack';
import { stackDataConverter } from '../support/stack-codec';
import { workflowCode } from '../support/workflow-code';

jest.setTimeout(300000);

/**
 * Day-2 operations through the API against the real stack; the simulator's inventory checked
 * after each step: nodes per pool and AZ, instance types, load balancer registrations.
 */
describe('day-2 operations (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 } });
  let api: string;
  let sim: string;
  let token: string;
  let temporal: Client;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` }), dataConverter: stackDataConverter(stack) });
    const account = await call(api, 'POST', '/v1/cloud-accounts', {
      token,
      body: { name: 'ops', accessKeyId: 'AKIADAYTWOTEST000001', secretAccessKey: 'dayTwoSecretKeyThatIsLongEnough00001' },
    });
    const spec: ClusterSpec = {
      name: 'ops',
      profile: { id: 'aws-default' },
      cloud: { accountId: account.body.id, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.60.0.0/16' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
        { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
      ],
    };
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    expect((await waitPhase(api, token, 'ops', ['Running', 'Failed'])).phase).toBe('Running');
  });

  afterAll(async () => {
    await temporal?.connection.close();
  });

  async function pool(name: string): Promise<InventoryItem[]> {
    const inv = await inventory(sim, 'clusterflow.io/cluster=default/ops');
    return inv.instances.filter((i) => isLive(i) && i.tags?.['clusterflow.io/resource']?.startsWith(`node/${name}/`));
  }
  const azsOf = (nodes: InventoryItem[]) => nodes.map((n) => n.availabilityZone as string).sort();
  async function registered(): Promise<string[]> {
    return endpointMembers(await inventory(sim, 'clusterflow.io/cluster=default/ops'));
  }

  async function accepted(method: string, route: string, body?: unknown): Promise<string> {
    const r = await call(api, method, route, { token, body });
    expect(r.status).toBe(202);
    return r.body.operationId;
  }

  async function finished(operationId: string): Promise<void> {
    const deadline = Date.now() + 180000;
    for (;;) {
      const op = await call(api, 'GET', `/v1/clusters/ops/operations/${operationId}`, { token });
      if (op.body.state === 'Succeeded') return;
      if (op.body.state === 'Failed') throw new Error(`${operationId} failed: ${op.body.error}`);
      if (Date.now() > deadline) throw new Error(`${operationId} still ${op.body.state}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async function refused(method: string, route: string, body: unknown, status: number, rule?: string) {
    const r = await call(api, method, route, { token, body });
    expect(r.status).toBe(status);
    if (rule) expect(r.body.details.map((d: { rule: string }) => d.rule)).toContain(rule);
    return r;
  }

  it('refuses what the rules forbid, with 422 naming the rule', async () => {
    await refused('PATCH', '/v1/clusters/ops/pools/master', { size: 2 }, 422, 'control-plane-steps');
    await refused('PATCH', '/v1/clusters/ops/pools/master', { size: 5 }, 422, 'control-plane-steps');
    await refused('DELETE', '/v1/clusters/ops/pools/master', undefined, 422, 'control-plane-stays');
    await refused('DELETE', '/v1/clusters/ops/pools/workers', undefined, 422, 'keep-a-workload-pool');
    const pool = { name: 'workers', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] };
    await refused('POST', '/v1/clusters/ops/pools', pool, 422, 'unique-pool-names');
    await refused('POST', '/v1/clusters/ops/pools', { ...pool, name: 'far', azs: ['us-east-1d'] }, 422, 'az-has-subnets');
    await refused('POST', '/v1/clusters/ops/pools', { ...pool, name: 'odd', instanceType: 'zz9.large' }, 422, 'instance-type-offered');
    await refused('PATCH', '/v1/clusters/ops/pools/nope', { size: 3 }, 404);
    await refused('PATCH', '/v1/clusters/ops/pools/workers', {}, 400, 'one-change');
  });

  it('scales the control plane 1→3, joining the new nodes behind the API load balancer; refuses a second request meanwhile', async () => {
    const op = await accepted('PATCH', '/v1/clusters/ops/pools/master', { size: 3 });
    const busy = await refused('PATCH', '/v1/clusters/ops/pools/workers', { size: 3 }, 409);
    expect(busy.body.details).toEqual({ operationId: op });
    await finished(op);
    const masters = await pool('master');
    expect(azsOf(masters)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(await registered()).toEqual(masters.map((m) => m.id).sort());
    await refused('PATCH', '/v1/clusters/ops/pools/master', { size: 1 }, 422, 'control-plane-never-down');
  });

  it('scales a worker pool up and down, staying spread over its AZs', async () => {
    await finished(await accepted('PATCH', '/v1/clusters/ops/pools/workers', { size: 4 }));
    expect(azsOf(await pool('workers'))).toEqual(['us-east-1a', 'us-east-1a', 'us-east-1b', 'us-east-1b']);
    await finished(await accepted('PATCH', '/v1/clusters/ops/pools/workers', { size: 1 }));
    expect(azsOf(await pool('workers'))).toEqual(['us-east-1a']);
    const status = await call(api, 'GET', '/v1/clusters/ops', { token });
    expect(status.body.pools.find((p: { name: string }) => p.name === 'workers')).toMatchObject({ desired: 1, nodes: [expect.objectContaining({ az: 'us-east-1a' })] });
  });

  it('adds a worker pool and removes it', async () => {
    const add = await accepted('POST', '/v1/clusters/ops/pools', { name: 'batch', role: 'worker', size: 2, instanceType: 'c5.xlarge', azs: ['us-east-1b', 'us-east-1c'] });
    await finished(add);
    const batch = await pool('batch');
    expect(azsOf(batch)).toEqual(['us-east-1b', 'us-east-1c']);
    expect(batch.every((n) => n.instanceType === 'c5.xlarge')).toBe(true);
    await finished(await accepted('DELETE', '/v1/clusters/ops/pools/batch'));
    expect(await pool('batch')).toEqual([]);
    const status = await call(api, 'GET', '/v1/clusters/ops', { token });
    expect(status.body.pools.map((p: { name: string }) => p.name)).toEqual(['master', 'workers']);
  });

  it('reconfigures a pool node by node: never fewer running than its size, never more than size + 1', async () => {
    await finished(await accepted('PATCH', '/v1/clusters/ops/pools/workers', { size: 2 }));
    // The simulator's clock brackets the operation, and its record of every state each
    // instance entered says what held at every instant in between: no sampling, no moment missed.
    const from = await simNow(sim);
    await finished(await accepted('PATCH', '/v1/clusters/ops/pools/workers', { instanceType: 'm5.xlarge' }));
    const to = await simNow(sim);
    const { instances } = await transitions(sim, 'clusterflow.io/cluster=default/ops');
    const workers = instances.filter((i) => i.tags['clusterflow.io/resource']?.startsWith('node/workers/'));
    const launched = workers.filter((w) => w.transitions[0] !== undefined && w.transitions[0].at >= from);
    expect(launched.map((w) => w.instanceType)).toEqual(['m5.xlarge', 'm5.xlarge']);
    const { maxLive, minRunning } = extremes(workers, from, to);
    expect(maxLive).toBe(3);
    expect(minRunning).toBeGreaterThanOrEqual(2);
    const after = await pool('workers');
    expect(after.map((n) => n.instanceType)).toEqual(['m5.xlarge', 'm5.xlarge']);
    expect(azsOf(after)).toEqual(['us-east-1a', 'us-east-1b']);
  });

  it('reconfigures the control plane, keeping the load balancer on exactly the live masters', async () => {
    await finished(await accepted('PATCH', '/v1/clusters/ops/pools/master', { instanceType: 'm5.xlarge' }));
    const masters = await pool('master');
    expect(masters.map((m) => m.instanceType)).toEqual(['m5.xlarge', 'm5.xlarge', 'm5.xlarge']);
    expect(await registered()).toEqual(masters.map((m) => m.id).sort());
  });

  it('replays every operation’s history', async () => {
    const ops = await call(api, 'GET', '/v1/clusters/ops/operations', { token });
    expect(ops.body.map((o: { type: string; state: string }) => `${o.type}:${o.state}`)).toEqual([
      'create:Succeeded', 'scale:Succeeded', 'scale:Succeeded', 'scale:Succeeded', 'add-pool:Succeeded', 'remove-pool:Succeeded', 'scale:Succeeded', 'reconfigure:Succeeded', 'reconfigure:Succeeded',
    ]);
    const ids = ['cluster/default/ops', ...ops.body.map((o: { id: string }) => `cluster/default/ops/${o.id}`)];
    for (const workflowId of ids) {
      const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode(), dataConverter: stackDataConverter(stack) }, history, workflowId);
    }
  });
});
