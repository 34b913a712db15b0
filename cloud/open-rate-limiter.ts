import type { ClusterflowConfig } from '../common/config';
import { storeConnectionUrl } from '../store/open-store';
import { PostgresRateLimiter } from './postgres-rate-limiter';
import type { SharedRateLimiter } from './rate-limiter';
import { SqliteRateLimiter } from './sqlite-rate-limiter';

/**
 * The EC2 request buckets kept where every worker of the deployment reaches them: beside the
 * store, as the store is. With CLUSTERFLOW_STORE_URL (the production topology: workers on
 * several machines) they are a table of the PostgreSQL store; else a SQLite file in the data
 * dir, which every worker of `npm start --workers N` shares.
 */
export function openRateLimiter(config: Pick<ClusterflowConfig, 'storeUrl' | 'storePassword' | 'dataDir'>): SharedRateLimiter {
  if (config.storeUrl) return PostgresRateLimiter.open(storeConnectionUrl({ storeUrl: config.storeUrl, storePassword: config.storePassword }));
  return new SqliteRateLimiter(config.dataDir);
}
