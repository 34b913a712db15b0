/**
 * Fleet benchmark: N clusters created at once in one account and region under the
 * simulator's EC2 request buckets (AWS's documented sizes), then all deleted at once. Prints
 * the fleet's create time over its lower bound, the RequestLimitExceeded answers among all
 * calls (the simulator's count, not ours), the failed operations, and what the simulator
 * still holds afterwards. Prints; never passes or fails on time.
 *
 *   npm run bench:fleet -- 20 [--workers 3]   (or: node dist/bench/fleet.js 20 after npm run build)
 *
 * test/e2e/fleet-many-workers.test.ts runs a short version (N = 4 on three workers, one of
 * them killed) in CI, with every bucket scaled down to a fifth and the workers told they may
 * use the same fifth: there the limiter must keep a small fleet within buckets that small, as
 * it keeps a large one within AWS's. It skips the solo create (`solo: false`), which only
 * the former bound's comparison needs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchStack, stackEnv, stackPorts } from '../scripts/stack-driver';
import type { ClusterSpec } from '../common/cluster-spec';
import { DEFAULT_AWS_RATE_SHARE } from '../common/config';
import { ec2Draws } from '../common/ec2-throttling';
import { operationId } from '../common/workflow-ids';
import { planCluster } from '../workflows/plan';
import { criticalPath, delaysOf, json, readyDelay } from './create-bound';
import { fleetBound } from './fleet-bound';

export interface FleetOptions {
  /** Clusters created at once. */
  n: number;
  /**
   * Scales every EC2 bucket of the simulator (capacity and refill) and, with it, the worker's
   * share of them (`CLUSTERFLOW_AWS_RATE_SHARE` = 0.85 × scale): 1 is AWS's own sizes.
   */
  bucketScale?: number;
  /** Worker processes (`npm start -- --workers N`), all sharing the buckets; default 1. */
  workers?: number;
  /**
   * Runs beside the fleet's create (a test kills a worker there): `created` resolves once every
   * cluster is Running or Failed; the fleet is deleted once this has ended too.
   */
  duringCreate?: (fleet: { temporalAddress: string; names: string[]; created: Promise<void> }) => Promise<void>;
  /** Creates one cluster alone first, for the former bound's comparison (default true; the bound itself needs no run). */
  solo?: boolean;
  log?: (line: string) => void;
}

interface ActionStats {
  calls: number;
  throttled: number;
}
interface StatsSnapshot {
  totals: { calls: number; throttled: number };
  actions: Record<string, ActionStats>;
}

export interface FleetSummary {
  n: number;
  workers: number;
  bucketScale: number;
  /** Undefined when the run skipped the solo create (`solo: false`). */
  soloCreateMs?: number;
  /** The first create's start to the last create's end. */
  fleetCreateMs: number;
  fleetDeleteMs: number;
  /** The longest wait one EC2 bucket forces on the fleet's calls of one action during the create, and which. */
  bucketWait: { action: string; calls: number; capacity: number; refillPerSecond: number; ms: number };
  /** The longest chain of waits along the create's dependency graph at our share of each bucket (bench/fleet-bound.ts). */
  boundMs: number;
  boundLines: string[];
  ratio: number;
  /** The bound as it was stated before: one cluster's create alone + the longest single bucket wait at the bucket's full size. */
  soloPlusBucketMs?: number;
  /** Every call of the fleet's create and delete (the simulator's statistics), and how many were answered RequestLimitExceeded. */
  calls: number;
  throttled: number;
  throttledByAction: Record<string, number>;
  /** The EC2 actions whose buckets, at our share, pace the fleet's create longest: (calls − our capacity) ÷ our refill. */
  paced: Array<{ action: string; calls: number; ms: number }>;
  failedOperations: string[];
  /** What the simulator still holds once every cluster is deleted, by resource kind. */
  left: Record<string, string[]>;
  soloChain: string[];
}

/** What a cluster of the fleet is: 2 AZs, a control plane of 1, two workers, behind an NLB. */
function fleetSpec(name: string, accountId: string, index: number): ClusterSpec {
  return {
    name,
    profile: { id: 'aws-default' },
    cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: `10.${index % 250}.0.0/16` }, apiEndpoint: { type: 'nlb' } },
    pools: [
      { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
      { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
    ],
  };
}

/** Quotas of an account that runs fleets (AWS raises them on request); the buckets stay AWS's. */
const FLEET_QUOTAS = {
  onDemandStandardVcpus: 4000,
  spotStandardVcpus: 4000,
  elasticIps: 1000,
  vpcsPerRegion: 1000,
  natGatewaysPerAz: 1000,
  internetGatewaysPerRegion: 1000,
  networkLoadBalancersPerRegion: 1000,
  classicLoadBalancersPerRegion: 1000,
};

