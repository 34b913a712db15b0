import Database from 'better-sqlite3';
import { sqliteOptions } from '../../common/sqlite-addon';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { PostgresStore } from '../../store/postgres-store';
import { SqliteStore } from '../../store/sqlite-store';
import { Store } from '../../store/store';
import { RunningPostgres, startPostgres } from '../support/postgres';

/**
 * The store's tables as the store made them before its schema was versioned (commit 5700445,
 * CREATE TABLE IF NOT EXISTS at every start): "the previous schema" a data dir or database
 * of that time holds. Kept here verbatim, apart from the migration that adopts it.
 */
export const PREVIOUS_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS cloud_accounts (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL,
    access_key_id TEXT NOT NULL, sealed_secret TEXT NOT NULL, aws_account_id TEXT,
    created_at TEXT NOT NULL, UNIQUE (project, name))`,
  `CREATE TABLE IF NOT EXISTS profiles (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
    packs TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (project, name))`,
  `CREATE TABLE IF NOT EXISTS cloud_account_usage (
    project TEXT NOT NULL, cluster TEXT NOT NULL, account_id TEXT NOT NULL,
    PRIMARY KEY (project, cluster))`,
  'CREATE TABLE IF NOT EXISTS projects (name TEXT PRIMARY KEY, created_at TEXT NOT NULL)',
  `CREATE TABLE IF NOT EXISTS project_tokens (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, role TEXT NOT NULL, description TEXT,
    token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)`,
  'CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY, checked_at TEXT NOT NULL)',
];

/** One of the store's backends, with a fresh empty database per `fresh()` and raw SQL on it. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A new, empty place for a store; `open` opens the store on it (again and again). */
  fresh(): Promise<Place>;
  stop(): Promise<void>;
}

export interface Place {
  open(): Promise<Store>;
  /** Runs statements (with `$1`-style parameters) on the place directly, bypassing the store. */
  sql<R = Record<string, unknown>>(statement: string, params?: unknown[]): Promise<R[]>;
  /** The names of the indexes on the place's tables. */
  indexes(): Promise<string[]>;
}

export function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    async fresh() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-store-'));
      dirs.push(dir);
      const file = path.join(dir, 'clusterflow.sqlite');
      const raw = async <R>(statement: string, params: unknown[] = []): Promise<R[]> => {
        const db = new Database(file, sqliteOptions());
        try {
          const prepared = db.prepare(statement.replace(/\$\d+/g, '?'));
          return (prepared.reader ? prepared.all(...params) : (prepared.run(...params), [])) as R[];
        } finally {
          db.close();
        }
      };
      return {
        open: () => SqliteStore.open(dir),
        sql: raw,
        indexes: async () => (await raw<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")).map((r) => r.name),
      };
    },
    async stop() {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL: one throwaway cluster for the file, a new database per `fresh()`. */
export function postgresBackend(): Backend {
  let server: Promise<RunningPostgres> | undefined;
  let made = 0;
  return {
    name: 'postgres',
    async fresh() {
      server ??= startPostgres();
      const pg = await server;
      const database = `store${++made}`;
      // Sorted as production's databases sort text, so the store's bytewise order is put to the test.
      await pg.createDatabase(database, 'english');
      const raw = async <R>(statement: string, params: unknown[] = []): Promise<R[]> => {
        const client = new Client({ connectionString: pg.url(database) });
        await client.connect();
        try {
          return (await client.query(statement, params)).rows as R[];
        } finally {
          await client.end();
        }
      };
      return {
        open: () => PostgresStore.open(pg.url(database)),
        sql: raw,
        indexes: async () => (await raw<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'")).map((r) => r.indexname),
      };
    },
    async stop() {
      if (server) await (await server).stop();
    },
  };
}
