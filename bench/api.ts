/**
 * API read benchmark: `GET /v1/clusters` (a page from Temporal visibility) and
 * `GET /v1/clusters/:name` (a query to the cluster's entity) against the real stack, with
 * `--clusters` real clusters, each at a fixed rate (autocannon's `overallRate`), one after the
 * other in one run. Prints the derivation and p50/p99 side by side; never passes or fails on
 * time (the target, p99 < 100 ms for the list at 50 requests/s, is printed beside the figure).
 *
 *   npm run bench:api                                  200 clusters, 50 requests/s, 20 s per route
 *   npm run bench:api -- --clusters 10 --seconds 3     the short variant
 *
 * The clusters are real entities, created through the API, so visibility holds them exactly as
 * in production. To keep 200 of them cheap on one machine, each names an SSH key pair that does
 * not exist: its create fails at preflight (before it makes anything in AWS) and, created with
 * `keepOnFailure`, it stays `Failed` with its entity running, as a cluster kept for inspection.
 * The list and the get read such a cluster exactly as any other (the list its memo, the get its
 * status query; spot pools would add one query per pool to a get).
 *
 * The list answers from a per-project snapshot of visibility (read at most once a second) and
 * keeps each answer for the snapshot's second, so one URL asked over and over is mostly served
 * from what it gave before: the "distinct questions" route asks 150 different pages in turn, each
 * built afresh from the snapshot. Beside them, raw `ListWorkflowExecutions` calls (the project's
 * list query, from this process, one at a time) show what one visibility read per list would
 * cost on this dev server (SQLite) and the most it answers per second, and /healthz the HTTP
 * stack's own floor: ratios to it are what compare across runs on a shared machine.
 */
import { Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterListQuery } from '../common/search-attributes';
import { launchStack, stackEnv, stackPorts } from '../scripts/stack-driver';

interface Options {
  clusters: number;
  seconds: number;
  rate: number;
  connections: number;
}

function options(argv: string[]): Options {
  const chosen: Options = { clusters: 200, seconds: 20, rate: 50, connections: 10 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof Options;
    const value = Number(argv[i + 1]);
    if (!(key in chosen) || !Number.isInteger(value) || value < 1) throw new Error(`usage: --clusters N --seconds S --rate R --connections C (positive integers); got ${argv[i]} ${argv[i + 1]}`);
    chosen[key] = value;
  }
  return chosen;
}

async function json(url: string, init: RequestInit = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Runs `body` over `items`, at most `width` at a time. */
async function inBatches<T>(items: T[], width: number, body: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await body(items[next++]);
  }));
}

/** Every cluster of the list, walking its pages. */
async function listAll(api: string, headers: Record<string, string>): Promise<Array<{ name: string; phase: string }>> {
  const found: Array<{ name: string; phase: string }> = [];
  let token: string | undefined;
  do {
    const page = await json(`${api}/v1/clusters?limit=200${token ? `&pageToken=${token}` : ''}`, { headers });
    found.push(...page.items);
    token = page.nextPageToken;
  } while (token);
  return found;
}

interface Measured {
  route: string;
  requests: number;
  non2xx: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  rate: number;
}

async function measure(api: string, token: string, route: string, paths: string[], o: Options): Promise<Measured> {
  let n = 0;
  const result = await autocannon({
    url: api,
    connections: o.connections,
    overallRate: o.rate,
    duration: o.seconds,
    headers: { authorization: `Bearer ${token}` },
    // Each request takes the next path: the gets go round every cluster.
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths[n++ % paths.length] }) }],
  });
  return {
    route,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    rate: result.requests.total / o.seconds,
  };
}

/** The value at quantile `q` of sorted `values`. */
function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/**
 * Visibility's floor: the project's list query (visibility's largest page, as the read model
 * asks it) sent straight to Temporal one call after the other for as long as a route runs. Its
 * rate is the most this dev server answers; below `rate`, a visibility read per list could not
 * keep up at all (calls would queue without bound), which is why the list reads a snapshot.
 */
async function measureVisibility(address: string, o: Options): Promise<Measured> {
  const connection = await Connection.connect({ address });
  try {
    const latencies: number[] = [];
    let errors = 0;
    const started = performance.now();
    while (performance.now() - started < o.seconds * 1000) {
      const sent = performance.now();
      try {
        await connection.workflowService.listWorkflowExecutions({ namespace: 'default', query: clusterListQuery('default'), pageSize: 1000 });
        latencies.push(performance.now() - sent);
      } catch {
        errors++;
      }
    }
    const sorted = latencies.sort((a, b) => a - b).map(Math.round);
    return {
      route: 'ListWorkflowExecutions (raw, one at a time)',
      requests: latencies.length + errors,
      non2xx: 0,
      errors,
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      max: sorted[sorted.length - 1] ?? 0,
      rate: (latencies.length + errors) / ((performance.now() - started) / 1000),
    };
  } finally {
    await connection.close();
  }
}

