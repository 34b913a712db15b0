import { StoreMigration } from './migration';

/**
 * The tables as the store made them before migrations were versioned, with the same
 * CREATE TABLE IF NOT EXISTS statements: a data dir (or database) of that time already has
 * them, so this step adopts it and keeps its rows. Never edit it; change the schema in a new step.
 */
export const initial: StoreMigration = {
  name: '0001-initial',
  async up(db) {
    await db.exec(`
      CREATE TABLE IF NOT EXISTS cloud_accounts (
        id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL,
        access_key_id TEXT NOT NULL, sealed_secret TEXT NOT NULL, aws_account_id TEXT,
        created_at TEXT NOT NULL, UNIQUE (project, name));
      CREATE TABLE IF NOT EXISTS profiles (
        id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
        packs TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (project, name));
      CREATE TABLE IF NOT EXISTS cloud_account_usage (
        project TEXT NOT NULL, cluster TEXT NOT NULL, account_id TEXT NOT NULL,
        PRIMARY KEY (project, cluster));
      CREATE TABLE IF NOT EXISTS projects (name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS project_tokens (
        id TEXT PRIMARY KEY, project TEXT NOT NULL, role TEXT NOT NULL, description TEXT,
        token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY, checked_at TEXT NOT NULL);
    `);
  },
};
