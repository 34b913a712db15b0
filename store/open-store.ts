import { ClusterflowConfig } from '../common/config';
import { Warn } from '../common/data-dir';
import { PostgresStore } from './postgres-store';
import { SqliteStore } from './sqlite-store';
import { Store } from './store';

/** What CLUSTERFLOW_STORE_URL must look like; the URL itself is never repeated (it holds a password). */
export function storeUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'CLUSTERFLOW_STORE_URL must be a URL: postgres://user:password@host:port/database';
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    return `CLUSTERFLOW_STORE_URL must be a postgres:// URL, got a ${parsed.protocol} one`;
  }
  if (parsed.pathname.length <= 1) return 'CLUSTERFLOW_STORE_URL must name a database: postgres://user:password@host:port/database';
  return undefined;
}

/**
 * The store this process's settings choose, its schema brought up to date: PostgreSQL when
 * CLUSTERFLOW_STORE_URL is set (the production topology), else SQLite in the data dir.
 */
export async function openStore(config: Pick<ClusterflowConfig, 'storeUrl' | 'storePassword' | 'dataDir'>, warn?: Warn): Promise<Store> {
  if (!config.storeUrl) return SqliteStore.open(config.dataDir, warn);
  return PostgresStore.open(storeConnectionUrl({ ...config, storeUrl: config.storeUrl }));
}

/** The PostgreSQL store's URL with CLUSTERFLOW_STORE_PASSWORD put in, for whatever else keeps its state there. */
export function storeConnectionUrl(config: { storeUrl: string; storePassword?: string }): string {
  const problem = storeUrlProblem(config.storeUrl);
  if (problem) throw new Error(problem);
  const url = new URL(config.storeUrl);
  // The URL setter percent-encodes, so any password works as CLUSTERFLOW_STORE_PASSWORD.
  if (config.storePassword) url.password = config.storePassword;
  return url.toString();
}
