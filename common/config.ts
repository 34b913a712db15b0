import * as path from 'node:path';
import * as os from 'node:os';

/**
 * Every setting of docs/api.md#settings, read from the environment with the contract's defaults.
 * Read it once per process (`loadConfig()`), never from workflow code.
 */

/** Seconds between a spot watcher's ticks. */
export const DEFAULT_SPOT_INTERVAL_S = 120;

export interface ClusterflowConfig {
  apiPort: number;
  /** The API's bind address: 127.0.0.1 unless told (0.0.0.0 in the container). */
  apiHost: string;
  apiToken?: string;
  /** Where the worker serves its Prometheus metrics (the Temporal SDK's and its own). */
  workerMetricsHost: string;
  workerMetricsPort: number;
  secretKey?: string;
  /** Current key of the Temporal payload codec (base64, 32 bytes); generated into the data dir when unset. */
  payloadKey?: string;
  /** Earlier payload keys, kept only to decrypt histories they sealed (rotation). */
  payloadKeysOld: string[];
  dataDir: string;
  /**
   * The store's PostgreSQL (`postgres://user:password@host:port/db`), shared by every API and
   * worker process; unset, the store is SQLite in the data dir (one API process only).
   */
  storeUrl?: string;
  /** The store's PostgreSQL password, when kept out of the URL (no percent-encoding needed). */
  storePassword?: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  temporalUiPort: number;
  /** The dev server's HTTP API and metrics ports; unset, the CLI picks free ones. */
  temporalHttpPort?: number;
  temporalMetricsPort?: number;
  /** Browser origins of the Temporal Web UI, allowed to call the API's codec endpoint. */
  temporalUiOrigins: string[];
  awsEndpointUrl?: string;
  simPort: number;
  motoPort: number;
  reconcileIntervalS: number;
  spotIntervalS: number;
  /**
   * Workflows a worker keeps in memory (the SDK's sticky cache); the others are replayed from
   * their history when their next task comes (docs/architecture.md#spot-watcher).
   */
  maxCachedWorkflows?: number;
  /** How many operations each cluster's entity keeps in its log; older ones are read from Temporal's visibility. */
  operationLogLimit: number;
  /** How often an activity asks AWS again while it waits for a state (ms). */
  awsPollMs: number;
  /** How long one such wait may last in all, counted from the activity's first attempt (s). */
  waitDeadlineS: number;
  /** How long AWS takes for each transition a wait waits for: its reads are aimed at the moment it should be done (activities/polling.ts). */
  expectedReadyMs: ExpectedReadyMs;
  /** Our share (0 < share ≤ 1) of each of EC2's request buckets per account and region; the rest is left to the account's other tools. */
  awsRateShare: number;
  cacheDir: string;
  /** A workflow bundle built beforehand (`bundleWorkflowCode`): the worker loads it instead of bundling the sources at start. */
  workflowBundlePath?: string;
}

function optionalIntFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  return env[name] ? intFrom(env, name, 0) || undefined : undefined;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

/**
 * A positive number, else the default: these two were always read leniently (a value that
 * is not a positive number means the default), and a worker that refused to start over one
 * would be a change of behaviour.
 */
function positiveOr(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export const DEFAULT_AWS_POLL_MS = 1000;
/** Leaves 15 % of each EC2 bucket to the account's other tools (consoles, CI, other automation). */
export const DEFAULT_AWS_RATE_SHARE = 0.85;
/** Prometheus's customary exporter port. */
export const DEFAULT_WORKER_METRICS_PORT = 9464;
/** AWS's slowest transitions here (status checks, NAT gateways) take minutes, not a quarter hour. */
export const DEFAULT_WAIT_DEADLINE_S = 15 * 60;

/**
 * How long AWS takes for the transitions the waits wait for, counted from AWS's own
 * timestamp of the resource's start (an instance's LaunchTime, a NAT gateway's CreateTime);
 * named as the simulator names its delays. A wait reads more sparsely before that moment and
 * often right after it, instead of at one fixed period. The defaults are the short end of
 * AWS's usual times: too short costs a few reads, too long costs time.
 */
export interface ExpectedReadyMs {
  /** `pending` → `running`. */
  instancePending: number;
  /** `running` → both status checks `ok`. */
  instanceStatusChecks: number;
  /** `pending` → `available`. */
  natGatewayPending: number;
}

export const DEFAULT_EXPECTED_READY_MS: ExpectedReadyMs = { instancePending: 10_000, instanceStatusChecks: 60_000, natGatewayPending: 45_000 };

/** CLUSTERFLOW_AWS_EXPECTED_READY_MS: a JSON object overriding some of the defaults, e.g. '{"natGatewayPending":9000}'. */
export function expectedReadyMsFrom(env: NodeJS.ProcessEnv): ExpectedReadyMs {
  const name = 'CLUSTERFLOW_AWS_EXPECTED_READY_MS';
  const raw = env[name];
  if (raw === undefined || raw === '') return { ...DEFAULT_EXPECTED_READY_MS };
  let given: unknown;
  try {
    given = JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be a JSON object of milliseconds, e.g. '{"natGatewayPending":9000}', got "${raw}"`);
  }
  if (!given || typeof given !== 'object' || Array.isArray(given)) throw new Error(`${name} must be a JSON object of milliseconds, got "${raw}"`);
  const out = { ...DEFAULT_EXPECTED_READY_MS };
  for (const [key, value] of Object.entries(given)) {
    if (!(key in out)) throw new Error(`${name} names ${key}; it takes ${Object.keys(out).join(', ')}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${name}: ${key} must be a number of milliseconds, 0 or more, got ${JSON.stringify(value)}`);
    out[key as keyof ExpectedReadyMs] = value;
  }
  return out;
}

/** CLUSTERFLOW_AWS_POLL_MS as loadConfig reads it. */
export function awsPollMsFrom(env: NodeJS.ProcessEnv): number {
  return positiveOr(env, 'CLUSTERFLOW_AWS_POLL_MS', DEFAULT_AWS_POLL_MS);
}

function portOf(url: string, fallback: number): number {
  try {
    const port = new URL(url).port;
    return port ? Number(port) : fallback;
  } catch {
    return fallback;
  }
}

/** A comma- or space-separated list, empty entries dropped. */
function listFrom(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '').split(/[\s,]+/).filter(Boolean);
}

function originsFrom(env: NodeJS.ProcessEnv, name: string, fallback: string[]): string[] {
  const listed = listFrom(env, name);
  for (const origin of listed) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      throw new Error(`${name} must list origins such as http://127.0.0.1:8233 (scheme, host and port, no path or trailing slash), got "${origin}"`);
    }
  }
  return listed.length > 0 ? listed : fallback;
}

