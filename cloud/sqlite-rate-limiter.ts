import Database from 'better-sqlite3';
import * as path from 'node:path';
import { keepPrivate } from '../common/data-dir';
import { sqliteOptions } from '../common/sqlite-addon';
import { BucketDraw, BucketState, reserveTokens, SharedRateLimiter } from './rate-limiter';

/** The limiter's own file beside the store: every worker of `npm start` (and of compose) shares the data dir. */
export const RATE_LIMITS_FILE = 'rate-limits.sqlite';

/**
 * The shared token buckets in SQLite: one row per (account, region, bucket), and one
 * IMMEDIATE transaction per reservation, so two processes never both spend the same token
 * (the write lock is taken before the row is read). WAL keeps readers and the one writer apart;
 * a transaction lasts microseconds, and a busy one is waited for, not failed.
 */
export class SqliteRateLimiter implements SharedRateLimiter {
  private readonly db: Database.Database;
  private readonly take: (draws: BucketDraw[], maxWaitMs: number, nowMs: number) => number | undefined;

  constructor(dataDir: string) {
    const file = path.join(dataDir, RATE_LIMITS_FILE);
    this.db = new Database(file, sqliteOptions());
    keepPrivate(file, 0o600, () => undefined);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    // Losing the last moment's tokens to a power cut costs nothing: buckets refill anyway.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS rate_buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, at_ms REAL NOT NULL) WITHOUT ROWID');
    const read = this.db.prepare<[string], { tokens: number; at_ms: number }>('SELECT tokens, at_ms FROM rate_buckets WHERE key = ?');
    const write = this.db.prepare('INSERT INTO rate_buckets (key, tokens, at_ms) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET tokens = excluded.tokens, at_ms = excluded.at_ms');
    const transaction = this.db.transaction((draws: BucketDraw[], maxWaitMs: number, nowMs: number) => {
      const states = draws.map((draw): BucketState | undefined => {
        const row = read.get(draw.key);
        return row && { tokens: row.tokens, atMs: row.at_ms };
      });
      const reserved = reserveTokens(draws, states, nowMs, maxWaitMs);
      if (!reserved) return undefined;
      reserved.states.forEach((state, i) => write.run(draws[i].key, state.tokens, state.atMs));
      return reserved.waitMs;
    });
    this.take = (draws, maxWaitMs, nowMs) => transaction.immediate(draws, maxWaitMs, nowMs);
  }

  async reserve(draws: BucketDraw[], maxWaitMs: number, nowMs = Date.now()): Promise<number | undefined> {
    return this.take(draws, maxWaitMs, nowMs);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
