/**
 * Spot watcher benchmark (issue 14 item 6): N spot watchers (two pools per cluster) on one
 * worker whose workflow cache is bounded, against an in-process fake AWS answering at once.
 * The fake's reads go through the worker's own sharing (activities/spot-reads.ts: prices
 * shared per region and type within the interval, listings batched per second), so the calls
 * it counts are the calls AWS would get. Prints RSS, tick lateness against each cluster's due
 * time, ticks per second over time, and AWS calls per minute against EC2's non-mutating
 * bucket, with the derivation. Never asserts; the CI test (test/bench/spot-watchers.test.ts)
 * runs a short seeded version and asserts what does not depend on timing.
 *
 *   npm run bench:spot -- [watchers=10000] [seconds=3 intervals after the start] [intervalS=120] [maxCachedWorkflows=1000]
 */
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import type { PoolSpec } from '../common/cluster-spec';
import { EncryptedPayloadCodec } from '../common/payload-codec';
import { resolveProfile } from '../common/profile';
import { SEARCH_ATTRIBUTE_KEYS } from '../common/search-attributes';
import { BUILT_IN_PROFILES } from '../store/built-in-profiles';
import { ensureTemporalCli } from '../scripts/tools';
import type { InstanceInfo, Scope } from '../activities/types';
import type { SpotWatcherInput } from '../workflows/spot-watcher';
import { clusterWorkflowId, spotWatcherId } from '../common/workflow-ids';
import { DEFAULT_SPOT_INTERVAL_S } from '../common/config';
import { nextTickAt, tickPhaseMs } from '../common/spot-schedule';
import { shareSpotReads } from '../activities/spot-reads';
import { SharedReads } from '../cloud/shared-reads';
import { Batcher } from '../cloud/batcher';
import { SPOT_LISTING_WINDOW_MS } from '../cloud/poll-reads';
import type { SpotPoolStatus } from '../common/cluster-status';

/**
 * The cache this bench runs with by default (about 0.4 MB of worker memory per cached spot
 * watcher: a thousand hold ~400 MB above the worker's ~240 MB). Not the worker's default: with fewer cached
 * workflows than watchers, the bench's watchers launched nodes their full pools did not need
 * (docs/architecture.md#spot-watcher, an open bug), so the worker keeps the SDK's own default
 * (bounded by the heap's size) unless CLUSTERFLOW_MAX_CACHED_WORKFLOWS says otherwise.
 */
const DEFAULT_MAX_CACHED_WORKFLOWS = 1000;

type FakeInstance = InstanceInfo & { generation: number };

const AZS = ['us-east-1a', 'us-east-1b'];
const TYPES = ['m5.large', 'm5.xlarge'];
/** EC2's non-mutating bucket per account and region (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). */
const NON_MUTATING = { burst: 100, perSecond: 20 };
const EC2_READS = ['ec2:DescribeSpotPriceHistory', 'ec2:DescribeInstances', 'ec2:DescribeImages'];

/** Calls the fake AWS answered, by `service:Action`, per second since the start. */
class CallLog {
  readonly bySecond = new Map<number, Map<string, number>>();
  constructor(private readonly t0: number) {}
  add(action: string, n = 1): void {
    const s = Math.floor((Date.now() - this.t0) / 1000);
    let m = this.bySecond.get(s);
    if (!m) this.bySecond.set(s, (m = new Map()));
    m.set(action, (m.get(action) ?? 0) + n);
  }
  /** Calls of `actions` in seconds [from, to). */
  count(actions: string[], from: number, to: number): number {
    let n = 0;
    for (const [s, m] of this.bySecond) if (s >= from && s < to) for (const a of actions) n += m.get(a) ?? 0;
    return n;
  }
  /** The most calls of `actions` in any one second of [from, to). */
  peakSecond(actions: string[], from: number, to: number): number {
    let peak = 0;
    for (let s = from; s < to; s++) peak = Math.max(peak, this.count(actions, s, s + 1));
    return peak;
  }
  actions(): string[] {
    return [...new Set([...this.bySecond.values()].flatMap((m) => [...m.keys()]))].sort();
  }
}