const INVENTORY_KINDS = [
  'vpcs', 'subnets', 'internetGateways', 'natGateways', 'addresses', 'routeTables', 'securityGroups', 'instances',
  'loadBalancers', 'targetGroups', 'listeners', 'secrets', 'roles', 'instanceProfiles',
] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function diff(before: StatsSnapshot, after: StatsSnapshot): Record<string, ActionStats> {
  const out: Record<string, ActionStats> = {};
  for (const [key, a] of Object.entries(after.actions)) {
    const b = before.actions[key] ?? { calls: 0, throttled: 0 };
    if (a.calls > b.calls) out[key] = { calls: a.calls - b.calls, throttled: a.throttled - b.throttled };
  }
  return out;
}

/**
 * The longest wait a bucket forces: an action's calls beyond its bucket's capacity come no
 * faster than its refill. Each action is taken at its most generous bucket (filtered: the
 * non-mutating category rather than the unfiltered one), so the bound stays a lower one.
 */
/** How long our own share of each action's bucket holds the fleet's calls back, longest first. */
function pacedByUs(actions: Record<string, ActionStats>, scale: number, share: number): FleetSummary['paced'] {
  const paced: FleetSummary['paced'] = [];
  for (const [key, stats] of Object.entries(actions)) {
    if (!key.startsWith('ec2:')) continue;
    const calls = stats.calls - stats.throttled;
    for (const draw of ec2Draws({ action: key.slice(4), filtered: true, paginated: false, instances: 1 })) {
      const rate = draw.size.refillPerSecond * scale * share;
      const ms = rate > 0 ? (Math.max(0, calls - draw.size.capacity * scale * share) / rate) * 1000 : 0;
      if (ms > 0) paced.push({ action: draw.bucket, calls, ms });
    }
  }
  return paced.sort((a, b) => b.ms - a.ms).slice(0, 6);
}

function longestBucketWait(actions: Record<string, ActionStats>, scale: number): FleetSummary['bucketWait'] {
  let worst: FleetSummary['bucketWait'] = { action: '(none)', calls: 0, capacity: 0, refillPerSecond: 0, ms: 0 };
  for (const [key, stats] of Object.entries(actions)) {
    if (!key.startsWith('ec2:')) continue;
    // Calls AWS let through: a throttled answer took no token.
    const calls = stats.calls - stats.throttled;
    const action = key.slice(4);
    for (const draw of ec2Draws({ action, filtered: true, paginated: false, instances: 1 })) {
      const capacity = draw.size.capacity * scale;
      const refillPerSecond = draw.size.refillPerSecond * scale;
      const ms = refillPerSecond > 0 ? (Math.max(0, calls - capacity) / refillPerSecond) * 1000 : 0;
      if (ms > worst.ms) worst = { action: draw.bucket, calls, capacity, refillPerSecond, ms };
    }
  }
  return worst;
}

