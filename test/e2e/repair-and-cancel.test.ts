import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { ClusterSpec } from '../../common/cluster-spec';
import { waitOperation, waitPhase, waitTask } from '../support/clusters';
import { call } from '../support/http';
import { inventory, InventoryItem, putSimConfig, isLive } from '../support/sim-client';
import { useStack } from '../support/stack';
import { stackDataConverter } from '../support/stack-codec';
import { workflowCode } from '../support/workflow-code';

jest.setTimeout(300000);

const KEYS = { accessKeyId: 'AKIAREPAIRCANCEL0001', secretAccessKey: 'repairCancelSecretKeyLongEnough00001' };

/** Cancel an operation midway, and self-repair of a node terminated behind Clusterflow's back. */
describe('cancel and self-repair (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.3 }, env: { CLUSTERFLOW_RECONCILE_INTERVAL_S: '2' } });
  let api: string;
  let sim: string;
  let token: string;
  let ec2: EC2Client;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    ec2 = new EC2Client({ region: 'us-east-1', endpoint: sim, credentials: KEYS });
    const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name: 'rc', ...KEYS } });
    const spec: ClusterSpec = {
      name: 'rc',
      profile: { id: 'aws-default' },
      cloud: { accountId: account.body.id, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.70.0.0/16' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
        { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
      ],
    };
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    expect((await waitPhase(api, token, 'rc', ['Running', 'Failed'])).phase).toBe('Running');
  });

  afterAll(async () => {
    ec2?.destroy();
  });

  async function workers(): Promise<InventoryItem[]> {
    const inv = await inventory(sim, 'clusterflow.io/cluster=default/rc');
    return inv.instances.filter((i) => isLive(i) && i.tags?.['clusterflow.io/resource']?.startsWith('node/workers/'));
  }


  it('cancels a scale-up midway: what it launched is terminated, nothing is orphaned', async () => {
    const before = (await workers()).map((w) => w.id).sort();
    // New instances stay pending until the cancel: the scale-up cannot finish before it.
    const { delays } = (await (await fetch(`${sim}/_sim/config`)).json()) as { delays: Record<string, number> };
    await putSimConfig(sim, { delays: { instancePending: 3_600_000 } });
    const scale = await call(api, 'PATCH', '/v1/clusters/rc/pools/workers', { token, body: { size: 5 } });
    expect(scale.status).toBe(202);
    const id = scale.body.operationId;
    await waitTask(api, token, 'rc', id, 'node/workers/3');
    // Midway: every launch has reached AWS, none can be ready.
    const deadline = Date.now() + 120000;
    while ((await workers()).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await workers()).length).toBe(5);
    expect((await call(api, 'GET', `/v1/clusters/rc/operations/${id}`, { token })).body.state).toBe('Running');
    expect((await call(api, 'POST', `/v1/clusters/rc/operations/${id}/cancel`, { token })).status).toBe(202);
    const op = await waitOperation(api, token, 'rc', id);
    await putSimConfig(sim, { delays: { instancePending: delays.instancePending } });
    expect(op.state).toBe('Cancelled');
    expect((await workers()).map((w) => w.id).sort()).toEqual(before);
    // Nothing of this operation's generation runs anywhere, whatever its tags say.
    const generation = id.split('-')[1];
    const all = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:clusterflow.io/generation', Values: [generation] }] }));
    const states = (all.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.State?.Name);
    expect(states.length).toBeGreaterThan(0);
    expect(states.every((s) => s === 'terminated' || s === 'shutting-down')).toBe(true);
    const status = await call(api, 'GET', '/v1/clusters/rc', { token });
    expect(status.body.phase).toBe('Running');
    expect(status.body.pools.find((p: { name: string }) => p.name === 'workers').nodes).toHaveLength(2);
    expect((await call(api, 'POST', `/v1/clusters/rc/operations/${id}/cancel`, { token })).status).toBe(409);
  });

  it('replaces a node terminated behind its back, recording a repair operation with the reason', async () => {
    const [victim] = await workers();
    const key = victim.tags!['clusterflow.io/resource'];
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [victim.id as string] }));
    const deadline = Date.now() + 120000;
    let repair: { id: string; state: string; reason: string } | undefined;
    while (!repair || repair.state !== 'Succeeded') {
      if (Date.now() > deadline) throw new Error(`no repair: ${JSON.stringify(repair)}`);
      await new Promise((r) => setTimeout(r, 500));
      const ops = await call(api, 'GET', '/v1/clusters/rc/operations', { token });
      repair = ops.body.find((o: { type: string }) => o.type === 'repair');
    }
    expect(repair.reason).toContain(`${key} (${victim.id}) is`);
    const now = await workers();
    expect(now).toHaveLength(2);
    expect(now.map((w) => w.id)).not.toContain(victim.id);
    expect(now.map((w) => w.tags!['clusterflow.io/resource'])).toContain(key);
    const status = await call(api, 'GET', '/v1/clusters/rc', { token });
    expect(status.body.pools.find((p: { name: string }) => p.name === 'workers').nodes.map((n: { instanceId: string }) => n.instanceId).sort()).toEqual(
      now.map((w) => w.id).sort(),
    );
  });

  it('replays the histories of the cancelled and the repair operations', async () => {
    const temporal = new Client({ connection: await Connection.connect({ address: stack.running.env.TEMPORAL_ADDRESS! }), dataConverter: stackDataConverter(stack) });
    try {
      const ops = await call(api, 'GET', '/v1/clusters/rc/operations', { token });
      expect(ops.body.map((o: { type: string; state: string }) => `${o.type}:${o.state}`)).toEqual(['create:Succeeded', 'scale:Cancelled', 'repair:Succeeded']);
      for (const workflowId of ['cluster/default/rc', ...ops.body.map((o: { id: string }) => `cluster/default/rc/${o.id}`)]) {
        const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
        await Worker.runReplayHistory({ ...workflowCode(), dataConverter: stackDataConverter(stack) }, history, workflowId);
      }
    } finally {
      await temporal.connection.close();
    }
  });
});
