/**
 * Create benchmark: a 3-AZ cluster (control plane of 3, two worker pools) against the
 * simulator's default, AWS-proportioned delays, once behind each kind of API endpoint (a
 * network load balancer, the default, and a classic ELB), one after the other in one run.
 * Prints each measured create time divided by the critical-path lower bound of the plan's
 * resource graph (the longest chain of delays that no parallelism can remove), and the two
 * kinds' create times side by side. Prints; never passes or fails on time.
 *
 *   npm run bench            (or: node dist/bench/create.js after npm run build)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchStack, stackEnv, stackPorts } from '../scripts/stack-driver';
import type { ClusterSpec } from '../common/cluster-spec';
import { planCluster } from '../workflows/plan';
import { awsPollMsFrom } from '../common/config';
import { operationId } from '../common/workflow-ids';
import { criticalPath, Delays, delaysOf, EndpointKind, json, readyDelay } from './create-bound';
import { createBreakdown, formatBreakdown } from './create-breakdown';
import { fleetBound } from './fleet-bound';
import { DEFAULT_AWS_RATE_SHARE } from '../common/config';
import { DEFAULT_PROJECT } from '../common/projects';
import { operationWorkflowId } from '../common/workflow-ids';

interface Measured {
  kind: EndpointKind;
  boundMs: number;
  /** The same chain with our share of EC2's buckets: 8 node launches exceed RunInstances' burst (bench/fleet-bound.ts, one cluster). */
  bucketBound: { ms: number; lines: string[] };
  chain: string[];
  measured: number;
  seenRunning: number;
  deleted: number;
  calls: number;
  throttled: number;
  taskLines: string[];
  breakdown: string[];
  /** The waits' reads during the create, per node (the simulator's statistics). */
  readsPerNode: Record<string, number>;
}

