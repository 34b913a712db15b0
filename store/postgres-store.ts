import { Pool, PoolClient } from 'pg';
import { BUILT_IN_PROFILES } from './built-in-profiles';
import { migrate } from './migrate';
import { AccountRow, ProfileRow, ProjectRow, ProjectTokenRow, toAccount, toProfile, toProject, toProjectToken } from './rows';
import { CloudAccountKeys, CloudAccountRecord, NameTakenError, ProfileRecord, ProjectRecord, ProjectTokenRecord, Store } from './store';

/**
 * Which advisory lock the schema steps run under: any fixed number, the same in every
 * process, so that two API processes starting together migrate one after the other.
 */
const MIGRATION_LOCK = 0x636c666c; // "clfl"

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * The store on a PostgreSQL server, for the production topology: several API processes and
 * workers share it. Same tables and answers as the SQLite store; names sort bytewise
 * (COLLATE "C"), as SQLite sorts them.
 */
export class PostgresStore implements Store {
  private constructor(private readonly pool: Pool) {}

  /** Connects and brings the schema to the latest version (under the advisory lock). */
  static async open(url: string): Promise<PostgresStore> {
    const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
    // An idle client that loses its server (a restart) must not take the process down.
    pool.on('error', () => undefined);
    try {
      await migratePostgres(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresStore(pool);
  }

  async insertCloudAccount(r: CloudAccountRecord): Promise<void> {
    await this.unique(
      `INSERT INTO cloud_accounts (id, project, name, access_key_id, sealed_secret, aws_account_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [r.id, r.project, r.name, r.accessKeyId, r.sealedSecret, r.awsAccountId ?? null, r.createdAt],
    );
  }

  async listCloudAccounts(project: string): Promise<CloudAccountRecord[]> {
    const rows = await this.rows<AccountRow>('SELECT * FROM cloud_accounts WHERE project = $1 ORDER BY created_at COLLATE "C", name COLLATE "C"', [project]);
    return rows.map(toAccount);
  }

  async getCloudAccount(project: string, id: string): Promise<CloudAccountRecord | undefined> {
    const [row] = await this.rows<AccountRow>('SELECT * FROM cloud_accounts WHERE project = $1 AND id = $2', [project, id]);
    return row ? toAccount(row) : undefined;
  }

  async updateCloudAccountKeys(project: string, id: string, keys: CloudAccountKeys): Promise<boolean> {
    // One statement: the worker reads either the old keys or the new ones, never half of each.
    return this.changed('UPDATE cloud_accounts SET access_key_id = $1, sealed_secret = $2, aws_account_id = $3 WHERE project = $4 AND id = $5', [
      keys.accessKeyId,
      keys.sealedSecret,
      keys.awsAccountId ?? null,
      project,
      id,
    ]);
  }

  async deleteCloudAccount(project: string, id: string): Promise<boolean> {
    return this.changed('DELETE FROM cloud_accounts WHERE project = $1 AND id = $2', [project, id]);
  }

  async insertProfile(r: ProfileRecord): Promise<void> {
    if (BUILT_IN_PROFILES.some((p) => p.name === r.name)) throw new NameTakenError(`profile name "${r.name}" is taken`);
    await this.unique('INSERT INTO profiles (id, project, name, description, packs, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      r.id,
      r.project,
      r.name,
      r.description ?? null,
      JSON.stringify(r.packs),
      r.createdAt,
    ]);
  }

  async listProfiles(project: string): Promise<ProfileRecord[]> {
    const rows = await this.rows<ProfileRow>('SELECT * FROM profiles WHERE project = $1 ORDER BY created_at COLLATE "C", name COLLATE "C"', [project]);
    return [...BUILT_IN_PROFILES.map((p) => ({ ...p, project })), ...rows.map(toProfile)];
  }

  async getProfile(project: string, id: string): Promise<ProfileRecord | undefined> {
    const builtIn = BUILT_IN_PROFILES.find((p) => p.id === id);
    if (builtIn) return { ...builtIn, project };
    const [row] = await this.rows<ProfileRow>('SELECT * FROM profiles WHERE project = $1 AND id = $2', [project, id]);
    return row ? toProfile(row) : undefined;
  }

  async deleteProfile(project: string, id: string): Promise<boolean> {
    return this.changed('DELETE FROM profiles WHERE project = $1 AND id = $2', [project, id]);
  }

  async useCloudAccount(project: string, cluster: string, accountId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO cloud_account_usage (project, cluster, account_id) VALUES ($1, $2, $3)
       ON CONFLICT (project, cluster) DO UPDATE SET account_id = EXCLUDED.account_id`,
      [project, cluster, accountId],
    );
  }

  async claimCloudAccount(project: string, cluster: string, accountId: string): Promise<boolean> {
    return this.changed('INSERT INTO cloud_account_usage (project, cluster, account_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [project, cluster, accountId]);
  }

  async releaseCloudAccountClaim(project: string, cluster: string, accountId: string): Promise<void> {
    await this.pool.query('DELETE FROM cloud_account_usage WHERE project = $1 AND cluster = $2 AND account_id = $3', [project, cluster, accountId]);
  }

  async releaseCloudAccount(project: string, cluster: string): Promise<void> {
    await this.pool.query('DELETE FROM cloud_account_usage WHERE project = $1 AND cluster = $2', [project, cluster]);
  }

  async clustersUsingCloudAccount(project: string, accountId: string): Promise<string[]> {
    const rows = await this.rows<{ cluster: string }>('SELECT cluster FROM cloud_account_usage WHERE project = $1 AND account_id = $2 ORDER BY cluster COLLATE "C"', [project, accountId]);
    return rows.map((row) => row.cluster);
  }

  async insertProject(r: ProjectRecord): Promise<void> {
    await this.unique('INSERT INTO projects (name, created_at) VALUES ($1, $2)', [r.name, r.createdAt]);
  }

  async listProjects(): Promise<ProjectRecord[]> {
    const rows = await this.rows<ProjectRow>('SELECT * FROM projects ORDER BY created_at COLLATE "C", name COLLATE "C"');
    return rows.map(toProject);
  }

  async getProject(name: string): Promise<ProjectRecord | undefined> {
    const [row] = await this.rows<ProjectRow>('SELECT * FROM projects WHERE name = $1', [name]);
    return row ? toProject(row) : undefined;
  }

  async insertProjectToken(r: ProjectTokenRecord): Promise<void> {
    await this.pool.query('INSERT INTO project_tokens (id, project, role, description, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      r.id,
      r.project,
      r.role,
      r.description ?? null,
      r.tokenHash,
      r.createdAt,
    ]);
  }

  async listProjectTokens(project: string): Promise<ProjectTokenRecord[]> {
    const rows = await this.rows<ProjectTokenRow>('SELECT * FROM project_tokens WHERE project = $1 ORDER BY created_at COLLATE "C", id COLLATE "C"', [project]);
    return rows.map(toProjectToken);
  }

  async findProjectToken(tokenHash: string): Promise<ProjectTokenRecord | undefined> {
    const [row] = await this.rows<ProjectTokenRow>('SELECT * FROM project_tokens WHERE token_hash = $1', [tokenHash]);
    return row ? toProjectToken(row) : undefined;
  }

  async deleteProjectToken(project: string, id: string): Promise<boolean> {
    return this.changed('DELETE FROM project_tokens WHERE project = $1 AND id = $2', [project, id]);
  }

  async checkWritable(): Promise<void> {
    await this.pool.query('INSERT INTO health (id, checked_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET checked_at = EXCLUDED.checked_at', [new Date().toISOString()]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async rows<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query(sql, params)).rows as R[];
  }

  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return ((await this.pool.query(sql, params)).rowCount ?? 0) > 0;
  }

  private async unique(sql: string, params: unknown[]): Promise<void> {
    try {
      await this.pool.query(sql, params);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new NameTakenError((error as Error).message);
      throw error;
    }
  }
}

/**
 * Runs the schema steps on one connection holding the advisory lock, in one transaction: a
 * second process waits for the lock, then finds every step recorded; a step that fails leaves
 * the schema as it was.
 */
async function migratePostgres(pool: Pool): Promise<void> {
  const client: PoolClient = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('BEGIN');
      await migrate({
        dialect: 'postgres',
        async exec(sql) {
          await client.query(sql);
        },
        async query<R>(sql: string, params: unknown[] = []) {
          return (await client.query(sql, params)).rows as R[];
        },
      });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
