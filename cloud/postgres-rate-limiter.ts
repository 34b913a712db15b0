import { Pool } from 'pg';
import { BucketDraw, reserveTokens, SharedRateLimiter } from './rate-limiter';

/**
 * The shared token buckets in the PostgreSQL store (table `rate_buckets`, made by the store's
 * migration 0003), for the production topology, whose workers run on several machines and
 * share no file. One transaction per reservation locks the call's bucket rows (in key order, so
 * two calls drawing from the same buckets queue rather than deadlock) before reading them, so
 * two workers never both spend the same token. Time is the database's clock, not the worker's:
 * workers on different machines disagree by their clock skew, the database does not.
 */
export class PostgresRateLimiter implements SharedRateLimiter {
  private constructor(private readonly pool: Pool) {}

  /** A small pool of its own: a reservation holds a connection for a few round trips. */
  static open(url: string): PostgresRateLimiter {
    return new PostgresRateLimiter(new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000 }));
  }

  async reserve(draws: BucketDraw[], maxWaitMs: number, nowMs?: number): Promise<number | undefined> {
    if (draws.length === 0) return 0;
    const keys = [...new Set(draws.map((draw) => draw.key))].sort();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // A bucket's row exists before it is locked: two first calls then queue on the row
      // instead of both reading none (a full bucket each). A new row is full: tokens at capacity.
      const capacities = keys.map((key) => draws.find((draw) => draw.key === key)!.capacity);
      await client.query('INSERT INTO rate_buckets (key, tokens, at_ms) SELECT k, t, 0 FROM unnest($1::text[], $2::float8[]) AS n(k, t) ON CONFLICT (key) DO NOTHING', [keys, capacities]);
      const locked = await client.query<{ key: string; tokens: number; at_ms: number }>('SELECT key, tokens, at_ms FROM rate_buckets WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE', [keys]);
      const now = nowMs ?? Number((await client.query<{ now: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now')).rows[0].now);
      const byKey = new Map(locked.rows.map((row) => [row.key, { tokens: Number(row.tokens), atMs: Number(row.at_ms) }]));
      const reserved = reserveTokens(draws, draws.map((draw) => byKey.get(draw.key)), now, maxWaitMs);
      if (!reserved) {
        await client.query('ROLLBACK');
        return undefined;
      }
      await client.query(
        'UPDATE rate_buckets b SET tokens = n.tokens, at_ms = n.at_ms FROM unnest($1::text[], $2::float8[], $3::float8[]) AS n(key, tokens, at_ms) WHERE b.key = n.key',
        [draws.map((draw) => draw.key), reserved.states.map((state) => state.tokens), reserved.states.map((state) => state.atMs)],
      );
      await client.query('COMMIT');
      return reserved.waitMs;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