/** 150 different first pages (limits 1–50, alone, in one region, in one phase): none is asked twice within a snapshot's second at 50/s. */
function distinctQuestions(): string[] {
  return Array.from({ length: 50 }, (_, k) => [`?limit=${k + 1}`, `?limit=${k + 1}&region=us-east-1`, `?limit=${k + 1}&phase=Failed`]).flat().map((q) => `/v1/clusters${q}`);
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const ports = await stackPorts();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-bench-api-'));
  const stack = await launchStack(stackEnv(ports, dataDir), ports);
  try {
    const api = `http://127.0.0.1:${ports.api}`;
    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const account = await json(`${api}/v1/cloud-accounts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'bench', accessKeyId: 'AKIABENCHAPIREADS001', secretAccessKey: 'benchApiReadsSecretKeyThatIsLongEnough' }),
    });
    const names = Array.from({ length: o.clusters }, (_, i) => `bench-${String(i).padStart(4, '0')}`);
    const setupStarted = Date.now();
    await inBatches(names, 8, async (name) => {
      await json(`${api}/v1/clusters?keepOnFailure=true`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name,
          profile: { id: 'aws-default' },
          cloud: { accountId: account.id, region: i(name) % 2 === 0 ? 'us-east-1' : 'us-west-2', sshKeyName: 'bench-no-such-key', placement: { type: 'dynamic', vpcCidr: '10.0.0.0/16' } },
          pools: [
            { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: [i(name) % 2 === 0 ? 'us-east-1a' : 'us-west-2a'] },
            { name: 'workers', role: 'worker', size: 3, instanceType: 'm5.large', azs: [i(name) % 2 === 0 ? 'us-east-1a' : 'us-west-2a'] },
          ],
        }),
      });
    });
    const accepted = Date.now() - setupStarted;
    // Settled: every cluster listed as Failed, so no workflow runs while we measure.
    let listed = await listAll(api, headers);
    for (let round = 0; listed.filter((c) => c.phase === 'Failed').length < o.clusters; round++) {
      if (round > 6000) throw new Error(`only ${listed.filter((c) => c.phase === 'Failed').length} of ${o.clusters} clusters settled after 10 minutes`);
      await new Promise((r) => setTimeout(r, 100));
      listed = await listAll(api, headers);
    }
    const settled = Date.now() - setupStarted;

    const runs = [
      // The floor: the same HTTP stack and bearer guard, no Temporal (a loaded machine shows here first).
      await measure(api, token, 'GET /healthz (baseline)', ['/healthz'], o),
      await measure(api, token, 'GET /v1/clusters (default page: 50)', ['/v1/clusters'], o),
      await measure(api, token, `GET /v1/clusters?limit=200 (up to 200)`, ['/v1/clusters?limit=200'], o),
      await measure(api, token, 'GET /v1/clusters (150 distinct questions)', distinctQuestions(), o),
      await measure(api, token, 'GET /v1/clusters/:name', names.map((n) => `/v1/clusters/${n}`), o),
      await measureVisibility(`127.0.0.1:${ports.temporal}`, o),
    ];
    const [health, list, whole, distinct, get, visibility] = runs;
    const ratio = (r: Measured) => `${(r.p50 / Math.max(1, health.p50)).toFixed(1)}× / ${(r.p99 / Math.max(1, health.p99)).toFixed(1)}×`;
    const pad = (s: string | number, w: number) => String(s).padStart(w);
    const lines = [
      `API read benchmark: ${o.clusters} clusters (real entities; each create fails at preflight and is kept: phase Failed), ` +
        `${o.rate} requests/s per route for ${o.seconds} s over ${o.connections} connections (autocannon overallRate), one route after the other`,
      `setup: ${o.clusters} creates accepted in ${(accepted / 1000).toFixed(1)} s, all listed as Failed after ${(settled / 1000).toFixed(1)} s`,
      '',
      'derivation: each route gets rate × seconds requests at a fixed rate (autocannon corrects for coordinated omission);',
      'latency is from request sent to response read, in ms, from its HdrHistogram; non-2xx and errors are counted apart.',
      'the raw ListWorkflowExecutions row is timed here, one call after the other (closed loop, not at the fixed rate: its req/s is the most visibility answers), no HTTP, no API.',
      `machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (1, 5, 15 min) when measuring ended`,
      '',
      `${'route'.padEnd(44)} ${pad('requests', 8)} ${pad('req/s', 6)} ${pad('non2xx', 6)} ${pad('errors', 6)} ${pad('p50', 5)} ${pad('p90', 5)} ${pad('p99', 5)} ${pad('max', 5)}`,
      ...runs.map((r) => `${r.route.padEnd(44)} ${pad(r.requests, 8)} ${pad(r.rate.toFixed(1), 6)} ${pad(r.non2xx, 6)} ${pad(r.errors, 6)} ${pad(r.p50, 5)} ${pad(r.p90, 5)} ${pad(r.p99, 5)} ${pad(r.max, 5)}`),
      '',
      `target: p99 of the list < 100 ms at ${o.rate} requests/s: default page ${list.p99} ms, up to 200 ${whole.p99} ms, distinct questions ${distinct.p99} ms`,
      `side by side, p50 / p99 ÷ /healthz's (the machine's share of it): default page ${ratio(list)}, up to 200 ${ratio(whole)}, distinct questions ${ratio(distinct)}, get ${ratio(get)}, raw visibility ${ratio(visibility)}`,
      `a visibility read per list instead of the snapshot: each costs the raw call's p50 ${visibility.p50} ms / p99 ${visibility.p99} ms ` +
        `(÷ the default page's: ${(visibility.p50 / Math.max(1, list.p50)).toFixed(1)}× / ${(visibility.p99 / Math.max(1, list.p99)).toFixed(1)}×), and visibility answers ${visibility.rate.toFixed(1)} of them a second ` +
        `(${visibility.rate < o.rate ? `under the ${o.rate}/s asked: they would queue without bound` : `at least the ${o.rate}/s asked`})`,
      `for comparison, a list that asks every entity in turn (as before) would take about clusters × get p50 = ${o.clusters} × ${get.p50} ms ≈ ${((o.clusters * get.p50) / 1000).toFixed(1)} s per request`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stack.interrupt();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A bench cluster's number. */
function i(name: string): number {
  return Number(name.slice('bench-'.length));
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.message}\n`);
  process.exit(1);
});
