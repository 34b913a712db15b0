import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../common/ports';
import { repoRoot } from '../../common/paths';
import { composeServices, ensureTemporalServer, selfRenderingConfig, TemporalServerInstall } from '../../scripts/temporal-server';
import { ensureTemporalCli } from '../../scripts/tools';
import { RunningPostgres } from './postgres';

/**
 * The settings of compose's Temporal services that say where things are (hosts, ports, the
 * credentials, the dynamic config file's path inside the container): the topology suite puts
 * its own there. Every other setting those services have is used exactly as compose writes it.
 */
export const LOCAL_SETTINGS: Record<string, readonly string[]> = {
  temporal: ['POSTGRES_SEEDS', 'DB_PORT', 'POSTGRES_USER', 'POSTGRES_PWD', 'BIND_ON_IP', 'DYNAMIC_CONFIG_FILE_PATH'],
  'temporal-schema': ['POSTGRES_SEEDS', 'DB_PORT', 'POSTGRES_USER', 'SQL_PASSWORD'],
  'temporal-setup': ['TEMPORAL_ADDRESS'],
  // Secrets, addresses and the data dir: each process of the suite gets its own or the suite's.
  worker: ['TEMPORAL_ADDRESS', 'CLUSTERFLOW_DATA_DIR', 'CLUSTERFLOW_STORE_URL', 'CLUSTERFLOW_STORE_PASSWORD', 'CLUSTERFLOW_SECRET_KEY', 'CLUSTERFLOW_PAYLOAD_KEY', 'AWS_ENDPOINT_URL', 'CLUSTERFLOW_WORKER_METRICS_HOST', 'CLUSTERFLOW_WORKER_METRICS_PORT'],
  api: ['TEMPORAL_ADDRESS', 'CLUSTERFLOW_DATA_DIR', 'CLUSTERFLOW_STORE_URL', 'CLUSTERFLOW_STORE_PASSWORD', 'CLUSTERFLOW_SECRET_KEY', 'CLUSTERFLOW_PAYLOAD_KEY', 'AWS_ENDPOINT_URL', 'CLUSTERFLOW_API_HOST', 'CLUSTERFLOW_API_PORT', 'CLUSTERFLOW_API_TOKEN'],
};

/** `${VAR:-default}` as compose reads it with VAR unset; anything else must be a plain value. */
function composeValue(service: string, key: string, value: unknown): string {
  const text = String(value);
  const withDefault = /^\$\{[A-Z0-9_]+:?-([^}]*)\}$/.exec(text);
  if (withDefault) return withDefault[1];
  if (text.includes('${')) throw new Error(`docker-compose.yml: ${service}.${key} is "${text}": give it a default, or list it in LOCAL_SETTINGS`);
  return text;
}

/** A compose service's environment, minus the local settings, as the service gets it. */
export function composeEnvironment(service: string): Record<string, string> {
  const environment = composeServices()[service]?.environment ?? {};
  const local = LOCAL_SETTINGS[service] ?? [];
  return Object.fromEntries(
    Object.entries(environment)
      .filter(([key]) => !local.includes(key))
      .map(([key, value]) => [key, composeValue(service, key, value)]),
  );
}

/** A path inside compose's temporal container, as the repository file its bind mount maps it from. */
export function hostPathOf(service: string, containerPath: string): string {
  for (const volume of composeServices()[service]?.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (source.startsWith('.') && (containerPath === target || containerPath.startsWith(`${target}/`))) {
      return path.join(repoRoot(), source, path.relative(target, containerPath));
    }
  }
  throw new Error(`docker-compose.yml: ${service} mounts nothing at ${containerPath}`);
}

export interface TemporalTopology {
  install: TemporalServerInstall;
  address: string;
  /** SIGKILLs the server process; `start` starts it again on the same ports and database. */
  kill(): Promise<void>;
  /** Whether the frontend answers its health check now. */
  serving(): boolean;
  start(): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

/** Runs a setup script to its end (the event loop free meanwhile); its output is in the error when it fails or outlasts `timeoutMs`. */
async function run(what: string, command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 5 * 60_000): Promise<void> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exit) => resolve(exit)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${what} failed (exit ${code ?? `killed after ${timeoutMs} ms`}):\n${output}`);
}

/**
 * Temporal as compose deploys it, on the suite's PostgreSQL: the schema set up by compose's
 * own script (deploy/temporal/setup-schema.sh, with the built temporal-sql-tool and the
 * module's schema), the server built at compose's release started with the image's config
 * template and compose's settings, and the namespace prepared by compose's own script
 * (deploy/temporal/setup-namespace.sh, with the pinned Temporal CLI).
 */
export async function startTemporalTopology(pg: RunningPostgres): Promise<TemporalTopology> {
  const install = ensureTemporalServer();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-temporal-'));
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(install.sqlTool, path.join(bin, 'temporal-sql-tool'));
  fs.symlinkSync(ensureTemporalCli(), path.join(bin, 'temporal'));
  const withTools = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };

  await run('deploy/temporal/setup-schema.sh', 'sh', [path.join(repoRoot(), 'deploy/temporal/setup-schema.sh')], {
    ...withTools,
    ...composeEnvironment('temporal-schema'),
    POSTGRES_SEEDS: pg.host,
    DB_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    SQL_PASSWORD: pg.password,
    TEMPORAL_SCHEMA_ROOT: install.postgresSchema,
  });

  const config = path.join(root, 'config');
  fs.mkdirSync(config);
  fs.writeFileSync(path.join(config, 'docker.yaml'), selfRenderingConfig(fs.readFileSync(install.configTemplate, 'utf8')));
  const composed = composeEnvironment('temporal');
  const ports: Record<string, string> = {};
  for (const name of ['FRONTEND_GRPC_PORT', 'FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT', 'MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT', 'INTERNAL_FRONTEND_GRPC_PORT', 'INTERNAL_FRONTEND_HTTP_PORT', 'INTERNAL_FRONTEND_MEMBERSHIP_PORT']) {
    let port: number;
    do port = await freePort();
    while (Object.values(ports).includes(String(port)));
    ports[name] = String(port);
  }
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...composed,
    ...ports,
    POSTGRES_SEEDS: pg.host,
    DB_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PWD: pg.password,
    BIND_ON_IP: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: hostPathOf('temporal', String(composeServices().temporal.environment?.DYNAMIC_CONFIG_FILE_PATH)),
  };
  const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const serving = () => {
    const health = spawnSync(path.join(bin, 'temporal'), ['operator', 'cluster', 'health', '--address', address, '--command-timeout', '5s'], { encoding: 'utf8', timeout: 10_000 });
    return health.status === 0 && /SERVING/.test(health.stdout);
  };
  const start = async () => {
    child = spawn(install.server, ['--root', root, '--config', 'config', '--env', 'docker', 'start'], { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const current = child;
    current.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    current.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (serving()) return;
      if (current.exitCode !== null || Date.now() > deadline) throw new Error(`the Temporal server did not serve at ${address}:\n${output.slice(-5000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await start();
    await run('deploy/temporal/setup-namespace.sh', 'sh', [path.join(repoRoot(), 'deploy/temporal/setup-namespace.sh')], {
    ...withTools,
    ...composeEnvironment('temporal-setup'),
      TEMPORAL_ADDRESS: address,
      SETUP_PAUSE_S: '1',
    });
  } catch (error) {
    // Nothing of a failed start is left running.
    await kill();
    fs.rmSync(root, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\nthe server's last lines:\n${output.slice(-3000)}`);
  }
  return {
    install,
    address,
    start,
    kill,
    serving,
    output: () => output,
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
