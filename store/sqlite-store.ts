import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { keepPrivate, Warn } from '../common/data-dir';
import { BUILT_IN_PROFILES } from './built-in-profiles';
import { CloudAccountKeys, CloudAccountRecord, NameTakenError, ProfileRecord, ProjectRecord, ProjectRole, ProjectTokenRecord, Store } from './store';

/**
 * Under the Node.js that scripts/node-runtime.js fetched (the machine's own being older),
 * node_modules' addon is built for the machine's Node: the bootstrap builds one for the
 * fetched Node and names it to every process it starts.
 */
function sqliteOptions(): Database.Options {
  const nativeBinding = process.env.CLUSTERFLOW_SQLITE_ADDON;
  return nativeBinding ? { nativeBinding } : {};
}

/** The embedded default store: one SQLite file in the data dir, shared by the API and the worker. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(dataDir: string, warn?: Warn) {
    const file = path.join(dataDir, 'clusterflow.sqlite');
    // SQLite would create the file 0644 and gives its -wal and -shm the file's mode: create it
    // 0600 first, and tighten whatever an older start left looser.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    for (const part of [file, `${file}-wal`, `${file}-shm`]) {
      if (fs.existsSync(part)) keepPrivate(part, 0o600, warn);
    }
    this.db = new Database(file, sqliteOptions());
    // WAL lets the worker read credentials while the API writes.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
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
  }

  insertCloudAccount(r: CloudAccountRecord): void {
    this.unique(() =>
      this.db
        .prepare(
          `INSERT INTO cloud_accounts (id, project, name, access_key_id, sealed_secret, aws_account_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(r.id, r.project, r.name, r.accessKeyId, r.sealedSecret, r.awsAccountId ?? null, r.createdAt),
    );
  }

  listCloudAccounts(project: string): CloudAccountRecord[] {
    return this.db
      .prepare('SELECT * FROM cloud_accounts WHERE project = ? ORDER BY created_at, name')
      .all(project)
      .map((row) => toAccount(row as AccountRow));
  }

  getCloudAccount(project: string, id: string): CloudAccountRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cloud_accounts WHERE project = ? AND id = ?').get(project, id);
    return row ? toAccount(row as AccountRow) : undefined;
  }

  updateCloudAccountKeys(project: string, id: string, keys: CloudAccountKeys): boolean {
    // One statement: the worker reads either the old keys or the new ones, never half of each.
    return (
      this.db
        .prepare('UPDATE cloud_accounts SET access_key_id = ?, sealed_secret = ?, aws_account_id = ? WHERE project = ? AND id = ?')
        .run(keys.accessKeyId, keys.sealedSecret, keys.awsAccountId ?? null, project, id).changes > 0
    );
  }

  deleteCloudAccount(project: string, id: string): boolean {
    return this.db.prepare('DELETE FROM cloud_accounts WHERE project = ? AND id = ?').run(project, id).changes > 0;
  }

  insertProfile(r: ProfileRecord): void {
    if (BUILT_IN_PROFILES.some((p) => p.name === r.name)) throw new NameTakenError(`profile name "${r.name}" is taken`);
    this.unique(() =>
      this.db
        .prepare('INSERT INTO profiles (id, project, name, description, packs, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(r.id, r.project, r.name, r.description ?? null, JSON.stringify(r.packs), r.createdAt),
    );
  }

  listProfiles(project: string): ProfileRecord[] {
    const stored = this.db
      .prepare('SELECT * FROM profiles WHERE project = ? ORDER BY created_at, name')
      .all(project)
      .map((row) => toProfile(row as ProfileRow));
    return [...BUILT_IN_PROFILES.map((p) => ({ ...p, project })), ...stored];
  }

  getProfile(project: string, id: string): ProfileRecord | undefined {
    const builtIn = BUILT_IN_PROFILES.find((p) => p.id === id);
    if (builtIn) return { ...builtIn, project };
    const row = this.db.prepare('SELECT * FROM profiles WHERE project = ? AND id = ?').get(project, id);
    return row ? toProfile(row as ProfileRow) : undefined;
  }

  deleteProfile(project: string, id: string): boolean {
    return this.db.prepare('DELETE FROM profiles WHERE project = ? AND id = ?').run(project, id).changes > 0;
  }

  useCloudAccount(project: string, cluster: string, accountId: string): void {
    this.db
      .prepare('INSERT OR REPLACE INTO cloud_account_usage (project, cluster, account_id) VALUES (?, ?, ?)')
      .run(project, cluster, accountId);
  }

  claimCloudAccount(project: string, cluster: string, accountId: string): boolean {
    const result = this.db.prepare('INSERT OR IGNORE INTO cloud_account_usage (project, cluster, account_id) VALUES (?, ?, ?)').run(project, cluster, accountId);
    return result.changes === 1;
  }

  releaseCloudAccountClaim(project: string, cluster: string, accountId: string): void {
    this.db.prepare('DELETE FROM cloud_account_usage WHERE project = ? AND cluster = ? AND account_id = ?').run(project, cluster, accountId);
  }

  releaseCloudAccount(project: string, cluster: string): void {
    this.db.prepare('DELETE FROM cloud_account_usage WHERE project = ? AND cluster = ?').run(project, cluster);
  }

  clustersUsingCloudAccount(project: string, accountId: string): string[] {
    return this.db
      .prepare('SELECT cluster FROM cloud_account_usage WHERE project = ? AND account_id = ? ORDER BY cluster')
      .all(project, accountId)
      .map((row) => (row as { cluster: string }).cluster);
  }

  insertProject(r: ProjectRecord): void {
    this.unique(() => this.db.prepare('INSERT INTO projects (name, created_at) VALUES (?, ?)').run(r.name, r.createdAt));
  }

  listProjects(): ProjectRecord[] {
    return this.db
      .prepare('SELECT * FROM projects ORDER BY created_at, name')
      .all()
      .map((row) => toProject(row as ProjectRow));
  }

  getProject(name: string): ProjectRecord | undefined {
    const row = this.db.prepare('SELECT * FROM projects WHERE name = ?').get(name);
    return row ? toProject(row as ProjectRow) : undefined;
  }

  insertProjectToken(r: ProjectTokenRecord): void {
    this.db
      .prepare('INSERT INTO project_tokens (id, project, role, description, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.id, r.project, r.role, r.description ?? null, r.tokenHash, r.createdAt);
  }

  listProjectTokens(project: string): ProjectTokenRecord[] {
    return this.db
      .prepare('SELECT * FROM project_tokens WHERE project = ? ORDER BY created_at, id')
      .all(project)
      .map((row) => toProjectToken(row as ProjectTokenRow));
  }

  findProjectToken(tokenHash: string): ProjectTokenRecord | undefined {
    const row = this.db.prepare('SELECT * FROM project_tokens WHERE token_hash = ?').get(tokenHash);
    return row ? toProjectToken(row as ProjectTokenRow) : undefined;
  }

  deleteProjectToken(project: string, id: string): boolean {
    return this.db.prepare('DELETE FROM project_tokens WHERE project = ? AND id = ?').run(project, id).changes > 0;
  }

  checkWritable(): void {
    this.db.prepare('INSERT OR REPLACE INTO health (id, checked_at) VALUES (1, ?)').run(new Date().toISOString());
  }

  close(): void {
    this.db.close();
  }

  private unique(write: () => void): void {
    try {
      write();
    } catch (error) {
      if (['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY'].includes((error as { code?: string }).code ?? '')) throw new NameTakenError((error as Error).message);
      throw error;
    }
  }
}

interface AccountRow {
  id: string;
  project: string;
  name: string;
  access_key_id: string;
  sealed_secret: string;
  aws_account_id: string | null;
  created_at: string;
}

interface ProfileRow {
  id: string;
  project: string;
  name: string;
  description: string | null;
  packs: string;
  created_at: string;
}

function toAccount(row: AccountRow): CloudAccountRecord {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    accessKeyId: row.access_key_id,
    sealedSecret: row.sealed_secret,
    awsAccountId: row.aws_account_id ?? undefined,
    createdAt: row.created_at,
  };
}

function toProfile(row: ProfileRow): ProfileRecord {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    description: row.description ?? undefined,
    packs: JSON.parse(row.packs),
    builtIn: false,
    createdAt: row.created_at,
  };
}

interface ProjectRow {
  name: string;
  created_at: string;
}

interface ProjectTokenRow {
  id: string;
  project: string;
  role: string;
  description: string | null;
  token_hash: string;
  created_at: string;
}

function toProject(row: ProjectRow): ProjectRecord {
  return { name: row.name, createdAt: row.created_at };
}

function toProjectToken(row: ProjectTokenRow): ProjectTokenRecord {
  return {
    id: row.id,
    project: row.project,
    role: row.role as ProjectRole,
    description: row.description ?? undefined,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
  };
}