/** The Describe calls the waits poll: instance state and checks, NAT gateways, endpoint health. */
const WAIT_READS = ['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeNatGateways', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeInstanceHealth'];

/** One create and delete of the benchmark cluster behind `kind`, with its critical-path bound. */
async function measure(api: string, sim: string, temporalAddress: string, headers: Record<string, string>, accountId: string, kind: EndpointKind, delays: Delays): Promise<Measured> {
  const name = `bench-${kind}`;
  const spec: ClusterSpec = {
    name,
    profile: { id: 'aws-default' },
    cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.40.0.0/16' }, apiEndpoint: { type: kind } },
    pools: [
      { name: 'master', role: 'control-plane', size: 3, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
      { name: 'workers', role: 'worker', size: 3, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
      { name: 'compute', role: 'worker', size: 2, instanceType: 'c5.xlarge', azs: ['us-east-1c'] },
    ],
  };
  const plan = planCluster(spec);
  const controlPlane = new Set(plan.nodes.filter((n) => n.role === 'control-plane').map((n) => n.key));
  const bound = criticalPath(plan.resources, (r) => readyDelay(r, delays, controlPlane, kind));
  const nodeReadyMs = Math.min(...plan.nodes.map((node) => readyDelay(plan.resources.find((r) => r.key === node.key)!, delays, controlPlane, kind)));
  const bucketBound = fleetBound({ n: 1, plan, natGatewayPendingMs: delays.natGatewayPending, nodeReadyMs, soloCriticalPathMs: bound.ms, scale: 1, share: DEFAULT_AWS_RATE_SHARE });
  const before = await json(`${sim}/_sim/stats`);

  const startedAt = Date.now();
  await json(`${api}/v1/clusters`, { method: 'POST', headers, body: JSON.stringify(spec) });
  let phase = '';
  while (phase !== 'Running') {
    const status = await json(`${api}/v1/clusters/${name}`, { headers });
    phase = status.phase;
    if (phase === 'Failed') throw new Error(`create behind ${kind} failed: ${status.lastError}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seenRunning = Date.now() - startedAt;
  const op = await json(`${api}/v1/clusters/${name}/operations/${operationId(1, 'create')}`, { headers });
  const measured = Date.parse(op.finishedAt) - Date.parse(op.startedAt);
  const opStart = Date.parse(op.startedAt);
  const at = (t?: string) => (t ? ((Date.parse(t) - opStart) / 1000).toFixed(1).padStart(5) : '    -');
  const taskLines = (op.tasks as Array<{ name: string; startedAt?: string; finishedAt?: string }>).map((t) => `  ${at(t.startedAt)} → ${at(t.finishedAt)} s  ${t.name}`);
  const stats = await json(`${sim}/_sim/stats`);
  const callsOf = (s: { actions: Record<string, { calls: number }> }, action: string) => s.actions[action]?.calls ?? 0;
  const readsPerNode = Object.fromEntries(WAIT_READS.map((a) => [a, (callsOf(stats, a) - callsOf(before, a)) / plan.nodes.length]).filter(([, n]) => (n as number) > 0));
  const breakdown = await createBreakdown({
    sim,
    temporalAddress,
    workflowId: operationWorkflowId(DEFAULT_PROJECT, name, op.id),
    owner: `${DEFAULT_PROJECT}/${name}`,
    opStart,
    opFinish: Date.parse(op.finishedAt),
    tasks: op.tasks,
    natPendingMs: delays.natGatewayPending,
    readyDelayOf: (key) => readyDelay(plan.resources.find((r) => r.key === key)!, delays, controlPlane, kind),
  });
  const throttledOf = (s: { actions: Record<string, { throttled: number }> }) => Object.values(s.actions).reduce((n, a) => n + a.throttled, 0);

  const deleteStarted = Date.now();
  await json(`${api}/v1/clusters/${name}`, { method: 'DELETE', headers });
  while ((await json(`${api}/v1/clusters/${name}`, { headers })).phase !== 'Deleted') await new Promise((r) => setTimeout(r, 100));
  const deleted = Date.now() - deleteStarted;
  return {
    kind,
    boundMs: bound.ms,
    bucketBound,
    chain: bound.chain,
    measured,
    seenRunning,
    deleted,
    calls: stats.totals.calls - before.totals.calls,
    throttled: throttledOf(stats) - throttledOf(before),
    taskLines,
    breakdown: formatBreakdown(breakdown, measured, bound.ms),
    readsPerNode,
  };
}

async function main(): Promise<void> {
  const ports = await stackPorts();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-bench-'));
  const stack = await launchStack(stackEnv(ports, dataDir), ports);
  try {
    const api = `http://127.0.0.1:${ports.api}`;
    const sim = `http://127.0.0.1:${ports.sim}`;
    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const account = await json(`${api}/v1/cloud-accounts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'bench', accessKeyId: 'AKIABENCHMARK0000001', secretAccessKey: 'benchmarkSecretKeyThatIsLongEnough01' }),
    });
    const { delays, scale } = delaysOf(await json(`${sim}/_sim/config`));
    const runs: Measured[] = [];
    for (const kind of ['nlb', 'classic'] as const) runs.push(await measure(api, sim, `127.0.0.1:${ports.temporal}`, headers, account.id, kind, delays));

    const lines = [
      'create benchmark: 3 AZs, control plane 3 (m5.large), workers 3 (m5.large), compute 2 (c5.xlarge); behind an NLB, then a classic ELB',
      `simulator delays (ms, scale ${scale}): ${JSON.stringify(delays)}`,
      `AWS poll interval: ${awsPollMsFrom(process.env)} ms`,
      '',
      'critical-path lower bound: the longest chain in the plan’s dependency graph, each resource',
      'weighted by how long AWS keeps it from being ready (NAT gateway: pending→available;',
      'node: pending→running + status checks, control plane also healthy behind the API endpoint;',
      'every other resource is ready when its call returns, so weighs 0).',
    ];
    for (const run of runs) {
      lines.push(
        '',
        `— behind ${run.kind === 'nlb' ? 'a network load balancer (the default)' : 'a classic ELB'}:`,
        `  bound: ${run.chain.filter((c) => !c.endsWith('(0 ms)')).join(' → ')} = ${(run.boundMs / 1000).toFixed(1)} s`,
        `  create operation (workflow start → finish): ${(run.measured / 1000).toFixed(1)} s`,
        `  POST → API reports Running:                ${(run.seenRunning / 1000).toFixed(1)} s`,
        `  delete (DELETE → API reports Deleted):     ${(run.deleted / 1000).toFixed(1)} s`,
        `  AWS calls during create and delete: ${run.calls}, of which throttled (RequestLimitExceeded): ${run.throttled}`,
        '  create tasks (seconds since the operation started):',
        ...run.taskLines.map((l) => `  ${l}`),
        ...run.breakdown,
        `  the waits' reads during the create, per node (${Object.values(run.readsPerNode).reduce((a, b) => a + b, 0).toFixed(1)} in all): ${Object.entries(run.readsPerNode).map(([a, n]) => `${a.split(':')[1]} ${n.toFixed(1)}`).join(', ')}`,
        `  ratio measured / bound = ${(run.measured / run.boundMs).toFixed(2)}   (target ≤ 1.10)`,
        `  the same chain at our share (${DEFAULT_AWS_RATE_SHARE}) of EC2's buckets, as the fleet bench counts it (the limiter keeps every create within it):`,
        ...run.bucketBound.lines.map((l) => `    ${l}`),
        `  ratio measured / bound at our share = ${(run.measured / run.bucketBound.ms).toFixed(2)}`,
      );
    }
    const [nlb, classic] = runs;
    lines.push('', `side by side: create behind an NLB / behind a classic ELB = ${(nlb.measured / classic.measured).toFixed(2)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stack.interrupt();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.message}\n`);
  process.exit(1);
});
