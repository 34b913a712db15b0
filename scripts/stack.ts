/**
 * `npm start`: the whole stack on embedded defaults, on 127.0.0.1 only — the Temporal dev
 * server (persistent SQLite in the data dir, Web UI, search attributes), moto, the
 * simulator, the worker and the API. Streams every component's log with a prefix and stops
 * every child on Ctrl-C. `--only moto,sim` starts a subset (`npm run sim`).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Connection } from '@temporalio/client';
import { ClusterflowConfig, DEFAULT_AWS_ENDPOINT, loadConfig } from '../common/config';
import { apiTokenRefusal, ensureDataDir, resolveApiToken } from '../common/data-dir';
import { repoRoot } from '../common/paths';
import { isPortTaken, waitFor } from '../common/ports';
import { devServerSearchAttributeArgs } from '../common/search-attributes';
import { ensureMoto, ensureTemporalCli, MissingPrerequisite } from './tools';
import { configFromEnv, delayOf } from '../sim/config';

type ComponentName = 'temporal' | 'moto' | 'sim' | 'worker' | 'api';
const ALL: ComponentName[] = ['temporal', 'moto', 'sim', 'worker', 'api'];

interface Component {
  name: ComponentName;
  /** The log prefix when several components share a name (`worker2`). */
  label?: string;
  /** Started again when it dies, instead of stopping the stack (one worker of several: the others carry on meanwhile). */
  restarts?: boolean;
  ports: Array<{ port: number; what: string; variable: string }>;
  command: () => { file: string; args: string[]; env?: NodeJS.ProcessEnv };
  ready: () => Promise<boolean>;
  /** Waits for a line on the component's output instead of polling, when set. */
  readyLine?: RegExp;
  timeoutMs: number;
}

const COLORS: Record<ComponentName, string> = { temporal: '35', moto: '33', sim: '36', worker: '32', api: '34' };

function out(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** Where the Web UI, in the browser, sends payloads to be decrypted: the API's codec endpoint. */
function codecEndpoint(config: ClusterflowConfig): string {
  return `http://127.0.0.1:${config.apiPort}/codec`;
}

/**
 * One component per worker process: each polls the same task queue, so Temporal spreads the
 * workflow and activity tasks over them, and a dead one's activities are retried elsewhere once
 * their heartbeat times out. Worker i serves its metrics on the metrics port + i.
 */
function workerComponents(config: ClusterflowConfig, root: string, workers: number): Component[] {
  return Array.from({ length: workers }, (_, i) => {
    const port = config.workerMetricsPort + i;
    return {
      name: 'worker' as const,
      label: workers > 1 ? `worker${i + 1}` : undefined,
      restarts: workers > 1,
      ports: [{ port, what: `worker ${i + 1}'s metrics`, variable: 'CLUSTERFLOW_WORKER_METRICS_PORT' }],
      command: () => ({ file: process.execPath, args: [path.join(root, 'dist/worker/main.js')], env: { CLUSTERFLOW_WORKER_METRICS_PORT: String(port) } }),
      ready: async () => false,
      readyLine: /worker state RUNNING/,
      timeoutMs: 60000,
    };
  });
}

function components(config: ClusterflowConfig, root: string, only: ComponentName[], workers: number): Component[] {
  const temporalPort = Number(config.temporalAddress.split(':').pop());
  const node = process.execPath;
  const simUrl = `http://127.0.0.1:${config.simPort}`;
  return [
    {
      name: 'temporal',
      ports: [
        { port: temporalPort, what: 'Temporal frontend', variable: 'TEMPORAL_ADDRESS' },
        { port: config.temporalUiPort, what: 'Temporal Web UI', variable: 'CLUSTERFLOW_TEMPORAL_UI_PORT' },
      ],
      command: () => ({
        file: ensureTemporalCli(config.cacheDir),
        args: [
          'server', 'start-dev',
          '--ip', '127.0.0.1',
          '--port', String(temporalPort),
          '--ui-port', String(config.temporalUiPort),
          '--db-filename', path.join(config.dataDir, 'temporal.db'),
          // `default` always exists; another namespace is created at start.
          ...(config.temporalNamespace === 'default' ? [] : ['--namespace', config.temporalNamespace]),
          '--log-level', 'warn',
          // Left to the CLI, these two are random free ports, free when picked and bound a
          // moment later: a test stack's simulator could take one first. Tests set both.
          ...(config.temporalHttpPort ? ['--http-port', String(config.temporalHttpPort)] : []),
          ...(config.temporalMetricsPort ? ['--metrics-port', String(config.temporalMetricsPort)] : []),
          ...devServerSearchAttributeArgs(),
          // Payloads are encrypted (common/payload-codec.ts); the UI shows them decrypted via the API.
          ...(only.includes('api') ? ['--ui-codec-endpoint', codecEndpoint(config)] : []),
        ],
      }),
      ready: async () => {
        const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: config.temporalNamespace });
          return (await fetch(`http://127.0.0.1:${config.temporalUiPort}/`)).ok;
        } finally {
          await connection.close();
        }
      },
      timeoutMs: 60000,
    },
    {
      name: 'moto',
      ports: [{ port: config.motoPort, what: 'moto', variable: 'CLUSTERFLOW_MOTO_PORT' }],
      command: () => {
        const moto = ensureMoto(config.cacheDir);
        return { file: moto.server, args: ['-H', '127.0.0.1', '-p', String(config.motoPort)], env: { MOTO_AMIS_PATH: moto.env.MOTO_AMIS_PATH } };
      },
      ready: async () => (await fetch(`http://127.0.0.1:${config.motoPort}/moto-api/`)).ok,
      timeoutMs: 60000,
    },
    {
      name: 'sim',
      ports: [{ port: config.simPort, what: 'the AWS simulator', variable: 'AWS_ENDPOINT_URL' }],
      command: () => ({ file: node, args: [path.join(root, 'dist/sim/main.js')] }),
      ready: async () => (await fetch(`${simUrl}/_sim/healthz`)).ok,
      timeoutMs: 30000,
    },
    ...workerComponents(config, root, workers),
    {
      name: 'api',
      ports: [{ port: config.apiPort, what: 'the API', variable: 'CLUSTERFLOW_API_PORT' }],
      command: () => ({ file: node, args: [path.join(root, 'dist/api/main.js')] }),
      ready: async () => (await fetch(`http://127.0.0.1:${config.apiPort}/readyz`)).ok,
      timeoutMs: 60000,
    },
  ];
}