/** The fake AWS: its raw reads counted as calls, then shared as the worker shares them. */
function fakeActivities(t0: number, everyMs: number) {
  const calls = new CallLog(t0);
  const byCluster = new Map<string, Map<string, FakeInstance>>();
  let n = 0;
  const instancesOf = (cluster: string) => {
    let m = byCluster.get(cluster);
    if (!m) byCluster.set(cluster, (m = new Map()));
    return m;
  };
  const listed = (cluster: string) => [...instancesOf(cluster).values()].map((x) => ({ ...x, state: 'running' }));
  /** Every watcher tick (its spot price ask), when it came and how late against its cluster's due time. */
  const ticks: Array<{ atMs: number; lateMs?: number; watcher: string }> = [];
  /** Each watcher's previous tick (a bench cluster's pools differ in instance type). */
  const lastTick = new Map<string, number>();
  const listing = new Batcher<string, FakeInstance[]>(async (clusters) => {
    calls.add('ec2:DescribeInstances', Math.ceil(clusters.length / 100));
    return new Map(clusters.map((c) => [c, listed(c)]));
  }, SPOT_LISTING_WINDOW_MS);
  const own = {
    onDemandPrice: async () => {
      calls.add('pricing:GetProducts');
      return 0.096;
    },
    spotPrices: async (i: { azs?: string[] }) => {
      calls.add('ec2:DescribeSpotPriceHistory');
      return (i.azs ?? AZS).map((az, k) => ({ az, price: 0.03 + k * 0.001, at: '2026-01-01T00:00:00.000Z' }));
    },
    listClusterInstances: async (i: { scope: Scope }) => {
      calls.add('ec2:DescribeInstances');
      return listed(i.scope.owner.cluster);
    },
  };
  const shared = shareSpotReads(own, new SharedReads(), async (scope) => (await listing.get(scope.owner.cluster)) ?? []);
  const activities = {
    ...shared,
    spotPrices: (i: Parameters<typeof shared.spotPrices>[0]) => {
      // A tick is due at its cluster's first due time after the watcher's previous tick (its
      // first look comes at its start, not at a due time); late by however long after that.
      const watcher = `${i.scope.owner.cluster}|${i.instanceType}`;
      const atMs = Date.now();
      const previous = lastTick.get(watcher);
      lastTick.set(watcher, atMs);
      const [project, name] = i.scope.owner.cluster.split('/');
      const dueMs = previous === undefined ? undefined : nextTickAt(previous, tickPhaseMs(clusterWorkflowId(project, name), everyMs), everyMs);
      ticks.push({ atMs, watcher, lateMs: dueMs === undefined ? undefined : Math.max(0, atMs - dueMs) });
      return shared.spotPrices(i);
    },
    liveSettings: async () => ({}),
    resolveImage: async () => {
      calls.add('ec2:DescribeImages');
      return { imageId: 'ami-12345678', name: 'ubuntu' };
    },
    ensureInstance: async (i: { scope: Scope; key: string; subnetId: string; instanceType: string; generation: number }) => {
      // Idempotent as the real one is: the same key and generation is the same instance.
      const known = [...instancesOf(i.scope.owner.cluster).values()].find((x) => x.key === i.key && x.generation === i.generation);
      calls.add(known ? 'ec2:DescribeInstances' : 'ec2:RunInstances');
      if (known) return known;
      const info: FakeInstance = { instanceId: `i-${(++n).toString(16).padStart(17, '0')}`, key: i.key, az: i.subnetId === 'subnet-b' ? AZS[1] : AZS[0], subnetId: i.subnetId, instanceType: i.instanceType, state: 'pending', lifecycle: 'spot', generation: i.generation };
      instancesOf(i.scope.owner.cluster).set(info.instanceId, info);
      return info;
    },
    terminateInstance: async (i: { scope: Scope; key: string }) => {
      calls.add('ec2:TerminateInstances');
      const m = instancesOf(i.scope.owner.cluster);
      for (const [id, x] of m) if (x.key === i.key) m.delete(id);
    },
  };
  return { activities, calls, ticks };
}

export interface SpotBenchOptions {
  watchers: number;
  intervalS: number;
  /** How long to watch after every watcher has started. */
  seconds: number;
  maxCachedWorkflows: number;
  poolsPerCluster?: number;
  /** A running dev server (the CI test's); otherwise the bench starts one. */
  env?: TestWorkflowEnvironment;
  workflowCode?: { workflowBundle: { codePath: string } } | { workflowsPath: string };
  /** Ends the watch early once true (the CI test: every watcher has ticked on schedule). */
  enough?: (s: { watchersOnSchedule: number }) => boolean;
  log?: (line: string) => void;
}

