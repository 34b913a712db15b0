import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import type { ClusterSpec } from '../../common/cluster-spec';
import type { PoolStatus, SpotPoolStatus } from '../../common/cluster-status';
import { waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { metricValue, scrape } from '../support/prometheus';
import { counts, extremes, inventory, InventoryItem, putSimConfig, isLive, simNow, transitions } from '../support/sim-client';
import { useStack } from '../support/stack';

jest.setTimeout(300000);

const KEYS = { accessKeyId: 'AKIASPOTWATCHTEST001', secretAccessKey: 'spotWatcherSecretKeyThatIsLongEnough01' };
const AZ_A = 'us-east-1a';
const AZ_B = 'us-east-1b';

/**
 * A spot pool through the API against the real stack: its bidding watcher waits while the
 * sim's spot price is above the bid and says why, launches at the bid when the price drops,
 * sees its nodes interrupted when the price rises, replaces them, degrades through a price
 * outage, and goes with the cluster.
 */
describe('spot pool (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 }, env: { CLUSTERFLOW_SPOT_INTERVAL_S: '1' } });
  let api: string;
  let sim: string;
  let token: string;
  let ec2: EC2Client;

  async function setPrices(prices: Record<string, number>, instanceType = 'm5.large'): Promise<string[]> {
    const body = Object.entries(prices).map(([availabilityZone, price]) => ({ region: 'us-east-1', availabilityZone, instanceType, price }));
    const r = await fetch(`${sim}/_sim/spot-prices`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.ok).toBe(true);
    return ((await r.json()) as { interrupted: string[] }).interrupted;
  }

  async function spotPool(): Promise<PoolStatus & { spot?: SpotPoolStatus }> {
    const r = await call(api, 'GET', '/v1/clusters/spotty', { token });
    return r.body.pools.find((p: PoolStatus) => p.name === 'spot');
  }

  async function until(what: string, test: (p: PoolStatus & { spot?: SpotPoolStatus }) => boolean, timeoutMs = 60000) {
    const deadline = Date.now() + timeoutMs;
    let last: PoolStatus | undefined;
    for (;;) {
      last = await spotPool().catch(() => last);
      if (last && test(last)) return last as PoolStatus & { spot: SpotPoolStatus };
      if (Date.now() > deadline) throw new Error(`spot pool never ${what}: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async function spotNodes(): Promise<InventoryItem[]> {
    const inv = await inventory(sim, 'clusterflow.io/cluster=default/spotty');
    return inv.instances.filter((i) => isLive(i) && i.tags?.['clusterflow.io/resource']?.startsWith('node/spot/'));
  }

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    ec2 = new EC2Client({ region: 'us-east-1', endpoint: sim, credentials: KEYS });
  });

  afterAll(async () => {
    ec2?.destroy();
  });

  it('creates the cluster without waiting for the spot pool, which waits (pricing down, then outbid) and says why', async () => {
    // m5.large in us-east-1 is $0.096 on demand: at 50 % the bid is $0.048.
    await setPrices({ [AZ_A]: 0.2, [AZ_B]: 0.2 });
    await putSimConfig(sim, { faults: { 'pricing:GetProducts': { code: 'ServiceUnavailableException', rate: 1, httpStatus: 503, message: 'pricing is down' } } });
    const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name: 'spot', ...KEYS } });
    const spec: ClusterSpec = {
      name: 'spotty',
      profile: { id: 'aws-default' },
      cloud: { accountId: account.body.id, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.80.0.0/16' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: [AZ_A, AZ_B] },
        { name: 'spot', role: 'worker', size: 2, instanceType: 'm5.large', azs: [AZ_A, AZ_B], capacity: { type: 'spot', maxPricePercent: 50 } },
      ],
    };
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    expect((await waitPhase(api, token, 'spotty', ['Running', 'Failed'])).phase).toBe('Running');

    // The Pricing API is down: no bid can be made, and the pool says so.
    const noPrice = await until('waits for the on-demand price', (p) => p.spot?.degraded === true && p.spot.checkedAt !== undefined, 90000);
    expect(noPrice.spot.bid).toBeUndefined();
    expect(noPrice.spot.lastError).toContain('on-demand price');
    expect(noPrice.waiting?.reason).toMatch(/^waiting for the on-demand price of m5\.large/);
    await putSimConfig(sim, { faults: { 'pricing:GetProducts': null } });

    const pool = await until('waits with a reason', (p) => p.spot?.bid !== undefined && p.spot.checkedAt !== undefined);
    expect(pool.spot).toMatchObject({ desired: 2, running: 0, waiting: 2, onDemandPrice: 0.096, bid: '0.0480', spotPrices: { [AZ_A]: 0.2, [AZ_B]: 0.2 } });
    expect(pool.nodes).toEqual([]);
    expect(pool.waiting).toEqual({ count: 2, reason: `spot $0.2 > bid $0.048 in ${AZ_A}; spot $0.2 > bid $0.048 in ${AZ_B}` });
    expect(await spotNodes()).toEqual([]);
    // The list (from visibility) summarises the spot pool as its spec has it; its nodes and why they wait are the cluster's own status'.
    const listed = await call(api, 'GET', '/v1/clusters', { token });
    expect(listed.body.items.find((c: { name: string }) => c.name === 'spotty')?.pools.find((p: { name: string }) => p.name === 'spot')).toEqual({
      name: 'spot',
      role: 'worker',
      instanceType: 'm5.large',
      capacity: { type: 'spot', maxPricePercent: 50 },
      desired: 2,
    });

    // What the watcher avoids: a launch with MaxPrice below the price fails, as on AWS.
    const master = (await inventory(sim, 'clusterflow.io/cluster=default/spotty')).instances.find((i) => isLive(i))!;
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [master.id as string] }));
    const template = described.Reservations![0].Instances![0];
    await expect(
      ec2.send(
        new RunInstancesCommand({
          MinCount: 1,
          MaxCount: 1,
          ImageId: template.ImageId,
          InstanceType: 'm5.large',
          SubnetId: template.SubnetId,
          InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { MaxPrice: '0.0480', SpotInstanceType: 'one-time' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'SpotMaxPriceTooLow' });
  });

  it('launches at the bid when the price drops, spread over the AZs in range', async () => {
    // Exactly the bid in one AZ: in range, and a MaxPrice a cent lower would have been refused.
    await setPrices({ [AZ_A]: 0.048, [AZ_B]: 0.03 });
    const pool = await until('runs 2 nodes', (p) => p.spot?.running === 2);
    expect(pool.waiting).toBeUndefined();
    const nodes = await spotNodes();
    expect(nodes).toHaveLength(2);
    expect(nodes.map((n) => n.lifecycle)).toEqual(['spot', 'spot']);
    expect(nodes.map((n) => n.availabilityZone).sort()).toEqual([AZ_A, AZ_B]);
  });

  it('reports interrupted nodes when the price rises above the bid, and replaces them when it drops', async () => {
    const before = (await spotNodes()).map((n) => n.id).sort();
    // A hair above the bid: nodes launched with MaxPrice = $0.0480 are outbid, as EC2 would do.
    const interrupted = await setPrices({ [AZ_A]: 0.0481, [AZ_B]: 0.0481 });
    expect(interrupted.sort()).toEqual(before);
    const outbid = await until('notices the interruption', (p) => p.spot?.running === 0 && p.spot.interruptions === 2);
    expect(outbid.waiting).toEqual({ count: 2, reason: `spot $0.0481 > bid $0.048 in ${AZ_A}; spot $0.0481 > bid $0.048 in ${AZ_B}` });
    expect(outbid.spot.lastInterruption).toContain('node/spot/');

    await setPrices({ [AZ_A]: 0.03, [AZ_B]: 0.031 });
    await until('replaces them', (p) => p.spot?.running === 2);
    const after = (await spotNodes()).map((n) => n.id as string);
    expect(after).toHaveLength(2);
    for (const id of after) expect(before).not.toContain(id);
  });

  it('degrades through a spot price outage, keeping the last known prices', async () => {
    await putSimConfig(sim, { faults: { 'ec2:DescribeSpotPriceHistory': { code: 'InternalError', rate: 1, httpStatus: 500, message: 'spot price history unavailable' } } });
    const degraded = await until('degrades', (p) => p.spot?.degraded === true, 90000);
    expect(degraded.spot.lastError).toContain('spot prices');
    expect(degraded.spot.spotPrices).toEqual({ [AZ_A]: 0.03, [AZ_B]: 0.031 });
    expect(degraded.spot.running).toBe(2);
    await putSimConfig(sim, { faults: { 'ec2:DescribeSpotPriceHistory': null } });
    await until('recovers', (p) => p.spot?.degraded !== true, 90000);
  });

  it('scales through the watcher', async () => {
    const scaled = await call(api, 'PATCH', '/v1/clusters/spotty/pools/spot', { token, body: { size: 3 } });
    expect(scaled.status).toBe(202);
    await until('runs 3 nodes', (p) => p.spot?.running === 3 && p.desired === 3);
    expect(await spotNodes()).toHaveLength(3);
  });

  it('rolls to another instance type one node at a time at the new bid, waiting while its price is out of range (dry run first)', async () => {
    const before = await spotNodes();
    const inA = before.filter((n) => n.availabilityZone === AZ_A).map((n) => n.tags!['clusterflow.io/resource']);
    expect(inA.length).toBeGreaterThan(0);
    // m5.xlarge is $0.192 on demand: at 50 % the bid is $0.096. Out of range in AZ A for now.
    await setPrices({ [AZ_A]: 0.15, [AZ_B]: 0.05 }, 'm5.xlarge');

    const dry = await call(api, 'PATCH', '/v1/clusters/spotty/pools/spot?dryRun=true', { token, body: { instanceType: 'm5.xlarge' } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      name: 'spotty',
      pool: 'spot',
      dryRun: true,
      operation: 'reconfigure',
      from: { instanceType: 'm5.large', size: 3 },
      to: { instanceType: 'm5.xlarge', size: 3 },
      usdPerHour: { from: 0.144, to: 0.288 },
      spot: {
        maxPricePercent: 50,
        onDemandUsdPerHour: 0.192,
        bid: '0.0960',
        azs: [
          { az: AZ_A, spotUsdPerHour: 0.15, inRange: false },
          { az: AZ_B, spotUsdPerHour: 0.05, inRange: true },
        ],
        wouldWait: true,
        waiting: [`waiting: spot price of m5.xlarge in ${AZ_A} is $0.15, above the bid $0.096`],
      },
    });
    expect(dry.body.replacements.map((r: { key: string }) => r.key)).toEqual(['node/spot/0', 'node/spot/1', 'node/spot/2']);
    // The dry run changed nothing.
    expect((await spotNodes()).map((n) => n.id).sort()).toEqual(before.map((n) => n.id).sort());

    const from = await simNow(sim);
    const accepted = await call(api, 'PATCH', '/v1/clusters/spotty/pools/spot', { token, body: { instanceType: 'm5.xlarge' } });
    expect(accepted.status).toBe(202);
    const { operationId } = accepted.body;
    expect(operationId).toMatch(/-reconfigure$/);
    const operation = async () => (await call(api, 'GET', `/v1/clusters/spotty/operations/${operationId}`, { token })).body;

    // The nodes in AZ B roll; the ones in AZ A wait, and the operation's task says why.
    const deadline = Date.now() + 90000;
    let op = await operation();
    while (!op.tasks?.some((t: { message?: string }) => t.message?.startsWith('waiting: spot price')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      op = await operation();
    }
    const waiting = op.tasks.find((t: { message?: string }) => t.message?.startsWith('waiting: spot price'));
    expect(waiting.message).toBe(`waiting: spot price of m5.xlarge in ${AZ_A} is $0.15, above the bid $0.096`);
    expect(inA.map((k) => `replace ${k}`)).toContain(waiting.name);
    expect(op.state).toBe('Running');

    await setPrices({ [AZ_A]: 0.06 }, 'm5.xlarge');
    while (op.state === 'Running' && Date.now() < deadline + 90000) {
      await new Promise((r) => setTimeout(r, 300));
      op = await operation();
    }
    expect(op.state).toBe('Succeeded');
    expect(op.tasks.filter((t: { name: string }) => t.name.startsWith('replace ')).map((t: { state: string }) => t.state)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    const to = await simNow(sim);

    // The cloud's own state: three m5.xlarge spot nodes, each replacement launched before its old node went.
    const after = await spotNodes();
    expect(after.map((n) => n.instanceType)).toEqual(['m5.xlarge', 'm5.xlarge', 'm5.xlarge']);
    expect(after.map((n) => n.lifecycle)).toEqual(['spot', 'spot', 'spot']);
    const history = (await transitions(sim, 'clusterflow.io/cluster=default/spotty')).instances.filter((i) => i.tags?.['clusterflow.io/resource']?.startsWith('node/spot/'));
    const { maxLive, minRunning } = extremes(history, from, to);
    expect(maxLive).toBe(4);
    expect(minRunning).toBe(3);
    const pool = await spotPool();
    expect(pool).toMatchObject({ instanceType: 'm5.xlarge', spot: { instanceType: 'm5.xlarge', bid: '0.0960' } });
    expect(pool.spot?.roll).toBeUndefined();
  });

  it('adds a spot pool (its watcher fills it) and removes it (its nodes go)', async () => {
    const pool = { name: 'extra', role: 'worker', size: 1, instanceType: 'm5.large', azs: [AZ_B], capacity: { type: 'spot', maxPricePercent: 40 } };
    expect((await call(api, 'POST', '/v1/clusters/spotty/pools', { token, body: pool })).status).toBe(202);
    const extra = async () => (await call(api, 'GET', '/v1/clusters/spotty', { token })).body.pools.find((p: PoolStatus) => p.name === 'extra') as PoolStatus & { spot?: SpotPoolStatus };
    const deadline = Date.now() + 60000;
    let seen = await extra();
    while (!(seen?.spot?.running === 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      seen = await extra();
    }
    expect(seen.spot).toMatchObject({ running: 1, bid: '0.0384' });
    const inv = await inventory(sim, 'clusterflow.io/cluster=default/spotty');
    expect(inv.instances.filter((i) => isLive(i) && i.tags?.['clusterflow.io/resource'] === 'node/extra/0').map((i) => i.lifecycle)).toEqual(['spot']);

    expect((await call(api, 'DELETE', '/v1/clusters/spotty/pools/extra', { token })).status).toBe(202);
    const gone = Date.now() + 60000;
    for (;;) {
      const status = (await call(api, 'GET', '/v1/clusters/spotty', { token })).body;
      const left = (await inventory(sim, 'clusterflow.io/cluster=default/spotty')).instances.filter((i) => isLive(i) && i.tags?.['clusterflow.io/resource']?.startsWith('node/extra/'));
      if (!status.currentOperation && !status.pools.some((p: PoolStatus) => p.name === 'extra') && left.length === 0) break;
      if (Date.now() > gone) throw new Error(`pool extra not removed: ${JSON.stringify(status.pools)}; ${left.length} nodes left`);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect((await spotNodes()).length).toBe(3);
  });

  it('deletes everything, the spot nodes included', async () => {
    expect((await call(api, 'DELETE', '/v1/clusters/spotty', { token })).status).toBe(202);
    expect((await waitPhase(api, token, 'spotty', ['Deleted', 'Failed'])).phase).toBe('Deleted');
    // The watcher terminates its nodes as it stops; the delete's sweep has done so already.
    const deadline = Date.now() + 30000;
    while ((await spotNodes()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/spotty'))).toEqual({
      vpcs: 0, subnets: 0, internetGateways: 0, natGateways: 0, addresses: 0, routeTables: 0, securityGroups: 0, instances: 0, loadBalancers: 0, targetGroups: 0, listeners: 0, secrets: 0, roles: 0, instanceProfiles: 0,
    });
  });

  it('left its traces: the worker\'s metrics (Temporal SDK, AWS calls, spot ticks, operations ended), the API\'s, and JSON logs without a secret', async () => {
    const worker = await scrape(`http://127.0.0.1:${stack.ports.workerMetrics}/metrics`);
    const apiMetrics = await scrape(`${api}/metrics`, token);
    const calls = (labels: Record<string, string>) => metricValue(worker, 'clusterflow_aws_calls_total', labels);
    expect(calls({ service: 'EC2', action: 'RunInstances', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(calls({ service: 'EC2', action: 'DescribeSpotPriceHistory', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    // The first test's pricing outage, after the SDK's retries.
    expect(calls({ service: 'Pricing', action: 'GetProducts', outcome: 'ServiceUnavailableException' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(worker, 'clusterflow_spot_watcher_ticks_total')).toBeGreaterThanOrEqual(3);
    // The SDK's own: workflow and activity tasks run by this worker.
    expect(metricValue(worker, 'temporal_workflow_completed_total')).toBeGreaterThanOrEqual(1);
    expect(metricValue(worker, 'temporal_activity_execution_latency_count')).toBeGreaterThanOrEqual(1);

    // Every operation the API started has ended on the worker, as many of each type.
    const started = apiMetrics.filter((m) => m.name === 'clusterflow_operations_started_total');
    expect(started.map((m) => m.labels.type).sort()).toEqual(['add-pool', 'create', 'delete', 'reconfigure', 'remove-pool', 'scale']);
    for (const { labels, value } of started) expect({ type: labels.type, ended: metricValue(worker, 'clusterflow_operations_finished_total', { type: labels.type }) }).toEqual({ type: labels.type, ended: value });
    expect(metricValue(worker, 'clusterflow_operations_finished_total', { type: 'create', outcome: 'Succeeded' })).toBe(1);

    // The components' own lines (the launcher's banner prints the token on purpose); Node's
    // own warnings on stderr are the only lines that are not JSON.
    const lines = stack.running
      .output()
      .split('\n')
      .filter((l) => /^(api|worker) +\| /.test(l))
      .map((l) => l.replace(/^\w+ +\| /, ''));
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.find((l) => l.component === 'worker' && /^worker state RUNNING/.test(String(l.msg)))).toMatchObject({ level: 'info', state: 'RUNNING' });
    expect(json.find((l) => l.component === 'api' && l.route === '/v1/clusters/:name' && l.method === 'DELETE')).toMatchObject({ status: 202, cluster: 'spotty', project: 'default', operationId: expect.stringMatching(/^op-\d+-delete$/) });
    // The pricing outage failed the watcher's local activity: said with the workflow, cluster and attempt.
    expect(json.find((l) => l.component === 'worker' && l.activityType === 'onDemandPrice')).toMatchObject({ cluster: 'default/spotty', workflowId: 'cluster/default/spotty/spot/spot', attempt: expect.any(Number) });
    const all = lines.join('\n');
    for (const secret of [token, KEYS.secretAccessKey]) expect(all).not.toContain(secret);
  });
});
