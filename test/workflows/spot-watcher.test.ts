import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { InstanceInfo } from '../../activities/types';
import type { SpotPoolStatus } from '../../common/cluster-status';
import type { PoolSpec } from '../../common/cluster-spec';
import { resolveProfile } from '../../common/profile';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { SPOT_GENERATION_BASE, SpotWatcherInput } from '../../workflows/spot-watcher';
import { spotWatcherId } from '../../common/workflow-ids';
import { startTemporal } from '../support/temporal';
import { clusterWorkflowId } from '../../common/workflow-ids';
import { tickLatenessMs, tickPhaseMs } from '../../common/spot-schedule';
import { exampleSpec } from '../unit/fixtures';
import { workflowCode } from '../support/workflow-code';

jest.setTimeout(120000);

type FakeInstance = InstanceInfo & { generation: number; maxPrice: string };

/** A tiny spot market: prices per AZ, launches refused below the price, instances to interrupt. */
function fakeMarket() {
  const prices: Record<string, number> = { 'us-east-1a': 0.2, 'us-east-1b': 0.2 };
  const instances = new Map<string, FakeInstance>();
  const launches: Array<{ key: string; generation: number; maxPrice: string; az: string }> = [];
  const failing = { onDemand: false, spot: false };
  /** Keys whose next N launch calls reach EC2 (the instance is made) but whose answer is lost. */
  const lostAnswers: Record<string, number> = {};
  /** Keys EC2 does not list yet (its listing lags behind its launches). */
  const unlisted = new Set<string>();
  /** Every launch call, answered or not: which key under which generation. */
  const calls: Array<{ key: string; generation: number }> = [];
  let n = 0;
  const azOf: Record<string, string> = { 'subnet-a': 'us-east-1a', 'subnet-b': 'us-east-1b' };
  const activities = {
    onDemandPrice: async () => {
      if (failing.onDemand) throw new Error('ServiceUnavailable: the Pricing API is down');
      return 0.192;
    },
    spotPrices: async (i: { azs: string[] }) => {
      if (failing.spot) throw new Error('InternalError: DescribeSpotPriceHistory failed');
      return i.azs.filter((az) => prices[az] !== undefined).map((az) => ({ az, price: prices[az], at: '2026-01-01T00:00:00.000Z' }));
    },
    liveSettings: async () => ({}),
    resolveImage: async () => ({ imageId: 'ami-12345678', name: 'ubuntu' }),
    ensureInstance: async (i: { key: string; subnetId: string; instanceType: string; generation: number; spotMaxPrice: string }) => {
      const az = azOf[i.subnetId];
      calls.push({ key: i.key, generation: i.generation });
      // The same key and generation is the same ClientToken: EC2 answers with that instance.
      let info = [...instances.values()].find((x) => x.key === i.key && x.generation === i.generation);
      const died = gone.find((x) => x.key === i.key && x.generation === i.generation);
      if (!info && died) throw ApplicationFailure.nonRetryable(`${i.key} generation ${i.generation} was ${died.instanceId}, now terminated`, 'InstanceGone');
      if (!info) {
        if (Number(i.spotMaxPrice) < prices[az]) throw ApplicationFailure.nonRetryable(`SpotMaxPriceTooLow: ${i.spotMaxPrice} < ${prices[az]}`, 'SpotMaxPriceTooLow');
        info = { instanceId: `i-${String(++n).padStart(8, '0')}`, key: i.key, az, subnetId: i.subnetId, instanceType: i.instanceType, state: 'pending', lifecycle: 'spot', generation: i.generation, maxPrice: i.spotMaxPrice };
        instances.set(info.instanceId, info);
        launches.push({ key: i.key, generation: i.generation, maxPrice: i.spotMaxPrice, az });
      }
      if ((lostAnswers[i.key] ?? 0) > 0) {
        lostAnswers[i.key]--;
        throw new Error('InternalError: We encountered an internal error. Please try again.');
      }
      return info;
    },
    listClusterInstances: async () => [...instances.values()].filter((i) => !unlisted.has(i.key)).map((i) => ({ ...i, state: 'running' })),
    terminateInstance: async (i: { key: string; generation?: number }) => {
      for (const [id, x] of instances) if (x.key === i.key && (i.generation === undefined || x.generation === i.generation)) instances.delete(id);
    },
  };
  /** The market price rises above every bid: every instance is interrupted (EC2 remembers them by token). */
  const gone: FakeInstance[] = [];
  const interruptAll = () => {
    gone.push(...instances.values());
    instances.clear();
  };
  return { prices, instances, launches, calls, lostAnswers, unlisted, failing, activities, interruptAll };
}

