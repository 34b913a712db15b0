import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ClusterSpec, PoolSpec } from '../../common/cluster-spec';
import type { ClusterStatus, OperationRecord, Progress, SpotPoolStatus } from '../../common/cluster-status';
import { resolveProfile, withKubernetesVersion } from '../../common/profile';
import type { ProfileChange } from '../../common/day2-rules';
import { clusterWorkflowId, operationWorkflowId, spotWatcherId } from '../../common/workflow-ids';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import type { ClusterEntityInput } from '../../workflows/cluster-entity';
import { gate, stubActivities } from '../support/stub-activities';
import { startTemporal } from '../support/temporal';
import { until } from '../support/until';
import { exampleSpec } from '../unit/fixtures';
import { workflowCode } from '../support/workflow-code';

jest.setTimeout(180000);

const A = 'us-east-1a';
const B = 'us-east-1b';
type Instance = { instanceId: string; key: string; az: string; subnetId: string; instanceType: string; state: string; lifecycle: string; generation: number };

/**
 * A spot market behind the stubbed activities: spot prices per instance type and AZ, launches
 * refused below the price, and a log of every spot launch and termination, with the most spot
 * nodes ever alive at once.
 */
function market() {
  const prices: Record<string, Record<string, number>> = { 'm5.large': { [A]: 0.03, [B]: 0.03 }, 'm5.xlarge': { [A]: 0.05, [B]: 0.05 } };
  const onDemand: Record<string, number> = { 'm5.large': 0.096, 'm5.xlarge': 0.192 };
  const instances = new Map<string, Instance>();
  const events: string[] = [];
  /** What each instance was launched to boot, by instance id. */
  const userData = new Map<string, string>();
  const spotAlive = () => [...instances.values()].filter((i) => i.lifecycle === 'spot');
  let mostAlive = 0;
  let n = 0;
  /** While set, a spot replacement's wait for ready holds here. */
  let readyGate: ReturnType<typeof gate> | undefined;
  const { activities } = stubActivities({
    ensureSubnet: async (i: { az: string; public: boolean }) => ({ subnetId: `subnet-${i.public ? 'pub' : 'priv'}-${i.az}` }),
    onDemandPrice: async (i: { instanceType: string }) => onDemand[i.instanceType],
    spotPrices: async (i: { instanceType: string; azs: string[] }) => i.azs.map((az) => ({ az, price: prices[i.instanceType][az], at: '2026-01-01T00:00:00.000Z' })),
    ensureInstance: async (i: { key: string; subnetId: string; instanceType: string; generation: number; spotMaxPrice?: string; userData: string }) => {
      const az = i.subnetId.replace(/^subnet-\w+-/, '');
      const found = [...instances.values()].find((x) => x.key === i.key && x.generation === i.generation);
      if (found) return found;
      if (i.spotMaxPrice !== undefined && Number(i.spotMaxPrice) < prices[i.instanceType][az]) {
        throw ApplicationFailure.nonRetryable(`SpotMaxPriceTooLow: ${i.spotMaxPrice} < ${prices[i.instanceType][az]}`, 'SpotMaxPriceTooLow');
      }
      const info: Instance = { instanceId: `i-${String(++n).padStart(8, '0')}`, key: i.key, az, subnetId: i.subnetId, instanceType: i.instanceType, state: 'pending', lifecycle: i.spotMaxPrice ? 'spot' : 'on-demand', generation: i.generation };
      instances.set(info.instanceId, info);
      userData.set(info.instanceId, i.userData);
      if (info.lifecycle === 'spot') {
        events.push(`launch ${i.key} ${i.instanceType}`);
        mostAlive = Math.max(mostAlive, spotAlive().length);
      }
      return info;
    },
    waitInstanceReady: async (i: { instanceId: string }) => {
      const info = instances.get(i.instanceId);
      if (info?.lifecycle === 'spot' && readyGate) await readyGate.opened;
      const now = instances.get(i.instanceId);
      if (!now) throw ApplicationFailure.nonRetryable(`instance ${i.instanceId} is terminated`, 'InstanceNotRunning');
      if (now.lifecycle === 'spot') events.push(`ready ${now.key} ${now.instanceType}`);
      return { ...now, state: 'running' };
    },
    listClusterInstances: async () => [...instances.values()].map((i) => ({ ...i, state: 'running' })),
    terminateInstance: async (i: { key: string; generation?: number }) => {
      for (const [id, x] of instances) {
        if (x.key !== i.key || (i.generation !== undefined && x.generation !== i.generation)) continue;
        instances.delete(id);
        if (x.lifecycle === 'spot') events.push(`end ${x.key} ${x.instanceType}`);
      }
    },
  });
  /** A spot node interrupted: it vanishes, as EC2 does with an outbid one. */
  const interrupt = (key: string) => {
    for (const [id, x] of instances) if (x.key === key && x.lifecycle === 'spot') instances.delete(id);
    events.push(`interrupted ${key}`);
  };
  return {
    activities,
    prices,
    events,
    spotAlive,
    interrupt,
    mostAlive: () => mostAlive,
    /** The user data of the spot node alive under each key. */
    userDataByKey: () => Object.fromEntries(spotAlive().map((i) => [i.key, userData.get(i.instanceId) ?? ''])),
    holdReady: () => (readyGate = gate()),
    releaseReady: () => {
      readyGate?.open();
      readyGate = undefined;
    },
  };
}