class Stack {
  private readonly children: Array<{ name: string; child: ChildProcess }> = [];
  private stopping = false;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async start(component: Component): Promise<void> {
    const { file, args, env } = component.command();
    const child = spawn(file, args, { env: { ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const label = component.label ?? component.name;
    this.children.push({ name: label, child });
    const prefix = process.stdout.isTTY ? `\x1b[${COLORS[component.name]}m${label.padEnd(8)}|\x1b[0m ` : `${label.padEnd(8)}| `;
    let sawReadyLine = false;
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream! }).on('line', (line) => {
        out(prefix + line);
        if (component.readyLine?.test(line)) sawReadyLine = true;
      });
    }
    let ready = false;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => {
        if (!this.stopping && ready && component.restarts) {
          out(`stack   | ${label} exited (${signal ?? `code ${code}`}); starting it again`);
          this.children.splice(this.children.findIndex((c) => c.child === child), 1);
          this.start(component).then(
            () => out(`stack   | ${label} is ready again`),
            (error: Error) => out(`stack   | ${label} could not start again: ${error.message}`),
          );
        } else if (!this.stopping) {
          out(`stack   | ${label} exited (${signal ?? `code ${code}`}); stopping the stack`);
          void this.stop(1);
        }
        reject(new Error(`${label} exited before it was ready`));
      }),
    );
    exited.catch(() => undefined);
    const probe = component.readyLine ? async () => sawReadyLine : component.ready;
    await Promise.race([waitFor(label, probe, component.timeoutMs, 250), exited]);
    ready = true;
  }

  /** Stops children in reverse start order: the API and worker first, Temporal last. */
  async stop(code: number): Promise<never> {
    if (this.stopping) return new Promise<never>(() => undefined);
    this.stopping = true;
    out('stack   | stopping…');
    for (const { name, child } of [...this.children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 15000);
      await gone;
      clearTimeout(timer);
      out(`stack   | ${name} stopped`);
    }
    process.exit(code);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

const MAX_WORKERS = 16;

/** `--workers N`: how many worker processes (1 unless told). */
function parseWorkers(argv: string[]): number {
  const index = argv.indexOf('--workers');
  if (index < 0) return 1;
  const given = argv[index + 1] ?? '';
  const workers = /^\d+$/.test(given) ? Number(given) : NaN;
  if (!(workers >= 1 && workers <= MAX_WORKERS)) throw new MissingPrerequisite(`--workers takes a whole number from 1 to ${MAX_WORKERS}; got "${given}"`);
  return workers;
}

function parseOnly(argv: string[]): ComponentName[] {
  const index = argv.indexOf('--only');
  if (index < 0) return ALL;
  const names = (argv[index + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !ALL.includes(n as ComponentName));
  if (unknown.length > 0 || names.length === 0) {
    throw new MissingPrerequisite(`--only takes a comma-separated list of ${ALL.join(', ')}; got "${argv[index + 1] ?? ''}"`);
  }
  return ALL.filter((n) => names.includes(n));
}

/**
 * The stack's AWS is its simulator: the waits expect the simulator's delays (its startup
 * config, delayScale applied), as they would AWS's own times. An operator's
 * CLUSTERFLOW_AWS_EXPECTED_READY_MS wins; a config the simulator refuses is its to report.
 */
function expectTheSimulator(env: NodeJS.ProcessEnv): void {
  if (env.CLUSTERFLOW_AWS_EXPECTED_READY_MS) return;
  try {
    const sim = configFromEnv(env);
    const expected = { instancePending: delayOf(sim, 'instancePending'), instanceStatusChecks: delayOf(sim, 'instanceStatusChecks'), natGatewayPending: delayOf(sim, 'natGatewayPending') };
    env.CLUSTERFLOW_AWS_EXPECTED_READY_MS = JSON.stringify(expected);
  } catch {
    // The simulator fails to start with the reason.
  }
}

async function main(): Promise<void> {
  const root = repoRoot();
  // The stack's AWS is the simulator unless the operator points elsewhere.
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL || DEFAULT_AWS_ENDPOINT };
  const config = loadConfig(env);
  env.CLUSTERFLOW_DATA_DIR = config.dataDir;
  const only = parseOnly(process.argv.slice(2));
  const workers = parseWorkers(process.argv.slice(2));
  if (only.includes('sim')) expectTheSimulator(env);
  const chosen = components(config, root, only, workers).filter((c) => only.includes(c.name));

  for (const { port, what, variable } of chosen.flatMap((c) => c.ports)) {
    if (await isPortTaken(port)) {
      throw new MissingPrerequisite(`Port ${port} on 127.0.0.1, wanted for ${what}, is already in use: stop whatever holds it, or choose another port with ${variable}.`);
    }
  }
  ensureDataDir(config, (message) => out(`stack   | warning: ${message}`));
  // A token the API would refuse stops us here, before anything is started.
  const tokenRefusal = only.includes('api') ? apiTokenRefusal(config) : undefined;
  if (tokenRefusal) throw new MissingPrerequisite(tokenRefusal);
  // Bootstrap before starting anything, so a missing tool stops us with nothing to clean up.
  if (only.includes('temporal')) ensureTemporalCli(config.cacheDir);
  if (only.includes('moto')) ensureMoto(config.cacheDir);

  const stack = new Stack(env);
  process.on('SIGINT', () => void stack.stop(0));
  process.on('SIGTERM', () => void stack.stop(0));
  try {
    for (const component of chosen) {
      out(`stack   | starting ${component.label ?? component.name}`);
      await stack.start(component);
      out(`stack   | ${component.label ?? component.name} is ready`);
    }
  } catch (error) {
    out(`stack   | ${(error as Error).message}`);
    return stack.stop(1);
  }

  const lines = ['', 'Clusterflow is up (Ctrl-C stops everything):'];
  if (only.includes('api')) {
    lines.push(`  API              http://127.0.0.1:${config.apiPort}   (OpenAPI: http://127.0.0.1:${config.apiPort}/docs)`);
    // A token the operator chose is theirs to know; printing it would put it in every log.
    lines.push(`  API token        ${config.apiToken ? '(from CLUSTERFLOW_API_TOKEN)' : resolveApiToken(config).token}`);
    lines.push(`  API metrics      http://127.0.0.1:${config.apiPort}/metrics   (Prometheus format, admin token)`);
    lines.push(`  console          http://127.0.0.1:${config.apiPort}/   (sign in with the API token)`);
  }
  if (only.includes('worker')) {
    for (let i = 0; i < workers; i++) {
      const name = workers > 1 ? `worker${i + 1} metrics` : 'worker metrics';
      lines.push(`  ${name.padEnd(15)}  http://${config.workerMetricsHost}:${config.workerMetricsPort + i}/metrics   (Prometheus format: Temporal SDK, AWS calls)`);
    }
  }
  if (only.includes('temporal')) {
    lines.push(`  Temporal         ${config.temporalAddress}   namespace ${config.temporalNamespace}, task queue ${config.taskQueue}`);
    lines.push(`  Temporal Web UI  http://127.0.0.1:${config.temporalUiPort}`);
    if (only.includes('api')) {
      lines.push(`  payloads         encrypted; to read them in the Web UI, sign in at ${codecEndpoint(config)}/sign-in`);
    }
  }
  if (only.includes('sim')) lines.push(`  AWS (simulator)  ${env.AWS_ENDPOINT_URL}   (control API under /_sim/)`);
  if (only.includes('moto')) lines.push(`  moto             http://127.0.0.1:${config.motoPort}`);
  lines.push(`  data dir         ${config.dataDir}`, '');
  out(lines.join('\n'));
  out('stack   | ready');
}

main().catch((error: Error) => {
  if (error instanceof MissingPrerequisite) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`stack failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
