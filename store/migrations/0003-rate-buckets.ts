import { StoreMigration } from './migration';

/**
 * The EC2 request buckets every worker of a PostgreSQL deployment shares
 * (cloud/postgres-rate-limiter.ts). UNLOGGED: a crash that empties the table costs nothing, as
 * buckets refill anyway, and the hot path skips the write-ahead log. A SQLite deployment keeps
 * its buckets in a file of their own beside the store (cloud/sqlite-rate-limiter.ts), so there
 * this step has nothing to do.
 */
export const rateBuckets: StoreMigration = {
  name: '0003-rate-buckets',
  async up(db) {
    if (db.dialect !== 'postgres') return;
    await db.exec('CREATE UNLOGGED TABLE IF NOT EXISTS rate_buckets (key TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, at_ms DOUBLE PRECISION NOT NULL)');
  },
};