/**
 * A spot pool's rolling reconfigure through the cluster entity on a real dev server, AWS
 * stubbed by a small spot market: the watcher replaces the nodes one at a time at the pool's
 * bid (never more than size + 1 alive), waits and says why while the new type's price is out
 * of range, is cancelled keeping what it replaced, and relaunches interrupted nodes on the
 * new type. Every history the suite makes replays.
 */
describe('spot pool reconfigure', () => {
  let env: TestWorkflowEnvironment;
  const profile = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {});
  let queue = 0;
  const made: string[] = [];
  const spot: PoolSpec = { name: 'spot', role: 'worker', size: 3, instanceType: 'm5.large', azs: [A, B], capacity: { type: 'spot', maxPricePercent: 50 } };

  beforeAll(async () => {
    env = await startTemporal();
  });

  afterAll(async () => {
    // Every history this suite made replays on today's code: the entity, the operations, the watchers.
    for (const workflowId of made) {
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode() }, history, workflowId);
    }
    await env?.teardown();
  });

  async function withCluster(name: string, m: ReturnType<typeof market>, body: (handle: Awaited<ReturnType<typeof env.client.workflow.start>>) => Promise<void>) {
    const taskQueue = `spot-reconfigure-${++queue}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowCode(), activities: m.activities });
    const [master] = exampleSpec().pools;
    const spec: ClusterSpec = exampleSpec({ name, pools: [{ ...master, size: 1, azs: [A] }, spot] });
    const input: ClusterEntityInput = { project: 'default', spec, profile, reconcileIntervalS: 3600, spotIntervalS: 0.2 };
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('clusterEntity', { taskQueue, workflowId: clusterWorkflowId('default', name), args: [input] });
      try {
        await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
        await until(watcherStatus(name), (s) => s.running === 3, 'three spot nodes');
        await body(handle);
      } finally {
        m.releaseReady();
        const ops = await handle.query<OperationRecord[]>('operations');
        made.push(handle.workflowId, spotWatcherId('default', name, 'spot'), ...ops.filter((o) => ['reconfigure', 'upgrade', 'change-profile'].includes(o.type)).map((o) => o.workflowId));
        await env.client.workflow.getHandle(spotWatcherId('default', name, 'spot')).terminate().catch(() => undefined);
        await handle.terminate().catch(() => undefined);
      }
    });
  }

  const watcherStatus = (name: string) => () => env.client.workflow.getHandle(spotWatcherId('default', name, 'spot')).query<SpotPoolStatus>('spotStatus');
  /** The operation's tasks; none yet while the entity has accepted it but not started its child. */
  const progressOf = (name: string, operationId: string) => () =>
    env.client.workflow
      .getHandle(operationWorkflowId('default', name, operationId))
      .query<Progress>('progress')
      .catch((error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return { completed: 0, total: 0, tasks: [] } satisfies Progress;
        throw error;
      });
  const reconfigure = (handle: { executeUpdate: <R, A extends unknown[]>(u: string, o: { args: A }) => Promise<R> }, instanceType: string) =>
    handle.executeUpdate<{ operationId: string }, [{ pool: string; instanceType: string }]>('reconfigurePool', { args: [{ pool: 'spot', instanceType }] });
  async function settled(handle: { query: <T>(q: string) => Promise<T> }, operationId: string): Promise<OperationRecord> {
    const ops = await until(() => handle.query<OperationRecord[]>('operations'), (o) => ['Succeeded', 'Failed', 'Cancelled'].includes(o.find((r) => r.id === operationId)?.state ?? ''), `${operationId} settled`);
    return ops.find((r) => r.id === operationId)!;
  }

  it('replaces the nodes one at a time at the new type’s bid, never more than size + 1 alive; the spec and later launches take the new type', async () => {
    const m = market();
    await withCluster('roll', m, async (handle) => {
      m.events.length = 0;
      const { operationId } = await reconfigure(handle, 'm5.xlarge');
      expect(await settled(handle, operationId)).toMatchObject({ state: 'Succeeded' });

      // Each old node ends only once its replacement is ready, in index order, one at a time.
      expect(m.events).toEqual(['node/spot/0', 'node/spot/1', 'node/spot/2'].flatMap((key) => [`launch ${key} m5.xlarge`, `ready ${key} m5.xlarge`, `end ${key} m5.large`]));
      expect(m.mostAlive()).toBe(4);
      expect(m.spotAlive().map((i) => i.instanceType)).toEqual(['m5.xlarge', 'm5.xlarge', 'm5.xlarge']);
      const progress = await progressOf('roll', operationId)();
      expect(progress.tasks.map((t) => `${t.name} ${t.state}`)).toEqual([
        'roll spot through its watcher Succeeded',
        'replace node/spot/0 Succeeded',
        'replace node/spot/1 Succeeded',
        'replace node/spot/2 Succeeded',
      ]);
      expect(progress.tasks[1].message).toMatch(/^i-\d+ → i-\d+ \(m5\.xlarge in us-east-1[ab]\)$/);

      const status = await handle.query<ClusterStatus>('status');
      const pool = status.pools.find((p) => p.name === 'spot')!;
      expect(pool.instanceType).toBe('m5.xlarge');
      expect(pool.nodes.map((n) => n.instanceType)).toEqual(['m5.xlarge', 'm5.xlarge', 'm5.xlarge']);
      const watcher = await until(watcherStatus('roll'), (s) => s.roll === undefined, 'roll over');
      // The bid is now half the new type's on-demand price.
      expect(watcher).toMatchObject({ instanceType: 'm5.xlarge', bid: '0.0960', onDemandPrice: 0.192 });

      // An interruption after the roll is relaunched on the new type.
      m.interrupt('node/spot/1');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'node/spot/1 relaunched');
      expect(m.events.at(-1)).toBe('launch node/spot/1 m5.xlarge');
    });
  });

  it('waits while the new type’s spot price is above the bid where a node runs and says so in its task, rolls the others meanwhile, and goes on when it drops', async () => {
    const m = market();
    await withCluster('pricey', m, async (handle) => {
      const azOf = Object.fromEntries(m.spotAlive().map((i) => [i.key, i.az]));
      const pricey = azOf['node/spot/0'];
      const there = Object.keys(azOf).filter((k) => azOf[k] === pricey);
      // Above the new bid ($0.096) where node 0 runs.
      m.prices['m5.xlarge'][pricey] = 0.12;
      const { operationId } = await reconfigure(handle, 'm5.xlarge');
      const reason = `waiting: spot price of m5.xlarge in ${pricey} is $0.12, above the bid $0.096`;
      const waiting = await until(
        progressOf('pricey', operationId),
        (p) => p.tasks.filter((t) => t.name.startsWith('replace ')).length === 3 && p.tasks.filter((t) => t.name.startsWith('replace ')).every((t) => (there.includes(t.name.slice(8)) ? t.message === reason : t.state === 'Succeeded')),
        'the other AZ rolled, this one waiting',
      );
      for (const key of there) expect(waiting.tasks.find((t) => t.name === `replace ${key}`)).toMatchObject({ state: 'Pending', message: reason });
      expect((await watcherStatus('pricey')()).roll?.waiting).toBe(reason);
      expect(Object.fromEntries(m.spotAlive().map((i) => [i.key, i.instanceType]))).toEqual(Object.fromEntries(Object.keys(azOf).map((k) => [k, azOf[k] === pricey ? 'm5.large' : 'm5.xlarge'])));
      expect((await handle.query<OperationRecord[]>('operations')).find((o) => o.id === operationId)?.state).toBe('Running');

      m.prices['m5.xlarge'][pricey] = 0.09;
      expect(await settled(handle, operationId)).toMatchObject({ state: 'Succeeded' });
      expect(m.spotAlive().map((i) => i.instanceType)).toEqual(['m5.xlarge', 'm5.xlarge', 'm5.xlarge']);
      expect(m.mostAlive()).toBeLessThanOrEqual(4);
    });
  });

  it('cancelled, keeps the nodes it replaced, undoes the replacement in flight and launches the old type again', async () => {
    const m = market();
    await withCluster('halt', m, async (handle) => {
      const { operationId } = await reconfigure(handle, 'm5.xlarge');
      // node 0 is replaced; node 1's replacement is held before it is ready.
      await until(() => Promise.resolve(m.events), (e) => e.includes('end node/spot/0 m5.large'), 'node 0 replaced');
      m.holdReady();
      await until(() => Promise.resolve(m.events), (e) => e.includes('launch node/spot/1 m5.xlarge'), 'node 1 replacement launched');
      expect(m.spotAlive()).toHaveLength(4);

      await handle.executeUpdate('cancelOperation', { args: [{ operationId }] });
      const record = await settled(handle, operationId);
      expect(record.state).toBe('Cancelled');
      expect(record.error).toContain('already replaced and kept on m5.xlarge: node/spot/0');
      expect(record.error).toContain('the pool stays m5.large');
      m.releaseReady();

      // The watcher stops rolling: the half-made replacement goes, node 0 stays on the new type.
      const watcher = await until(watcherStatus('halt'), (s) => s.roll === undefined && s.instanceType === 'm5.large' && s.nodes.length === 3, 'roll stopped');
      expect(watcher.bid).toBe('0.0480');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'the replacement in flight undone');
      const byKey = Object.fromEntries(m.spotAlive().map((i) => [i.key, i.instanceType]));
      expect(byKey).toEqual({ 'node/spot/0': 'm5.xlarge', 'node/spot/1': 'm5.large', 'node/spot/2': 'm5.large' });
      const spec = await handle.query<ClusterSpec>('spec');
      expect(spec.pools.find((p) => p.name === 'spot')?.instanceType).toBe('m5.large');
      expect(m.mostAlive()).toBeLessThanOrEqual(4);

      // Later launches are the old type again.
      m.interrupt('node/spot/2');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'node/spot/2 relaunched');
      expect(m.events.at(-1)).toBe('launch node/spot/2 m5.large');
    });
  });

  const relabel = (handle: { executeUpdate: <R, A extends unknown[]>(u: string, o: { args: A }) => Promise<R> }) =>
    handle.executeUpdate<{ operationId: string }, [{ pool: string; labels: Record<string, string> }]>('reconfigurePool', { args: [{ pool: 'spot', labels: { tier: 'batch' } }] });
  /** The kubelet's node-labels in a node's user data (workflows/bootstrap.ts). */
  const batch = (userData: string) => userData.includes('node-labels') && userData.includes('tier=batch');

  it('rolls a labels change through the watcher: every node replaced one at a time, each replacement booting the new labels', async () => {
    const m = market();
    await withCluster('labels', m, async (handle) => {
      expect(Object.values(m.userDataByKey()).some(batch)).toBe(false);
      m.events.length = 0;
      const { operationId } = await relabel(handle);
      expect(await settled(handle, operationId)).toMatchObject({ state: 'Succeeded' });

      // Same type, new labels: each old node ends only once its replacement is ready, in index order.
      expect(m.events).toEqual(['node/spot/0', 'node/spot/1', 'node/spot/2'].flatMap((key) => [`launch ${key} m5.large`, `ready ${key} m5.large`, `end ${key} m5.large`]));
      expect(m.mostAlive()).toBe(4);
      const booted = m.userDataByKey();
      expect(Object.keys(booted).sort()).toEqual(['node/spot/0', 'node/spot/1', 'node/spot/2']);
      for (const key of Object.keys(booted)) expect([key, batch(booted[key])]).toEqual([key, true]);
      const progress = await progressOf('labels', operationId)();
      expect(progress.tasks.map((t) => `${t.name} ${t.state}`)).toEqual([
        'roll spot through its watcher Succeeded',
        'replace node/spot/0 Succeeded',
        'replace node/spot/1 Succeeded',
        'replace node/spot/2 Succeeded',
      ]);
      const spec = await handle.query<ClusterSpec>('spec');
      expect(spec.pools.find((p) => p.name === 'spot')?.labels).toEqual({ tier: 'batch' });
      await until(watcherStatus('labels'), (s) => s.roll === undefined, 'roll over');

      // Later launches boot the new labels too, and the roll is not asked again.
      m.interrupt('node/spot/1');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'node/spot/1 relaunched');
      expect(batch(m.userDataByKey()['node/spot/1'])).toBe(true);
    });
  });

  it('cancelled, a labels roll keeps the nodes it replaced and launches the old labels again; a retry replaces only the rest', async () => {
    const m = market();
    await withCluster('relabel', m, async (handle) => {
      m.events.length = 0;
      const { operationId } = await relabel(handle);
      await until(() => Promise.resolve(m.events), (e) => e.includes('end node/spot/0 m5.large'), 'node 0 replaced');
      m.holdReady();
      await until(() => Promise.resolve(m.events), (e) => e.includes('launch node/spot/1 m5.large'), 'node 1 replacement launched');
      await handle.executeUpdate('cancelOperation', { args: [{ operationId }] });
      expect(await settled(handle, operationId)).toMatchObject({ state: 'Cancelled' });
      m.releaseReady();
      await until(watcherStatus('relabel'), (s) => s.roll === undefined && s.nodes.length === 3, 'roll stopped');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'the replacement in flight undone');
      const kept = m.userDataByKey();
      expect(Object.fromEntries(Object.keys(kept).map((k) => [k, batch(kept[k])]))).toEqual({ 'node/spot/0': true, 'node/spot/1': false, 'node/spot/2': false });
      expect((await handle.query<ClusterSpec>('spec')).pools.find((p) => p.name === 'spot')?.labels).toBeUndefined();

      // Later launches boot the old labels again.
      m.interrupt('node/spot/2');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'node/spot/2 relaunched');
      expect(batch(m.userDataByKey()['node/spot/2'])).toBe(false);

      // The retry replaces nodes 1 and 2, not node 0 again.
      m.events.length = 0;
      const retried = await handle.executeUpdate<{ operationId: string }, [{ operationId: string }]>('retryOperation', { args: [{ operationId }] });
      expect(await settled(handle, retried.operationId)).toMatchObject({ state: 'Succeeded' });
      expect(m.events).toEqual(['node/spot/1', 'node/spot/2'].flatMap((key) => [`launch ${key} m5.large`, `ready ${key} m5.large`, `end ${key} m5.large`]));
      const now = m.userDataByKey();
      expect(Object.fromEntries(Object.keys(now).map((k) => [k, batch(now[k])]))).toEqual({ 'node/spot/0': true, 'node/spot/1': true, 'node/spot/2': true });
      expect(m.mostAlive()).toBeLessThanOrEqual(4);
    });
  });

  it('relaunches a node interrupted during the roll on the new type, and counts it as replaced', async () => {
    const m = market();
    await withCluster('storm', m, async (handle) => {
      const azOf = Object.fromEntries(m.spotAlive().map((i) => [i.key, i.az]));
      // node 0's AZ is out of range for the new type: its replacement waits, and it is interrupted meanwhile.
      m.prices['m5.xlarge'][azOf['node/spot/0']] = 0.2;
      const { operationId } = await reconfigure(handle, 'm5.xlarge');
      await until(progressOf('storm', operationId), (p) => p.tasks.find((t) => t.name === 'replace node/spot/0')?.message?.startsWith('waiting') === true, 'node 0 waiting');
      m.interrupt('node/spot/0');
      const relaunched = await until(progressOf('storm', operationId), (p) => p.tasks.find((t) => t.name === 'replace node/spot/0')?.state === 'Succeeded', 'node 0 relaunched');
      expect(relaunched.tasks.find((t) => t.name === 'replace node/spot/0')?.message).toContain('interrupted');
      // Relaunched by the watcher on the new type, where its price is in range.
      expect(m.events).toContain('launch node/spot/0 m5.xlarge');
      expect(m.spotAlive().find((i) => i.key === 'node/spot/0')).toMatchObject({ instanceType: 'm5.xlarge' });

      m.prices['m5.xlarge'][azOf['node/spot/0']] = 0.05;
      expect(await settled(handle, operationId)).toMatchObject({ state: 'Succeeded' });
      expect(m.spotAlive().map((i) => i.instanceType)).toEqual(['m5.xlarge', 'm5.xlarge', 'm5.xlarge']);
      expect(m.mostAlive()).toBeLessThanOrEqual(4);
    });
  });

  /** The Kubernetes version a node's user data boots (workflows/bootstrap.ts). */
  const versionOf = (userData: string) => /KUBERNETES_VERSION=([\d.]+)/.exec(userData)?.[1];
  const versions = (m: ReturnType<typeof market>) => Object.fromEntries(Object.entries(m.userDataByKey()).map(([key, data]) => [key, versionOf(data)]));

  it('an upgrade rolls the spot nodes through their watcher after the on-demand nodes: one at a time at the bid, each booting the new version, and later launches too', async () => {
    const m = market();
    await withCluster('upgrade', m, async (handle) => {
      expect(versions(m)).toEqual({ 'node/spot/0': '1.31.4', 'node/spot/1': '1.31.4', 'node/spot/2': '1.31.4' });
      m.events.length = 0;
      const { operationId } = await handle.executeUpdate<{ operationId: string }, [{ kubernetesVersion: string }]>('upgradeCluster', { args: [{ kubernetesVersion: '1.32.2' }] });
      expect(await settled(handle, operationId)).toMatchObject({ state: 'Succeeded' });

      expect(m.events).toEqual(['node/spot/0', 'node/spot/1', 'node/spot/2'].flatMap((key) => [`launch ${key} m5.large`, `ready ${key} m5.large`, `end ${key} m5.large`]));
      expect(m.mostAlive()).toBe(4);
      expect(versions(m)).toEqual({ 'node/spot/0': '1.32.2', 'node/spot/1': '1.32.2', 'node/spot/2': '1.32.2' });
      const progress = await progressOf('upgrade', operationId)();
      expect(progress.tasks.map((t) => `${t.name} ${t.state}`)).toEqual([
        'image Succeeded',
        'upgrade node/master/0 Succeeded',
        'roll spot through its watcher Succeeded',
        'replace node/spot/0 Succeeded',
        'replace node/spot/1 Succeeded',
        'replace node/spot/2 Succeeded',
      ]);
      expect(progress.tasks[3].message).toMatch(/^i-\d+ → i-\d+ \(m5\.large with Kubernetes 1\.32\.2 in us-east-1[ab]\)$/);
      const status = await handle.query<ClusterStatus>('status');
      expect(status.pools.flatMap((p) => p.nodes.map((n) => `${n.key} ${n.kubernetesVersion}`)).sort()).toEqual(['node/master/0 1.32.2', 'node/spot/0 1.32.2', 'node/spot/1 1.32.2', 'node/spot/2 1.32.2']);
      await until(watcherStatus('upgrade'), (s) => s.roll === undefined, 'roll over');

      // An interruption after the upgrade is relaunched on the new version, and nothing rolls again.
      m.interrupt('node/spot/1');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'node/spot/1 relaunched');
      expect(versionOf(m.userDataByKey()['node/spot/1'])).toBe('1.32.2');
      expect((await watcherStatus('upgrade')()).roll).toBeUndefined();
    });
  });

  it('cancelled in its spot roll, a profile change keeps the spot nodes replaced, launches the old profile again, and a retry replaces only the rest', async () => {
    const m = market();
    await withCluster('reprofile', m, async (handle) => {
      const newer: ProfileChange = { ref: { id: 'aws-default' }, profile: withKubernetesVersion(profile, '1.32.1') };
      const recorded = (await handle.query<ClusterSpec>('spec')).profile;
      m.events.length = 0;
      const { operationId } = await handle.executeUpdate<{ operationId: string }, [ProfileChange]>('changeProfile', { args: [newer] });
      await until(() => Promise.resolve(m.events), (e) => e.includes('end node/spot/0 m5.large'), 'spot node 0 replaced');
      m.holdReady();
      await until(() => Promise.resolve(m.events), (e) => e.includes('launch node/spot/1 m5.large'), 'spot node 1 replacement launched');
      await handle.executeUpdate('cancelOperation', { args: [{ operationId }] });
      expect(await settled(handle, operationId)).toMatchObject({ state: 'Cancelled' });
      m.releaseReady();
      await until(watcherStatus('reprofile'), (s) => s.roll === undefined && s.nodes.length === 3, 'roll stopped');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'the replacement in flight undone');
      expect(versions(m)).toEqual({ 'node/spot/0': '1.32.1', 'node/spot/1': '1.31.4', 'node/spot/2': '1.31.4' });
      expect((await handle.query<ClusterSpec>('spec')).profile).toEqual(recorded);

      // The watcher launches the cluster's recorded profile again.
      m.interrupt('node/spot/2');
      await until(() => Promise.resolve(m.spotAlive()), (alive) => alive.length === 3, 'node/spot/2 relaunched');
      expect(versionOf(m.userDataByKey()['node/spot/2'])).toBe('1.31.4');

      // The retry keeps the control plane and spot node 0 (already on it) and replaces spot nodes 1 and 2.
      m.events.length = 0;
      const retried = await handle.executeUpdate<{ operationId: string }, [{ operationId: string }]>('retryOperation', { args: [{ operationId }] });
      expect(await settled(handle, retried.operationId)).toMatchObject({ state: 'Succeeded' });
      expect(m.events).toEqual(['node/spot/1', 'node/spot/2'].flatMap((key) => [`launch ${key} m5.large`, `ready ${key} m5.large`, `end ${key} m5.large`]));
      expect(versions(m)).toEqual({ 'node/spot/0': '1.32.1', 'node/spot/1': '1.32.1', 'node/spot/2': '1.32.1' });
      const tasks = (await progressOf('reprofile', retried.operationId)()).tasks.map((t) => `${t.name} ${t.state}`);
      expect(tasks).toEqual(['image Skipped', 'replace node/master/0 Skipped', 'roll spot through its watcher Succeeded', 'replace node/spot/1 Succeeded', 'replace node/spot/2 Succeeded']);
      expect(m.mostAlive()).toBeLessThanOrEqual(4);
    });
  });
});
