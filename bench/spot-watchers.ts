/**
 * Spot watcher benchmark: N concurrent spot bidding watchers (one per spot pool) on one
 * worker, against in-process fake activities (a fake spot market answering instantly), so
 * what is measured is the engine's cost per watcher: the worker's memory (RSS), its CPU per
 * watcher tick, and the history events each watcher run accumulates before it continues as
 * new. A local Temporal dev server (the pinned CLI) runs beside it. Prints; never asserts.
 *
 *   npm run build && node dist/bench/spot-watchers.js [watchers=500] [seconds=60] [intervalS=1] [suggestContinueAsNewAt=500]
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
import type { InstanceInfo } from '../activities/types';
import type { SpotWatcherInput } from '../workflows/spot-watcher';
import { spotWatcherId } from '../common/workflow-ids';

type FakeInstance = InstanceInfo & { generation: number };

const AZS = ['us-east-1a', 'us-east-1b'];

/** Every watcher's cluster has its own instances; prices are in range, so pools fill and stay full. */
function fakeActivities() {
  const byCluster = new Map<string, Map<string, FakeInstance>>();
  let n = 0;
  let ticks = 0;
  const instancesOf = (scope: { owner: { cluster: string } }) => {
    let m = byCluster.get(scope.owner.cluster);
    if (!m) byCluster.set(scope.owner.cluster, (m = new Map()));
    return m;
  };
  const activities = {
    onDemandPrice: async () => 0.096,
    spotPrices: async (i: { azs: string[] }) => {
      ticks++;
      return i.azs.map((az, k) => ({ az, price: 0.03 + k * 0.001, at: '2026-01-01T00:00:00.000Z' }));
    },
    resolveImage: async () => ({ imageId: 'ami-12345678', name: 'ubuntu' }),
    ensureInstance: async (i: { scope: { owner: { cluster: string } }; key: string; subnetId: string; instanceType: string; generation: number }) => {
      const info: FakeInstance = { instanceId: `i-${(++n).toString(16).padStart(17, '0')}`, key: i.key, az: i.subnetId === 'subnet-b' ? AZS[1] : AZS[0], subnetId: i.subnetId, instanceType: i.instanceType, state: 'pending', lifecycle: 'spot', generation: i.generation };
      instancesOf(i.scope).set(info.instanceId, info);
      return info;
    },
    listClusterInstances: async (i: { scope: { owner: { cluster: string } } }) => [...instancesOf(i.scope).values()].map((x) => ({ ...x, state: 'running' })),
    terminateInstance: async (i: { scope: { owner: { cluster: string } }; key: string }) => {
      const m = instancesOf(i.scope);
      for (const [id, x] of m) if (x.key === i.key) m.delete(id);
    },
  };
  return { activities, ticks: () => ticks };
}

async function main(): Promise<void> {
  const [watchers = 500, seconds = 60, intervalS = 1, canAt = 500] = process.argv.slice(2).map(Number);
  console.log(`spot watchers: ${watchers} watchers, ${seconds} s, a tick every ${intervalS} s, continue-as-new suggested at ${canAt} events`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: ensureTemporalCli() },
      ip: '127.0.0.1',
      searchAttributes: Object.values(SEARCH_ATTRIBUTE_KEYS),
      extraArgs: ['--log-level', 'error', '--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${canAt}`],
    },
  });
  const fake = fakeActivities();
  const taskQueue = 'spot-bench';
  // Encrypted like the stack's payloads (common/payload-codec.ts), so the figures include it.
  const dataConverter = { payloadCodecs: [new EncryptedPayloadCodec(randomBytes(32))] };
  const client = new Client({ connection: env.connection, dataConverter });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    dataConverter,
    workflowsPath: require.resolve('../workflows'),
    activities: fake.activities,
    // Every watcher stays cached: the steady state of a worker that owns them all.
    maxCachedWorkflows: watchers + 100,
  });
  const profile = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {});
  const pool: PoolSpec = { name: 'spot', role: 'worker', size: 2, instanceType: 'm5.large', azs: AZS, capacity: { type: 'spot', maxPricePercent: 50 } };
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

  const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
  const baseline = rssMb();
  await worker.runUntil(async () => {
    for (let i = 0; i < watchers; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, watchers - i) }, async (_, k) => {
          const name = `bench-${i + k}`;
          const input: SpotWatcherInput = {
            project: 'bench',
            spec: { name, profile: { id: 'aws-default' }, cloud: { accountId: 'acct', region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.0.0.0/16' } }, pools: [pool] },
            profile,
            network,
            pool,
            intervalS,
          };
          const workflowId = spotWatcherId('bench', name, 'spot');
          ids.push(workflowId);
          await client.workflow.start('spotWatcher', { taskQueue, workflowId, args: [input] });
        }),
      );
    }
    console.log(`started ${watchers} watchers; RSS ${baseline} MB before`);
    console.log('   t(s)  RSS(MB)  CPU(%)  ticks/s  CPU ms/tick');
    const started = Date.now();
    let cpu = process.cpuUsage();
    let ticks = fake.ticks();
    let at = Date.now();
    while (Date.now() - started < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 5000));
      const nowCpu = process.cpuUsage(cpu);
      const nowTicks = fake.ticks();
      const elapsed = (Date.now() - at) / 1000;
      const cpuMs = (nowCpu.user + nowCpu.system) / 1000;
      const dt = nowTicks - ticks;
      console.log(
        `${String(Math.round((Date.now() - started) / 1000)).padStart(7)}  ${String(rssMb()).padStart(7)}  ${String(Math.round(cpuMs / elapsed / 10)).padStart(6)}  ${String(Math.round(dt / elapsed)).padStart(7)}  ${(dt > 0 ? cpuMs / dt : 0).toFixed(3).padStart(11)}`,
      );
      cpu = process.cpuUsage();
      ticks = nowTicks;
      at = Date.now();
    }

    // History events per run: closed runs (ended by continue-as-new) of a sample of watchers.
    const sample = ids.slice(0, 10);
    const closedRuns: number[] = [];
    let currentEvents = 0;
    for (const workflowId of sample) {
      for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
        const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
        const events = history.events?.length ?? 0;
        if (execution.status.name === 'RUNNING') currentEvents += events;
        else closedRuns.push(events);
      }
    }
    const avg = (xs: number[]) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);
    const totalTicks = fake.ticks();
    console.log(`ticks in all: ${totalTicks} (${(totalTicks / watchers).toFixed(1)} per watcher)`);
    console.log(`history events per watcher run (continued as new, ${closedRuns.length} runs of ${sample.length} watchers): avg ${avg(closedRuns)}, max ${Math.max(0, ...closedRuns)}`);
    console.log(`history events in the current runs: avg ${avg([currentEvents / sample.length])}`);
    console.log(`RSS per watcher: ~${((rssMb() - baseline) / watchers).toFixed(2)} MB`);
    await Promise.all(ids.map((id) => client.workflow.getHandle(id).terminate('bench over').catch(() => undefined)));
  });
  await env.teardown();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