/**
 * The spot bidding watcher on a dev server that suggests continue-as-new after a few dozen
 * events, against a fake market: it waits and says why, launches at the bid, replaces
 * interrupted nodes, survives pricing outages, and keeps its state across runs.
 */
/** The patch id a `core_patch` marker records, if the event is one. */
function patchIdOf(marker: { markerName?: string | null; details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null } | null | undefined): string[] {
  if (marker?.markerName !== 'core_patch') return [];
  const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
  return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
}

describe('spotWatcher', () => {
  let env: TestWorkflowEnvironment;
  let queue = 0;
  const profile = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {});
  const spec = exampleSpec({ name: 'spotty' });
  const pool: PoolSpec = { name: 'spot', role: 'worker', size: 2, instanceType: 'm5.xlarge', azs: ['us-east-1a', 'us-east-1b'], capacity: { type: 'spot', maxPricePercent: 50 } };
  const network = {
    placement: 'dynamic' as const,
    subnets: [
      { az: 'us-east-1a', privateSubnetId: 'subnet-a' },
      { az: 'us-east-1b', privateSubnetId: 'subnet-b' },
    ],
    natGateways: [],
    securityGroups: { 'sg/nodes': 'sg-1', 'sg/control-plane': 'sg-2' },
    apiEndpoint: 'api.example:6443',
    loadBalancerName: 'lb',
    joinSecretName: 'secret',
  };

  beforeAll(async () => {
    env = await startTemporal(['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40']);
  });

  afterAll(async () => {
    await env?.teardown();
  });

  async function run(market: ReturnType<typeof fakeMarket>, name: string, body: (handle: Awaited<ReturnType<typeof env.client.workflow.start>>) => Promise<void>) {
    const taskQueue = `spot-${++queue}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowCode(), activities: market.activities });
    const input: SpotWatcherInput = { project: 'default', spec: { ...spec, name }, profile, network, pool, intervalS: 0.1 };
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('spotWatcher', { taskQueue, workflowId: spotWatcherId('default', name, 'spot'), args: [input] });
      await body(handle);
    });
  }

  async function until(handle: { query: <T>(name: string) => Promise<T> }, what: string, test: (s: SpotPoolStatus) => boolean): Promise<SpotPoolStatus> {
    let last: SpotPoolStatus | undefined;
    for (let i = 0; i < 300; i++) {
      last = await handle.query<SpotPoolStatus>('spotStatus').catch(() => last);
      if (last && test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`never ${what}: ${JSON.stringify(last)}`);
  }

  it('waits while outbid, launches at the bid, replaces interrupted nodes, and keeps its state across runs', async () => {
    const market = fakeMarket();
    await run(market, 'spotty', async (handle) => {
      const outbid = await until(handle, 'outbid', (s) => s.reason !== undefined && s.bid !== undefined);
      expect(outbid).toMatchObject({ desired: 2, running: 0, waiting: 2, bid: '0.0960', onDemandPrice: 0.192 });
      expect(outbid.reason).toBe('spot $0.2 > bid $0.096 in us-east-1a; spot $0.2 > bid $0.096 in us-east-1b');

      market.prices['us-east-1a'] = 0.05;
      market.prices['us-east-1b'] = 0.04;
      await until(handle, 'two nodes', (s) => s.running === 2);
      expect(market.launches.map((l) => l.maxPrice)).toEqual(['0.0960', '0.0960']);
      expect(market.launches.map((l) => l.az).sort()).toEqual(['us-east-1a', 'us-east-1b']);

      market.prices['us-east-1a'] = 0.3;
      market.prices['us-east-1b'] = 0.3;
      market.interruptAll();
      // Interrupted before EC2 listed them, the nodes are asked for once more by their launch's
      // token (EC2 answers that they are gone); then the watcher waits for the price.
      const interrupted = await until(handle, 'interrupted', (s) => s.interruptions === 2 && s.running === 0 && (s.reason ?? '').startsWith('spot'));
      expect(interrupted.reason).toContain('spot $0.3 > bid $0.096');

      market.prices['us-east-1b'] = 0.07;
      await handle.signal('resize', 3);
      const replaced = await until(handle, 'replaced and resized', (s) => s.running === 3);
      // Only us-east-1b is in range: every replacement goes there, each round a fresh generation.
      expect(replaced.nodes.map((n) => n.az)).toEqual(['us-east-1b', 'us-east-1b', 'us-east-1b']);
      const generations = market.launches.map((l) => l.generation);
      expect(new Set(generations).size).toBeGreaterThanOrEqual(2);
      expect(Math.min(...generations)).toBeGreaterThan(SPOT_GENERATION_BASE);

      // Several runs later, the state is still there.
      const first = handle.firstExecutionRunId;
      const chain = async (): Promise<string[]> => {
        const runIds = [first];
        for (;;) {
          const h = await env.client.workflow.getHandle(handle.workflowId, runIds.at(-1)).fetchHistory();
          const next = h.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
          if (!next) return runIds;
          runIds.push(next);
        }
      };
      for (let i = 0; i < 100 && (await chain()).length < 4; i++) await new Promise((r) => setTimeout(r, 200));
      expect((await chain()).length).toBeGreaterThanOrEqual(4);
      const later = await until(handle, 'kept state', (s) => s.running === 3);
      expect(later).toMatchObject({ desired: 3, interruptions: 2, bid: '0.0960' });
      const history = await env.client.workflow.getHandle(handle.workflowId, first).fetchHistory();
      expect(history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
      expect(market.launches).toHaveLength(5);

      // Removed: it terminates its nodes and ends.
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      expect(market.instances.size).toBe(0);

      await Worker.runReplayHistory({ ...workflowCode() }, history, handle.workflowId);
      const last = await env.client.workflow.getHandle(handle.workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode() }, last, handle.workflowId);

      // Every run decides the patches it may meet mid-run in its first workflow task, before its
      // first local activity: met later, just after one, a replay could decide them differently.
      for (const runId of await chain()) {
        const events = (await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
        const firstLocalActivity = events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
        const patchesBefore = events.slice(0, firstLocalActivity).flatMap((e) => patchIdOf(e.markerRecordedEventAttributes));
        expect(firstLocalActivity).toBeGreaterThan(0);
        expect(patchesBefore).toEqual(expect.arrayContaining(['spot-watcher-rolls', 'spot-watcher-rolls-launch-settings', 'spot-watcher-rolls-profile', 'spot-watcher-confirms-launches', 'spot-watcher-signals-stop', 'spot-watcher-spreads-ticks']));
      }
    });
  });

  it('ticks at its cluster’s phase of the interval: watchers of two clusters at different offsets, the pools of one cluster together', async () => {
    const market = fakeMarket();
    const taskQueue = `spot-${++queue}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowCode(), activities: market.activities });
    const everyMs = 60_000;
    const watchers = [
      { cluster: 'phase-a', pool: 'spot' },
      { cluster: 'phase-a', pool: 'spot2' },
      { cluster: 'phase-b', pool: 'spot' },
    ];
    await worker.runUntil(async () => {
      const handles = await Promise.all(
        watchers.map(({ cluster, pool: name }) =>
          env.client.workflow.start('spotWatcher', {
            taskQueue,
            workflowId: spotWatcherId('default', cluster, name),
            args: [{ project: 'default', spec: { ...spec, name: cluster }, profile, network, pool: { ...pool, name }, intervalS: everyMs / 1000 } satisfies SpotWatcherInput],
          }),
        ),
      );
      // Each has looked once (at start) and says when its next look is due.
      const due = await Promise.all(handles.map(async (h) => Date.parse((await until(h, 'due', (s) => s.checkedAt !== undefined && s.nextCheckAt !== undefined)).nextCheckAt!)));
      const phases = watchers.map(({ cluster }) => tickPhaseMs(clusterWorkflowId('default', cluster), everyMs));
      due.forEach((at, i) => expect(tickLatenessMs(at, phases[i], everyMs)).toBe(0));
      expect(due[0]).toBe(due[1]);
      expect(phases[0]).not.toBe(phases[2]);
      expect(tickLatenessMs(due[0], 0, everyMs)).not.toBe(tickLatenessMs(due[2], 0, everyMs));
      for (const h of handles) await h.terminate('test over');
      for (const h of handles) await Worker.runReplayHistory({ ...workflowCode() }, await h.fetchHistory(), h.workflowId);
    });
  });

  it('launches with the cluster an operation told it about (profile, image) instead of the one it started with', async () => {
    const market = fakeMarket();
    market.prices['us-east-1a'] = 0.05;
    market.prices['us-east-1b'] = 0.05;
    const booted: Array<{ key: string; imageId: string; userData: string }> = [];
    const ensureInstance = market.activities.ensureInstance;
    market.activities.ensureInstance = async (i) => {
      const input = i as Parameters<typeof ensureInstance>[0] & { imageId: string; userData: string };
      booted.push({ key: input.key, imageId: input.imageId, userData: input.userData });
      return ensureInstance(i);
    };
    const images: string[] = [];
    market.activities.resolveImage = async (i: { namePattern?: string } = {}) => {
      images.push(i.namePattern ?? '');
      return { imageId: i.namePattern === 'newer-*' ? 'ami-newer' : 'ami-12345678', name: 'ubuntu' };
    };
    await run(market, 'told', async (handle) => {
      await until(handle, 'two nodes', (s) => s.running === 2);
      expect(booted.map((b) => b.imageId)).toEqual(['ami-12345678', 'ami-12345678']);
      const newer = { ...profile, kubernetesVersion: '1.99.1', image: { ...profile.image, namePattern: 'newer-*' } };
      await handle.signal('clusterChanged', { spec: { ...spec, name: 'told' }, profile: newer, network });
      await handle.signal('resize', 3);
      await until(handle, 'three nodes', (s) => s.running === 3);
      const third = booted.find((b) => b.key === 'node/spot/2')!;
      expect(third.imageId).toBe('ami-newer');
      expect(third.userData).toContain('1.99.1');
      expect(booted[0].userData).not.toContain('1.99.1');
      expect(images).toEqual([profile.image.namePattern, 'newer-*']);
      const history = await env.client.workflow.getHandle(handle.workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode() }, history, handle.workflowId);
    });
  });

  it('never launches a key again under a new generation while its first launch is unconfirmed', async () => {
    const market = fakeMarket();
    market.prices['us-east-1a'] = 0.05;
    market.prices['us-east-1b'] = 0.06;
    // node/spot/0's launch reaches EC2 but both attempts lose their answer, and EC2's listing lags.
    market.lostAnswers['node/spot/0'] = 2;
    market.unlisted.add('node/spot/0');
    await run(market, 'laggard', async (handle) => {
      const failed = await until(handle, 'a failed launch', (s) => (s.lastError ?? '').includes('node/spot/0'));
      expect(failed.lastError).toContain('launch failed');
      // Later ticks ask EC2 again under the same generation, and get the instance it made.
      const askedFor = () => market.calls.filter((c) => c.key === 'node/spot/0').length;
      await until(handle, 'asked again', (s) => s.running === 2 && askedFor() >= 4);
      market.unlisted.delete('node/spot/0');
      const settled = await until(handle, 'listed', (s) => s.running === 2 && s.reason === undefined);
      expect(settled.interruptions).toBe(0);
      expect(market.launches.filter((l) => l.key === 'node/spot/0')).toHaveLength(1);
      const generations = new Set(market.calls.filter((c) => c.key === 'node/spot/0').map((c) => c.generation));
      expect([...generations]).toHaveLength(1);
      expect(market.instances.size).toBe(2);

      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      expect(market.instances.size).toBe(0);
      const history = await env.client.workflow.getHandle(handle.workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode() }, history, handle.workflowId);
    });
  });

  it('reports degraded pricing, keeps the last known prices and carries on', async () => {
    const market = fakeMarket();
    market.prices['us-east-1a'] = 0.05;
    market.prices['us-east-1b'] = 0.06;
    await run(market, 'outage', async (handle) => {
      await until(handle, 'running', (s) => s.running === 2);
      market.failing.spot = true;
      market.failing.onDemand = true;
      const degraded = await until(handle, 'degraded', (s) => s.degraded === true);
      expect(degraded.lastError).toContain('DescribeSpotPriceHistory failed');
      expect(degraded.spotPrices).toEqual({ 'us-east-1a': 0.05, 'us-east-1b': 0.06 });
      expect(degraded.bid).toBe('0.0960');

      // Carries on: an interrupted node is replaced at the last known prices.
      market.interruptAll();
      const carried = await until(handle, 'replaced while degraded', (s) => s.running === 2 && s.interruptions === 2);
      expect(carried.degraded).toBe(true);

      market.failing.spot = false;
      market.failing.onDemand = false;
      await until(handle, 'recovered', (s) => !s.degraded);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      expect(market.instances.size).toBe(0);
    });
  });
});
