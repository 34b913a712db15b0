import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { keepPrivate, Warn } from '../common/data-dir';
import { sqliteOptions } from '../common/sqlite-addon';
import { BUILT_IN_PROFILES } from './built-in-profiles';
import { migrate } from './migrate';
import { AccountRow, ProfileRow, ProjectRow, ProjectTokenRow, toAccount, toProfile, toProject, toProjectToken } from './rows';
import { CloudAccountKeys, CloudAccountRecord, NameTakenError, ProfileRecord, ProjectRecord, ProjectTokenRecord, Store } from './store';

/** The embedded default store: one SQLite file in the data dir, shared by the API and the worker. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  /** Opens (creating it if need be) the data dir's store and brings its schema to the latest version. */
  static async open(dataDir: string, warn?: Warn): Promise<SqliteStore> {
    const file = path.join(dataDir, 'clusterflow.sqlite');
    // SQLite would create the file 0644 and gives its -wal and -shm the file's mode: create it
    // 0600 first, and tighten whatever an older start left looser.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    for (const part of [file, `${file}-wal`, `${file}-shm`]) {
      if (fs.existsSync(part)) keepPrivate(part, 0o600, warn);
    }
    const db = new Database(file, sqliteOptions());
    try {
      // WAL lets the worker read credentials while the API writes.
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      await oneAtATime(file, () => migrateSqlite(db));
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteStore(db);
  }

  async insertCloudAccount(r: CloudAccountRecord): Promise<void> {
    this.unique(() =>
      this.db
        .prepare(
          `INSERT INTO cloud_accounts (id, project, name, access_key_id, sealed_secret, aws_account_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(r.id, r.project, r.name, r.accessKeyId, r.sealedSecret, r.awsAccountId ?? null, r.createdAt),
    );
  }

  async listCloudAccounts(project: string): Promise<CloudAccountRecord[]> {
    return this.db
      .prepare('SELECT * FROM cloud_accounts WHERE project = ? ORDER BY created_at, name')
      .all(project)
      .map((row) => toAccount(row as AccountRow));
  }

  async getCloudAccount(project: string, id: string): Promise<CloudAccountRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM cloud_accounts WHERE project = ? AND id = ?').get(project, id);
    return row ? toAccount(row as AccountRow) : undefined;
  }

  async updateCloudAccountKeys(project: string, id: string, keys: CloudAccountKeys): Promise<boolean> {
    // One statement: the worker reads either the old keys or the new ones, never half of each.
    return (
      this.db
        .prepare('UPDATE cloud_accounts SET access_key_id = ?, sealed_secret = ?, aws_account_id = ? WHERE project = ? AND id = ?')
        .run(keys.accessKeyId, keys.sealedSecret, keys.awsAccountId ?? null, project, id).changes > 0
    );
  }

  async deleteCloudAccount(project: string, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM cloud_accounts WHERE project = ? AND id = ?').run(project, id).changes > 0;
  }

  async insertProfile(r: ProfileRecord): Promise<void> {
    if (BUILT_IN_PROFILES.some((p) => p.name === r.name)) throw new NameTakenError(`profile name "${r.name}" is taken`);
    this.unique(() =>
      this.db
        .prepare('INSERT INTO profiles (id, project, name, description, packs, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(r.id, r.project, r.name, r.description ?? null, JSON.stringify(r.packs), r.createdAt),
    );
  }

  async listProfiles(project: string): Promise<ProfileRecord[]> {
    const stored = this.db
      .prepare('SELECT * FROM profiles WHERE project = ? ORDER BY created_at, name')
      .all(project)
      .map((row) => toProfile(row as ProfileRow));
    return [...BUILT_IN_PROFILES.map((p) => ({ ...p, project })), ...stored];
  }

  async getProfile(project: string, id: string): Promise<ProfileRecord | undefined> {
    const builtIn = BUILT_IN_PROFILES.find((p) => p.id === id);
    if (builtIn) return { ...builtIn, project };
    const row = this.db.prepare('SELECT * FROM profiles WHERE project = ? AND id = ?').get(project, id);
    return row ? toProfile(row as ProfileRow) : undefined;
  }

  async deleteProfile(project: string, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM profiles WHERE project = ? AND id = ?').run(project, id).changes > 0;
  }

  async useCloudAccount(project: string, cluster: string, accountId: string): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO cloud_account_usage (project, cluster, account_id) VALUES (?, ?, ?)')
      .run(project, cluster, accountId);
  }

  async claimCloudAccount(project: string, cluster: string, accountId: string): Promise<boolean> {
    const result = this.db.prepare('INSERT OR IGNORE INTO cloud_account_usage (project, cluster, account_id) VALUES (?, ?, ?)').run(project, cluster, accountId);
    return result.changes === 1;
  }

  async releaseCloudAccountClaim(project: string, cluster: string, accountId: string): Promise<void> {
    this.db.prepare('DELETE FROM cloud_account_usage WHERE project = ? AND cluster = ? AND account_id = ?').run(project, cluster, accountId);
  }

  async releaseCloudAccount(project: string, cluster: string): Promise<void> {
    this.db.prepare('DELETE FROM cloud_account_usage WHERE project = ? AND cluster = ?').run(project, cluster);
  }

  async clustersUsingCloudAccount(project: string, accountId: string): Promise<string[]> {
    return this.db
      .prepare('SELECT cluster FROM cloud_account_usage WHERE project = ? AND account_id = ? ORDER BY cluster')
      .all(project, accountId)
      .map((row) => (row as { cluster: string }).cluster);
  }

  async insertProject(r: ProjectRecord): Promise<void> {
    this.unique(() => this.db.prepare('INSERT INTO projects (name, created_at) VALUES (?, ?)').run(r.name, r.createdAt));
  }

  async listProjects(): Promise<ProjectRecord[]> {
    return this.db
      .prepare('SELECT * FROM projects ORDER BY created_at, name')
      .all()
      .map((row) => toProject(row as ProjectRow));
  }

  async getProject(name: string): Promise<ProjectRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM projects WHERE name = ?').get(name);
    return row ? toProject(row as ProjectRow) : undefined;
  }

  async insertProjectToken(r: ProjectTokenRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO project_tokens (id, project, role, description, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.id, r.project, r.role, r.description ?? null, r.tokenHash, r.createdAt);
  }

  async listProjectTokens(project: string): Promise<ProjectTokenRecord[]> {
    return this.db
      .prepare('SELECT * FROM project_tokens WHERE project = ? ORDER BY created_at, id')
      .all(project)
      .map((row) => toProjectToken(row as ProjectTokenRow));
  }

  async findProjectToken(tokenHash: string): Promise<ProjectTokenRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM project_tokens WHERE token_hash = ?').get(tokenHash);
    return row ? toProjectToken(row as ProjectTokenRow) : undefined;
  }

  async deleteProjectToken(project: string, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM project_tokens WHERE project = ? AND id = ?').run(project, id).changes > 0;
  }

  async checkWritable(): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO health (id, checked_at) VALUES (1, ?)').run(new Date().toISOString());
  }

  async close(): Promise<void> {
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

/** Opens of one file in this process, chained (see oneAtATime). */
const opening = new Map<string, Promise<unknown>>();

/**
 * Runs `body` after every earlier call for the same file in this process has finished. The
 * write transaction's busy wait blocks the thread, so a second open in the same process
 * would wait for a migration that can never go on; other processes just wait their turn.
 */
function oneAtATime<T>(file: string, body: () => Promise<T>): Promise<T> {
  const run = (opening.get(file) ?? Promise.resolve()).catch(() => undefined).then(body);
  opening.set(file, run);
  void run.finally(() => {
    if (opening.get(file) === run) opening.delete(file);
  }).catch(() => undefined);
  return run;
}

/**
 * Runs the schema steps inside one write transaction: a second process opening the same file
 * meanwhile waits (busy_timeout) and then finds every step recorded.
 */
async function migrateSqlite(db: Database.Database): Promise<void> {
  db.exec('BEGIN IMMEDIATE');
  try {
    await migrate({
      dialect: 'sqlite',
      async exec(sql) {
        db.exec(sql);
      },
      // The migrator numbers its parameters as PostgreSQL does ($1, $2); they come in order.
      async query<R>(sql: string, params: unknown[] = []) {
        const statement = db.prepare(sql.replace(/\$\d+/g, '?'));
        return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as R[];
      },
    });
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