/** A fraction in (0, 1]; anything else is refused at start, naming the variable. */
function shareFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw new Error(`${name} must be a fraction above 0 and at most 1 (e.g. 0.85), got "${raw}"`);
  return value;
}

export const DEFAULT_AWS_ENDPOINT = 'http://127.0.0.1:4566';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ClusterflowConfig {
  const temporalAddress = env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const temporalPort = Number(temporalAddress.split(':').pop()) || 7233;
  const awsEndpointUrl = env.AWS_ENDPOINT_URL || undefined;
  const temporalUiPort = intFrom(env, 'CLUSTERFLOW_TEMPORAL_UI_PORT', temporalPort + 1000);
  return {
    apiPort: intFrom(env, 'CLUSTERFLOW_API_PORT', 8080),
    apiHost: env.CLUSTERFLOW_API_HOST || '127.0.0.1',
    apiToken: env.CLUSTERFLOW_API_TOKEN || undefined,
    workerMetricsHost: env.CLUSTERFLOW_WORKER_METRICS_HOST || '127.0.0.1',
    workerMetricsPort: intFrom(env, 'CLUSTERFLOW_WORKER_METRICS_PORT', DEFAULT_WORKER_METRICS_PORT),
    secretKey: env.CLUSTERFLOW_SECRET_KEY || undefined,
    payloadKey: env.CLUSTERFLOW_PAYLOAD_KEY || undefined,
    payloadKeysOld: listFrom(env, 'CLUSTERFLOW_PAYLOAD_KEYS_OLD'),
    dataDir: path.resolve(env.CLUSTERFLOW_DATA_DIR || '.data'),
    storeUrl: env.CLUSTERFLOW_STORE_URL || undefined,
    storePassword: env.CLUSTERFLOW_STORE_PASSWORD || undefined,
    temporalAddress,
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.CLUSTERFLOW_TASK_QUEUE || 'clusterflow',
    temporalUiPort,
    temporalHttpPort: optionalIntFrom(env, 'CLUSTERFLOW_TEMPORAL_HTTP_PORT'),
    temporalMetricsPort: optionalIntFrom(env, 'CLUSTERFLOW_TEMPORAL_METRICS_PORT'),
    // The Web UI as the browser reaches it: the launcher prints 127.0.0.1, and localhost is the same UI.
    temporalUiOrigins: originsFrom(env, 'CLUSTERFLOW_TEMPORAL_UI_ORIGINS', [`http://127.0.0.1:${temporalUiPort}`, `http://localhost:${temporalUiPort}`]),
    awsEndpointUrl,
    simPort: portOf(awsEndpointUrl ?? DEFAULT_AWS_ENDPOINT, 4566),
    motoPort: intFrom(env, 'CLUSTERFLOW_MOTO_PORT', 4567),
    reconcileIntervalS: intFrom(env, 'CLUSTERFLOW_RECONCILE_INTERVAL_S', 300),
    spotIntervalS: intFrom(env, 'CLUSTERFLOW_SPOT_INTERVAL_S', DEFAULT_SPOT_INTERVAL_S),
    maxCachedWorkflows: env.CLUSTERFLOW_MAX_CACHED_WORKFLOWS ? intFrom(env, 'CLUSTERFLOW_MAX_CACHED_WORKFLOWS', 1) : undefined,
    operationLogLimit: intFrom(env, 'CLUSTERFLOW_OPERATION_LOG_LIMIT', 100),
    awsPollMs: awsPollMsFrom(env),
    waitDeadlineS: positiveOr(env, 'CLUSTERFLOW_WAIT_DEADLINE_S', DEFAULT_WAIT_DEADLINE_S),
    expectedReadyMs: expectedReadyMsFrom(env),
    awsRateShare: shareFrom(env, 'CLUSTERFLOW_AWS_RATE_SHARE', DEFAULT_AWS_RATE_SHARE),
    cacheDir: path.resolve(env.CLUSTERFLOW_CACHE_DIR || path.join(os.homedir(), '.cache', 'clusterflow')),
    workflowBundlePath: env.CLUSTERFLOW_WORKFLOW_BUNDLE ? path.resolve(env.CLUSTERFLOW_WORKFLOW_BUNDLE) : undefined,
  };
}