export interface SpotBenchSummary {
  watchers: number;
  clusters: number;
  /** Ticks at a due time (first looks at start left out), and their lateness. */
  ticksOnSchedule: number;
  /** Watchers that ticked at a due time at least once. */
  watchersOnSchedule: number;
  /** Every tick, first looks included, and every call the fake AWS answered, over the whole run. */
  ticks: number;
  totals: Record<string, number>;
  runSeconds: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  withinTenSeconds: number;
  /** Ticks per second in 10 s buckets of the steady window. */
  ticksPerSecond: number[];
  rssMb: { before: number; after: number; peak: number };
  maxCachedWorkflows: number;
  peakCachedWorkflows: number;
  /** Raw calls the fake AWS answered in the steady window, by action, and per minute. */
  calls: Record<string, number>;
  ec2ReadsPerMinute: number;
  ec2ReadsPeakSecond: number;
  spotPriceReads: number;
  priceTypes: number;
  steadySeconds: number;
  /** Each sampled watcher's next due time, as its status says, and its cluster's phase. */
  sampledPhases: Array<{ clusterPhaseMs: number; dueOffsetMs: number }>;
  historyEventsPerRun: { avg: number; max: number; runs: number };
}

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);

export async function runSpotBench(options: SpotBenchOptions): Promise<SpotBenchSummary> {
  const { watchers, intervalS, seconds, maxCachedWorkflows, poolsPerCluster = 2 } = options;
  const log = options.log ?? console.log;
  const everyMs = intervalS * 1000;
  const clusters = Math.ceil(watchers / poolsPerCluster);
  const env =
    options.env ??
    (await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: ensureTemporalCli() },
        ip: '127.0.0.1',
        searchAttributes: Object.values(SEARCH_ATTRIBUTE_KEYS),
        extraArgs: ['--log-level', 'error'],
      },
    }));
  const t0 = Date.now();
  const fake = fakeActivities(t0, everyMs);
  const taskQueue = `spot-bench-${randomBytes(4).toString('hex')}`;
  // Encrypted like the stack's payloads (common/payload-codec.ts), so the figures include it.
  const dataConverter = { payloadCodecs: [new EncryptedPayloadCodec(randomBytes(32))] };
  const client = new Client({ connection: env.connection, dataConverter });
  const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
  const before = rssMb();
  let peak = before;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    dataConverter,
    ...(options.workflowCode ?? { workflowsPath: require.resolve('../workflows') }),
    activities: fake.activities,
    // Bounded as the product worker's is (worker/worker.ts): evicted watchers replay from history.
    maxCachedWorkflows,
  });
  let peakCached = 0;
  const sampler = setInterval(() => {
    peakCached = Math.max(peakCached, worker.getStatus().numCachedWorkflows);
    peak = Math.max(peak, rssMb());
  }, 250);
  const profile = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {});
  const network = {
    placement: 'dynamic' as const,
    subnets: [
      { az: AZS[0], privateSubnetId: 'subnet-a' },
      { az: AZS[1], privateSubnetId: 'subnet-b' },
    ],
    natGateways: [],
    securityGroups: { 'sg/nodes': 'sg-1' },
    apiEndpoint: 'api.example:6443',
    loadBalancerName: 'lb',
    joinSecretName: 'secret',
  };
  const ids: string[] = [];
  const watchersOf: Array<{ workflowId: string; cluster: string }> = [];
  let summary!: SpotBenchSummary;
  await worker.runUntil(async () => {
    log(`spot watchers: ${watchers} watchers (${clusters} clusters × ${poolsPerCluster} pools, ${TYPES.length} instance types), a tick every ${intervalS} s, cache of ${maxCachedWorkflows} workflows; RSS ${before} MB before`);
    const started = Date.now();
    for (let i = 0; i < watchers; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, watchers - i) }, async (_, k) => {
          const w = i + k;
          const name = `bench-${Math.floor(w / poolsPerCluster)}`;
          const pool: PoolSpec = { name: `spot${w % poolsPerCluster}`, role: 'worker', size: 2, instanceType: TYPES[w % TYPES.length], azs: AZS, capacity: { type: 'spot', maxPricePercent: 50 } };
          const input: SpotWatcherInput = {
            project: 'bench',
            spec: { name, profile: { id: 'aws-default' }, cloud: { accountId: 'acct', region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.0.0.0/16' } }, pools: [pool] },
            profile,
            network,
            pool,
            intervalS,
          };
          const workflowId = spotWatcherId('bench', name, pool.name);
          ids.push(workflowId);
          watchersOf.push({ workflowId, cluster: clusterWorkflowId('bench', name) });
          await client.workflow.start('spotWatcher', { taskQueue, workflowId, args: [input] });
        }),
      );
      peak = Math.max(peak, rssMb());
    }
    const startSecond = Math.ceil((Date.now() - t0) / 1000);
    log(`started ${watchers} watchers in ${((Date.now() - started) / 1000).toFixed(1)} s; watching ${seconds} s (${(seconds / intervalS).toFixed(1)} intervals)`);
    log('   t(s)  RSS(MB)  cached  ticks/s  lateness p99(s)  EC2 reads/s');
    const watchStart = Date.now();
    let lastTicks = fake.ticks.length;
    let at = Date.now();
    const onSchedule = () => fake.ticks.filter((t) => t.lateMs !== undefined);
    while (Date.now() - watchStart < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      peak = Math.max(peak, rssMb());
      if (options.enough?.({ watchersOnSchedule: new Set(onSchedule().map((t) => t.watcher)).size })) break;
      if (Date.now() - at < 10_000) continue;
      const elapsed = (Date.now() - at) / 1000;
      const recent = fake.ticks.slice(lastTicks).flatMap((t) => (t.lateMs === undefined ? [] : [t.lateMs]));
      const s = Math.floor((Date.now() - t0) / 1000);
      log(
        `${String(Math.round((Date.now() - watchStart) / 1000)).padStart(7)}  ${String(rssMb()).padStart(7)}  ${String(worker.getStatus().numCachedWorkflows).padStart(6)}  ${((fake.ticks.length - lastTicks) / elapsed).toFixed(1).padStart(7)}  ${(quantile(recent.sort((a, b) => a - b), 0.99) / 1000).toFixed(1).padStart(15)}  ${(fake.calls.count(EC2_READS, s - Math.round(elapsed), s) / elapsed).toFixed(2).padStart(11)}`,
      );
      lastTicks = fake.ticks.length;
      at = Date.now();
    }
    const endSecond = Math.floor((Date.now() - t0) / 1000);
    // The steady window: from one interval after the start (the starts' first looks done) to the end.
    const steadyFrom = Math.min(endSecond - 1, startSecond + intervalS);
    const steadySeconds = Math.max(1, endSecond - steadyFrom);
    const late = onSchedule()
      .map((t) => t.lateMs!)
      .sort((a, b) => a - b);
    const buckets: number[] = [];
    for (let s = steadyFrom; s + 10 <= endSecond; s += 10) buckets.push(fake.ticks.filter((t) => t.atMs >= t0 + s * 1000 && t.atMs < t0 + (s + 10) * 1000).length / 10);
    const calls: Record<string, number> = {};
    for (const a of fake.calls.actions()) calls[a] = fake.calls.count([a], steadyFrom, endSecond);
    const ec2Reads = fake.calls.count(EC2_READS, steadyFrom, endSecond);

    // A sample of watchers: the due time each reports against its cluster's phase.
    const sample = watchersOf.filter((_, i) => i % Math.max(1, Math.floor(watchers / 20)) === 0).slice(0, 20);
    const sampledPhases: SpotBenchSummary['sampledPhases'] = [];
    // A query of an evicted watcher waits for a replay behind the ticks: each gets 10 s at most.
    const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    await Promise.all(
      sample.map(async ({ workflowId, cluster }) => {
        const status = await within(client.workflow.getHandle(workflowId).query<SpotPoolStatus>('spotStatus')).catch(() => undefined);
        if (status?.nextCheckAt) sampledPhases.push({ clusterPhaseMs: tickPhaseMs(cluster, everyMs), dueOffsetMs: Date.parse(status.nextCheckAt) % everyMs });
      }),
    );
    log(`queried ${sampledPhases.length} of ${sample.length} sampled watchers`);
    // History events per run (continued-as-new runs and current ones) of the sample.
    const runs: number[] = [];
    await within(
      (async () => {
        for (const { workflowId } of sample.slice(0, 5)) {
          for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
            const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
            runs.push(history.events?.length ?? 0);
          }
        }
      })(),
    );
    summary = {
      watchers,
      clusters,
      ticksOnSchedule: late.length,
      watchersOnSchedule: new Set(onSchedule().map((t) => t.watcher)).size,
      ticks: fake.ticks.length,
      totals: Object.fromEntries(fake.calls.actions().map((a) => [a, fake.calls.count([a], 0, endSecond + 1)])),
      runSeconds: endSecond,
      latenessP50Ms: quantile(late, 0.5),
      latenessP99Ms: quantile(late, 0.99),
      withinTenSeconds: late.length ? late.filter((l) => l <= 10_000).length / late.length : 0,
      ticksPerSecond: buckets,
      rssMb: { before, after: rssMb(), peak },
      maxCachedWorkflows,
      peakCachedWorkflows: peakCached,
      calls,
      ec2ReadsPerMinute: (ec2Reads / steadySeconds) * 60,
      ec2ReadsPeakSecond: fake.calls.peakSecond(EC2_READS, steadyFrom, endSecond),
      spotPriceReads: calls['ec2:DescribeSpotPriceHistory'] ?? 0,
      priceTypes: TYPES.length,
      steadySeconds,
      sampledPhases,
      historyEventsPerRun: { avg: runs.length ? Math.round(runs.reduce((a, b) => a + b, 0) / runs.length) : 0, max: Math.max(0, ...runs), runs: runs.length },
    };
    // A dev server of its own goes with everything on it; a shared one (the CI test's) is cleaned.
    if (options.env) await Promise.all(ids.map((id) => client.workflow.getHandle(id).terminate('bench over').catch(() => undefined)));
  });
  clearInterval(sampler);
  if (!options.env) await env.teardown();
  return summary;
}

