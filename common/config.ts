import * as path from 'node:path';
import * as os from 'node:os';

/**
 * Every setting of DESIGN.md §4, read from the environment with the contract's defaults.
 * Read it once per process (`loadConfig()`), never from workflow code.
 */
export interface ClusterflowConfig {
  apiPort: number;
  apiToken?: string;
  secretKey?: string;
  dataDir: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  temporalUiPort: number;
  awsEndpointUrl?: string;
  simPort: number;
  motoPort: number;
  reconcileIntervalS: number;
  spotIntervalS: number;
  cacheDir: string;
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

function portOf(url: string, fallback: number): number {
  try {
    const port = new URL(url).port;
    return port ? Number(port) : fallback;
  } catch {
    return fallback;
  }
}

export const DEFAULT_AWS_ENDPOINT = 'http://127.0.0.1:4566';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ClusterflowConfig {
  const temporalAddress = env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const temporalPort = Number(temporalAddress.split(':').pop()) || 7233;
  const awsEndpointUrl = env.AWS_ENDPOINT_URL || undefined;
  return {
    apiPort: intFrom(env, 'CLUSTERFLOW_API_PORT', 8080),
    apiToken: env.CLUSTERFLOW_API_TOKEN || undefined,
    secretKey: env.CLUSTERFLOW_SECRET_KEY || undefined,
    dataDir: path.resolve(env.CLUSTERFLOW_DATA_DIR || '.data'),
    temporalAddress,
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.CLUSTERFLOW_TASK_QUEUE || 'clusterflow',
    temporalUiPort: intFrom(env, 'CLUSTERFLOW_TEMPORAL_UI_PORT', temporalPort + 1000),
    awsEndpointUrl,
    simPort: portOf(awsEndpointUrl ?? DEFAULT_AWS_ENDPOINT, 4566),
    motoPort: intFrom(env, 'CLUSTERFLOW_MOTO_PORT', 4567),
    reconcileIntervalS: intFrom(env, 'CLUSTERFLOW_RECONCILE_INTERVAL_S', 300),
    spotIntervalS: intFrom(env, 'CLUSTERFLOW_SPOT_INTERVAL_S', 120),
    cacheDir: path.resolve(env.CLUSTERFLOW_CACHE_DIR || path.join(os.homedir(), '.cache', 'clusterflow')),
  };
}
