import { Umzug } from 'umzug';
import { MIGRATIONS } from './migrations';
import { MigrationDb, StoreMigration } from './migrations/migration';

/** Where a backend records the steps it has run (one row per step). */
export const MIGRATIONS_TABLE = 'schema_migrations';

/** A backend's connection as the migrator needs it; `query` returns rows. */
export interface MigrationConnection extends MigrationDb {
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
}

/**
 * Brings the schema to the latest version: runs, in order, every step not yet recorded, and
 * records each. The caller holds its backend's lock around this (a transaction for SQLite,
 * an advisory lock for PostgreSQL), so two processes starting together never both run a step.
 * Returns the names of the steps this call ran.
 */
export async function migrate(db: MigrationConnection, migrations: readonly StoreMigration[] = MIGRATIONS): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
  const umzug = new Umzug<MigrationConnection>({
    migrations: migrations.map((m) => ({ name: m.name, up: ({ context }) => m.up(context) })),
    context: db,
    storage: {
      async executed({ context }) {
        const rows = await context.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`);
        return rows.map((row) => row.name);
      },
      async logMigration({ name, context }) {
        await context.query(`INSERT INTO ${MIGRATIONS_TABLE} (name, applied_at) VALUES ($1, $2)`, [name, new Date().toISOString()]);
      },
      async unlogMigration({ name, context }) {
        await context.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE name = $1`, [name]);
      },
    },
    logger: undefined,
  });
  const ran = await umzug.up();
  return ran.map((m) => m.name);
}

/** The steps recorded as run, oldest first. */
export async function appliedMigrations(db: MigrationConnection): Promise<string[]> {
  const rows = await db.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`);
  return rows.map((row) => row.name);
}