export async function runFleet(options: FleetOptions): Promise<FleetSummary> {
  const { n } = options;
  const scale = options.bucketScale ?? 1;
  const log = options.log ?? (() => undefined);
  const ports = await stackPorts();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-fleet-'));
  const env = stackEnv(ports, dataDir, { CLUSTERFLOW_AWS_RATE_SHARE: String(DEFAULT_AWS_RATE_SHARE * scale) });
  const stack = await launchStack(env, ports, ['--workers', String(options.workers ?? 1)]);
  try {
    const api = `http://127.0.0.1:${ports.api}`;
    const sim = `http://127.0.0.1:${ports.sim}`;
    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await json(`${sim}/_sim/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ quotas: FLEET_QUOTAS, throttling: { enabled: true, rateScale: scale, capacityScale: scale } }),
    });
    const account = await json(`${api}/v1/cloud-accounts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'fleet', accessKeyId: 'AKIAFLEETBENCH000001', secretAccessKey: 'fleetBenchmarkSecretKeyLongEnough001' }),
    });
    const { delays } = delaysOf(await json(`${sim}/_sim/config`));

    const getCluster = (name: string) => json(`${api}/v1/clusters/${name}`, { headers });
    const untilPhase = async (names: string[], wanted: string[]): Promise<void> => {
      const waiting = new Set(names);
      while (waiting.size > 0) {
        for (const name of [...waiting]) if (wanted.includes((await getCluster(name)).phase)) waiting.delete(name);
        if (waiting.size > 0) await sleep(1_000);
      }
    };
    const createOp = (name: string) => json(`${api}/v1/clusters/${name}/operations/${operationId(1, 'create')}`, { headers });

    const solo = fleetSpec('fleet-solo', account.id, 0);
    const plan = planCluster(solo);
    const controlPlane = new Set(plan.nodes.filter((node) => node.role === 'control-plane').map((node) => node.key));
    const soloPath = criticalPath(plan.resources, (r) => readyDelay(r, delays, controlPlane, 'nlb'));
    const soloChain = soloPath.chain.filter((c) => !c.endsWith('(0 ms)'));
    const nodeReadyMs = Math.min(...plan.nodes.map((node) => readyDelay(plan.resources.find((r) => r.key === node.key)!, delays, controlPlane, 'nlb')));
    const bound = fleetBound({ n, plan, natGatewayPendingMs: delays.natGatewayPending, nodeReadyMs, soloCriticalPathMs: soloPath.ms, scale, share: DEFAULT_AWS_RATE_SHARE });
    let soloCreateMs: number | undefined;
    if (options.solo !== false) {
      // One cluster alone: the create time the former bound started from.
      log('solo: creating one cluster alone');
      await json(`${api}/v1/clusters`, { method: 'POST', headers, body: JSON.stringify(solo) });
      await untilPhase([solo.name], ['Running', 'Failed']);
      const soloOp = await createOp(solo.name);
      if (soloOp.state !== 'Succeeded') throw new Error(`the solo create failed: ${soloOp.error}`);
      soloCreateMs = Date.parse(soloOp.finishedAt) - Date.parse(soloOp.startedAt);
      await json(`${api}/v1/clusters/${solo.name}`, { method: 'DELETE', headers });
      await untilPhase([solo.name], ['Deleted']);
      log(`solo: created in ${(soloCreateMs / 1000).toFixed(1)} s, deleted`);
      // The fleet starts with full buckets, as the bound assumes.
      await sleep(scale > 0 ? Math.min(30_000, 10_000 / scale) : 0);
    }

    const specs = Array.from({ length: n }, (_, i) => fleetSpec(`fleet-${i + 1}`, account.id, i + 1));
    const names = specs.map((s) => s.name);
    const before = (await json(`${sim}/_sim/stats`)) as StatsSnapshot;
    log(`fleet: creating ${n} clusters at once`);
    await Promise.all(specs.map((spec) => json(`${api}/v1/clusters`, { method: 'POST', headers, body: JSON.stringify(spec) })));
    let markCreated!: () => void;
    const created = new Promise<void>((resolve) => (markCreated = resolve));
    // Its failure is kept, not left unhandled while the creates are waited for.
    const beside = options.duringCreate?.({ temporalAddress: `127.0.0.1:${ports.temporal}`, names, created }).then(() => undefined, (error: unknown) => error);
    await untilPhase(names, ['Running', 'Failed']);
    markCreated();
    const besideError = await beside;
    if (besideError) throw besideError;
    const afterCreate = (await json(`${sim}/_sim/stats`)) as StatsSnapshot;
    const ops = await Promise.all(names.map(createOp));
    const fleetCreateMs = Math.max(...ops.map((op) => Date.parse(op.finishedAt))) - Math.min(...ops.map((op) => Date.parse(op.startedAt)));
    log(`fleet: created in ${(fleetCreateMs / 1000).toFixed(1)} s; deleting`);

    const deleteStarted = Date.now();
    await Promise.all(names.map((name) => json(`${api}/v1/clusters/${name}`, { method: 'DELETE', headers })));
    await untilPhase(names, ['Deleted', 'Failed']);
    const fleetDeleteMs = Date.now() - deleteStarted;
    const after = (await json(`${sim}/_sim/stats`)) as StatsSnapshot;

    const failedOperations: string[] = [];
    for (const name of soloCreateMs === undefined ? names : [solo.name, ...names]) {
      const listed = (await json(`${api}/v1/clusters/${name}/operations?limit=100`, { headers })) as Array<{ id: string; state: string; error?: string }>;
      for (const op of listed) if (op.state !== 'Succeeded') failedOperations.push(`${name} ${op.id} ${op.state}${op.error ? `: ${op.error}` : ''}`);
    }
    const inventory = (await json(`${sim}/_sim/inventory`)) as Record<string, Array<Record<string, unknown>>>;
    const left: Record<string, string[]> = {};
    for (const kind of INVENTORY_KINDS) {
      const items = (inventory[kind] ?? []).map((item) => String(item.id ?? item.allocationId ?? item.arn ?? item.name));
      if (items.length > 0) left[kind] = items;
    }

    const bucketWait = longestBucketWait(diff(before, afterCreate), scale);
    const paced = pacedByUs(diff(before, afterCreate), scale, DEFAULT_AWS_RATE_SHARE);
    const soloPlusBucketMs = soloCreateMs === undefined ? undefined : soloCreateMs + bucketWait.ms;
    const throttledByAction: Record<string, number> = {};
    for (const [key, a] of Object.entries(diff(before, after))) if (a.throttled > 0) throttledByAction[key] = a.throttled;
    return {
      n,
      workers: options.workers ?? 1,
      bucketScale: scale,
      soloCreateMs,
      fleetCreateMs,
      fleetDeleteMs,
      bucketWait,
      boundMs: bound.ms,
      boundLines: bound.lines,
      ratio: fleetCreateMs / bound.ms,
      soloPlusBucketMs,
      calls: after.totals.calls - before.totals.calls,
      throttled: after.totals.throttled - before.totals.throttled,
      throttledByAction,
      paced,
      failedOperations,
      left,
      soloChain,
    };
  } finally {
    await stack.interrupt();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatFleet(s: FleetSummary): string {
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const w = s.bucketWait;
  const leftCount = Object.values(s.left).reduce((sum, items) => sum + items.length, 0);
  return [
    `fleet benchmark: ${s.n} clusters at once in one account and region (us-east-1); each 2 AZs, control plane 1 + workers 2 (m5.large), NLB; ${s.workers} worker process${s.workers === 1 ? '' : 'es'}`,
    `EC2 buckets: AWS's documented sizes${s.bucketScale === 1 ? '' : ` × ${s.bucketScale}`}; the worker's share ${(DEFAULT_AWS_RATE_SHARE * s.bucketScale).toFixed(3)} of each`,
    '',
    'lower bound = the longest chain of waits along the create’s dependency graph (workflows/plan.ts), at our share of each',
    'EC2 bucket, counting only the calls the plan needs and AWS’s delays: no schedule under those buckets finishes sooner,',
    'since a bucket never holds more than its capacity (so m calls from a moment t end no sooner than t + (m − capacity) ÷ refill),',
    'a node launches no sooner than its AZ’s NAT gateway is available, and is ready no sooner than its delay after (bench/fleet-bound.ts):',
    ...s.boundLines.map((line) => `  ${line}`),
    `  bound = ${sec(s.boundMs)}`,
    ...(s.soloCreateMs === undefined || s.soloPlusBucketMs === undefined
      ? []
      : [`  (as stated before: one cluster alone ${sec(s.soloCreateMs)} + the longest single bucket wait at full size, ${w.action}: (${w.calls} − ${w.capacity}) ÷ ${w.refillPerSecond}/s = ${sec(w.ms)}; = ${sec(s.soloPlusBucketMs)}, not a lower bound: the wait overlaps the cluster's own time, and our share is 0.85)`]),
    `  one cluster's critical path by AWS's delays: ${s.soloChain.join(' → ')}`,
    '',
    `fleet create (first start → last finish): ${sec(s.fleetCreateMs)}`,
    `ratio fleet / bound = ${s.ratio.toFixed(2)}   (target ≤ 1.25)${s.soloPlusBucketMs === undefined ? '' : `; fleet / the former bound = ${(s.fleetCreateMs / s.soloPlusBucketMs).toFixed(2)}`}`,
    `fleet delete (DELETE → all Deleted): ${sec(s.fleetDeleteMs)}`,
    `buckets at our share that hold the fleet's create back longest ((calls − capacity) ÷ refill, each × ${DEFAULT_AWS_RATE_SHARE}): ${s.paced.map((p) => `${p.action} ${p.calls} calls ${sec(p.ms)}`).join(', ') || 'none'}`,
    `AWS calls during the fleet's create and delete: ${s.calls}; answered RequestLimitExceeded: ${s.throttled} (${((100 * s.throttled) / Math.max(1, s.calls)).toFixed(2)} %, target < 1 %)`,
    ...Object.entries(s.throttledByAction).map(([action, count]) => `  ${action}: ${count}`),
    `failed operations: ${s.failedOperations.length}`,
    ...s.failedOperations.map((op) => `  ${op}`),
    `left in the simulator after delete: ${leftCount}${leftCount ? '' : ' (every kind: VPCs, subnets, gateways, addresses, routes, groups, instances, load balancers, target groups, listeners, secrets, IAM roles and profiles)'}`,
    ...Object.entries(s.left).map(([kind, items]) => `  ${kind}: ${items.join(', ')}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = args.indexOf('--workers');
  const workers = flag >= 0 ? Number(args.splice(flag, 2)[1]) : 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new Error('--workers is a whole number from 1 to 16');
  const n = Number(args[0] ?? 10);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`the fleet size is a whole number from 1 to 100, got "${args[0]}"`);
  const summary = await runFleet({ n, workers, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${formatFleet(summary)}\n`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`fleet bench failed: ${error.message}\n`);
    process.exit(1);
  });
}
