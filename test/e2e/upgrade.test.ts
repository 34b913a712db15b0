import { DescribeInstanceAttributeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstanceHealthCommand, ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { ClusterSpec } from '../../common/cluster-spec';
import { waitOperation, waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { inventory, InventoryItem, isLive, transitions } from '../support/sim-client';
import { useStack } from '../support/stack';
import { stackDataConverter } from '../support/stack-codec';
import { until } from '../support/until';
import { workflowCode } from '../support/workflow-code';

jest.setTimeout(300000);

/**
 * POST /v1/clusters/:name/upgrade through the API against the real stack: the refusals, the
 * dry run, then an upgrade of a small cluster with a spot pool, checked in the simulator's
 * inventory and in what EC2 says each node boots.
 */
describe('Kubernetes upgrade (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 }, env: { CLUSTERFLOW_SPOT_INTERVAL_S: '1' } });
  const keys = { accessKeyId: 'AKIAUPGRADETEST00001', secretAccessKey: 'upgradeSecretKeyThatIsLongEnough0001' };
  let api: string;
  let sim: string;
  let token: string;
  let temporal: Client;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` }), dataConverter: stackDataConverter(stack) });
    const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name: 'up', ...keys } });
    const spec: ClusterSpec = {
      name: 'up',
      profile: { id: 'aws-default' },
      // A classic ELB, asked for by name: replacing a control-plane node behind one stays covered
      // end to end while new clusters get a network load balancer.
      cloud: { accountId: account.body.id, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.70.0.0/16' }, apiEndpoint: { type: 'classic' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
        { name: 'workers', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
        { name: 'spot', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'], capacity: { type: 'spot', maxPricePercent: 50 } },
      ],
    };
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    expect((await waitPhase(api, token, 'up', ['Running', 'Failed'])).phase).toBe('Running');
    await until(spotNodes, (n) => n.length === 1, 'the spot node running');
  });

  /** The spot pool's live nodes, as the simulator lists them. */
  const spotNodes = async () => (await nodes()).filter((n) => isLive(n) && n.tags?.['clusterflow.io/resource']?.startsWith('node/spot/'));

  /** The Kubernetes version a node boots, from its user data as EC2 answers it. */
  async function bootedVersion(instanceId: string | undefined): Promise<string | undefined> {
    const ec2 = new EC2Client({ endpoint: sim, region: 'us-east-1', credentials: keys });
    try {
      const attribute = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }));
      return /KUBERNETES_VERSION=([\d.]+)/.exec(Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8'))?.[1];
    } finally {
      ec2.destroy();
    }
  }

  afterAll(async () => {
    await temporal?.connection.close();
  });

  const upgrade = (body: unknown, query = '') => call(api, 'POST', `/v1/clusters/up/upgrade${query}`, { token, body });
  const problems = (r: { body: { details: Array<{ field: string; rule: string }> } }) => r.body.details.map((d) => `${d.field} ${d.rule}`);

  async function nodes(): Promise<InventoryItem[]> {
    const inv = await inventory(sim, 'clusterflow.io/cluster=default/up');
    return inv.instances.filter((i) => i.tags?.['clusterflow.io/resource']?.startsWith('node/'));
  }

  it('answers 400 naming the field for malformed input, and 422 naming the rule for a version the skew policy forbids', async () => {
    for (const body of [{ kubernetesVersion: '1.32' }, { kubernetesVersion: 'v1.32.2' }, { kubernetesVersion: 132 }, {}]) {
      const r = await upgrade(body);
      expect(r.status).toBe(400);
      expect(r.body.details.map((d: { field: string }) => d.field)).toContain('kubernetesVersion');
    }
    const extra = await upgrade({ kubernetesVersion: '1.32.2', force: true });
    expect(extra.status).toBe(400);
    expect(problems(extra)).toContain('force whitelistValidation');
    for (const [version, rule] of [
      ['1.33.0', 'kubernetes-one-minor-up'],
      ['1.31.4', 'kubernetes-version-changes'],
      ['1.31.3', 'kubernetes-never-down'],
      ['1.30.9', 'kubernetes-never-down'],
      ['2.0.0', 'kubernetes-version-format'],
      ['1.032.0', 'kubernetes-version-format'],
    ]) {
      for (const query of ['', '?dryRun=true']) {
        const r = await upgrade({ kubernetesVersion: version }, query);
        expect({ version, query, status: r.status, problems: problems(r) }).toEqual({ version, query, status: 422, problems: [`kubernetesVersion ${rule}`] });
      }
    }
    expect((await call(api, 'POST', '/v1/clusters/nope/upgrade', { token, body: { kubernetesVersion: '1.32.2' } })).status).toBe(404);
  });

  it('dry run: the nodes in the order they roll, each with its current and new version, and the surge node’s price; changes nothing', async () => {
    const before = (await nodes()).map((n) => n.id).sort();
    const r = await upgrade({ kubernetesVersion: '1.32.2' }, '?dryRun=true');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'up', dryRun: true, from: '1.31.4', to: '1.32.2' });
    expect(r.body.spotPools).toEqual([
      {
        pool: 'spot',
        replacedBy: expect.stringContaining('watcher'),
        replacements: [{ key: 'node/spot/0', instanceId: (await spotNodes())[0].id, az: 'us-east-1a', reasons: ['Kubernetes 1.31.4 → 1.32.2'] }],
        kept: [],
      },
    ]);
    expect(r.body.replacements.map((s: Record<string, unknown>) => [s.step, s.key, s.currentVersion, s.currentVersionFrom, s.newVersion])).toEqual([
      [1, 'node/master/0', '1.31.4', 'node', '1.32.2'],
      [2, 'node/workers/0', '1.31.4', 'node', '1.32.2'],
    ]);
    expect(r.body.surge.pools).toEqual([
      { pool: 'master', instanceType: 'm5.large', usdPerHour: expect.any(Number) },
      { pool: 'workers', instanceType: 'm5.large', usdPerHour: expect.any(Number) },
    ]);
    expect(r.body.surge.maxUsdPerHour).toBeGreaterThan(0);
    expect((await nodes()).map((n) => n.id).sort()).toEqual(before);
    const ops = await call(api, 'GET', '/v1/clusters/up/operations', { token });
    expect(ops.body.map((o: { type: string }) => o.type)).toEqual(['create']);
  });

  it('upgrades: every live node is of the upgrade’s generation, the old ones terminated, only the new control-plane node InService', async () => {
    const old = await nodes();
    expect(old.filter(isLive)).toHaveLength(3);
    const [oldSpot] = await spotNodes();
    expect(await bootedVersion(oldSpot.id)).toBe('1.31.4');
    const accepted = await upgrade({ kubernetesVersion: '1.32.2' });
    expect(accepted.status).toBe(202);
    const { operationId } = accepted.body;
    expect(operationId).toBe('op-2-upgrade');
    const op = await waitOperation(api, token, 'up', operationId);
    expect(op.state).toBe('Succeeded');
    expect(op.tasks.map((t: { name: string }) => t.name)).toEqual(['image', 'upgrade node/master/0', 'upgrade node/workers/0', 'roll spot through its watcher', 'replace node/spot/0']);

    const after = await nodes();
    const live = after.filter(isLive);
    const onDemand = live.filter((n) => !n.tags?.['clusterflow.io/resource']?.startsWith('node/spot/'));
    expect(onDemand.map((n) => `${n.tags?.['clusterflow.io/resource']} ${n.tags?.['clusterflow.io/generation']}`).sort()).toEqual(['node/master/0 2', 'node/workers/0 2']);
    // The spot node was replaced by its watcher, and EC2 says its replacement boots the new version.
    const [newSpot] = await spotNodes();
    expect(newSpot.id).not.toBe(oldSpot.id);
    expect(await bootedVersion(newSpot.id)).toBe('1.32.2');
    // The inventory lists only what exists; the transitions keep every instance, terminated ones too.
    const { instances } = await transitions(sim, 'clusterflow.io/cluster=default/up');
    for (const gone of old) expect(instances.find((i) => i.id === gone.id)?.transitions.at(-1)?.state).toBe('terminated');

    const master = live.find((n) => n.tags?.['clusterflow.io/resource'] === 'node/master/0')!;
    const inv = await inventory(sim, 'clusterflow.io/cluster=default/up');
    expect(inv.loadBalancers[0].instances).toEqual([master.id]);
    const status = await call(api, 'GET', '/v1/clusters/up', { token });
    expect(status.body.network.endpoint).toEqual({ kind: 'classic-elb', name: status.body.network.loadBalancerName });
    const elb = new ElasticLoadBalancingClient({ endpoint: sim, region: 'us-east-1', credentials: keys });
    try {
      const health = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: status.body.network.loadBalancerName }));
      expect(health.InstanceStates?.map((s) => `${s.InstanceId} ${s.State}`)).toEqual([`${master.id} InService`]);
    } finally {
      elb.destroy();
    }

    expect(status.body.phase).toBe('Running');
    expect(status.body.pools.flatMap((p: { nodes: Array<{ key: string; kubernetesVersion?: string }> }) => p.nodes.map((n) => `${n.key} ${n.kubernetesVersion}`))).toEqual([
      'node/master/0 1.32.2',
      'node/workers/0 1.32.2',
      'node/spot/0 1.32.2',
    ]);
    // The cluster is on 1.32.2 now: the same version again is refused, the next minor allowed up front.
    expect(problems(await upgrade({ kubernetesVersion: '1.32.2' }))).toEqual(['kubernetesVersion kubernetes-version-changes']);
    expect((await upgrade({ kubernetesVersion: '1.33.1' }, '?dryRun=true')).status).toBe(200);
  });

  it('replays the entity’s and the upgrade’s histories', async () => {
    for (const workflowId of ['cluster/default/up', 'cluster/default/up/op-2-upgrade', 'cluster/default/up/spot/spot']) {
      const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode(), dataConverter: stackDataConverter(stack) }, history, workflowId);
    }
  });
});
