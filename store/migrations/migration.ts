/** What a schema step may do: statements both SQLite and PostgreSQL accept, or a branch on `dialect`. */
export interface MigrationDb {
  dialect: 'sqlite' | 'postgres';
  exec(sql: string): Promise<void>;
}

/** One schema version. Steps run once each, in order; a released step is never edited. */
export interface StoreMigration {
  name: string;
  up(db: MigrationDb): Promise<void>;
}