/** The figures, each with how it was derived. */
export function printSummary(s: SpotBenchSummary, intervalS: number, log: (line: string) => void = console.log): void {
  const idealTicksPerS = s.watchers / intervalS;
  const tps = s.ticksPerSecond;
  log('');
  log(`RSS: ${s.rssMb.before} MB before, ${s.rssMb.after} MB after, ${s.rssMb.peak} MB at peak (${((s.rssMb.peak - s.rssMb.before) / s.watchers).toFixed(3)} MB per watcher at peak; budget 2048 MB)`);
  log(`workflow cache: at most ${s.peakCachedWorkflows} of ${s.maxCachedWorkflows} allowed, for ${s.watchers} watchers: the rest replay from history at their tick`);
  log(`history events per run (${s.historyEventsPerRun.runs} runs of 5 watchers): avg ${s.historyEventsPerRun.avg}, max ${s.historyEventsPerRun.max} (a run continues as new at 400)`);
  log(`ticks on schedule: ${s.ticksOnSchedule}; lateness against the cluster's due time p50 ${(s.latenessP50Ms / 1000).toFixed(2)} s, p99 ${(s.latenessP99Ms / 1000).toFixed(2)} s; within 10 s: ${(s.withinTenSeconds * 100).toFixed(2)} % (target ≥ 99 %)`);
  if (tps.length > 0) {
    log(`ticks per second in 10 s buckets over the steady ${s.steadySeconds} s: min ${Math.min(...tps).toFixed(1)}, max ${Math.max(...tps).toFixed(1)}, ideal ${idealTicksPerS.toFixed(1)} (= ${s.watchers} watchers / ${intervalS} s)`);
    log(`  ${tps.map((x) => x.toFixed(0)).join(' ')}`);
  }
  const perMin = (n: number) => ((n / s.steadySeconds) * 60).toFixed(1);
  log(`AWS calls in the steady ${s.steadySeconds} s, per minute: ${Object.entries(s.calls).map(([a, n]) => `${a} ${perMin(n)}`).join(', ') || 'none'}`);
  const priceReadsPerInterval = (s.spotPriceReads / s.steadySeconds) * intervalS;
  log(`  spot price reads: ${priceReadsPerInterval.toFixed(2)} per ${intervalS} s interval for ${s.priceTypes} instance types in one region (one per region and type per interval; unshared: ${s.watchers})`);
  log(`  instance listings: batched per second, ≤ 1 DescribeInstances per second per 100 clusters asking (unshared: ${s.watchers} per interval = ${(s.watchers / intervalS).toFixed(1)}/s)`);
  log(
    `EC2 non-mutating bucket (${NON_MUTATING.burst} burst, ${NON_MUTATING.perSecond}/s = ${NON_MUTATING.perSecond * 60}/min): the watchers' EC2 reads are ${s.ec2ReadsPerMinute.toFixed(1)}/min = ${(s.ec2ReadsPerMinute / 60).toFixed(2)}/s, ` +
      `${((s.ec2ReadsPerMinute / (NON_MUTATING.perSecond * 60)) * 100).toFixed(1)} % of the refill; at most ${s.ec2ReadsPeakSecond} in one second (${((s.ec2ReadsPeakSecond / NON_MUTATING.burst) * 100).toFixed(0)} % of the burst); the rest is left for everything else`,
  );
}

async function main(): Promise<void> {
  const [watchers = 10_000, secondsArg, intervalS = DEFAULT_SPOT_INTERVAL_S, maxCachedWorkflows = DEFAULT_MAX_CACHED_WORKFLOWS] = process.argv.slice(2).map(Number);
  const seconds = secondsArg ?? 3 * intervalS;
  const summary = await runSpotBench({ watchers, intervalS, seconds, maxCachedWorkflows });
  printSummary(summary, intervalS);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
