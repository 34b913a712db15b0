import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from '../../common/ports';

/** The PostgreSQL server binaries: CLUSTERFLOW_POSTGRES_BIN, else the newest of Debian's postgresql packages. */
export function postgresBin(): string {
  if (process.env.CLUSTERFLOW_POSTGRES_BIN) return process.env.CLUSTERFLOW_POSTGRES_BIN;
  const versions = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').filter((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL is needed by the store and topology tests and was not found: install it (Debian: apt-get install postgresql) or set CLUSTERFLOW_POSTGRES_BIN to its bin directory');
  return `/usr/lib/postgresql/${newest}/bin`;
}

export interface RunningPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** `postgres://user:password@127.0.0.1:port/<database>`. */
  url(database: string): string;
  /**
   * Creates an empty database (its name is trusted: tests choose it). `collation` 'english'
   * sorts text as PostgreSQL images do by default (en_US, through ICU: this machine has only C
   * locales), where case and punctuation weigh less than in bytewise order.
   */
  createDatabase(name: string, collation?: 'bytes' | 'english'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The server refuses to run as root: when the tests do, it runs as this user (Debian's
 * package makes `postgres`), its directory handed over to it.
 */
const SERVER_USER = 'postgres';

function asServerUser(command: string): { file: string; args: string[] } {
  if (process.getuid?.() !== 0) return { file: command, args: [] };
  // setpriv execs the command itself (no parent left between), so the pid is the server's.
  return { file: 'setpriv', args: [`--reuid=${SERVER_USER}`, `--regid=${SERVER_USER}`, '--clear-groups', '--', command] };
}

/**
 * A throwaway PostgreSQL cluster of its own: initdb in a temp dir, the server on a free
 * loopback port with its unix socket in that dir, a password-protected superuser; stop()
 * shuts it down (fast) and removes the dir.
 */
export async function startPostgres(): Promise<RunningPostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-pg-'));
  const data = path.join(root, 'data');
  const user = 'clusterflow';
  const password = randomBytes(12).toString('hex');
  fs.writeFileSync(path.join(root, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${SERVER_USER}:`, root]);
  const bin = postgresBin();
  const initdb = asServerUser(path.join(bin, 'initdb'));
  execFileSync(initdb.file, [...initdb.args, '-D', data, '-U', user, `--pwfile=${path.join(root, 'pwfile')}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await freePort();
  const server = asServerUser(path.join(bin, 'postgres'));
  // Durability is not what these tests are about; fsync off saves the 2-core machine's disk.
  const child: ChildProcess = spawn(
    server.file,
    [...server.args, '-D', data, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const host = '127.0.0.1';
  const url = (database: string) => `postgres://${user}:${password}@${host}:${port}/${database}`;
  const query = async (sql: string) => {
    const client = new Client({ connectionString: url('postgres') });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await waitFor('postgres', async () => child.exitCode !== null || (await query('SELECT 1'), true), 60_000);
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}):\n${log}`);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    fs.rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    port,
    user,
    password,
    url,
    createDatabase: (name, collation = 'bytes') =>
      query(collation === 'english' ? `CREATE DATABASE "${name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'` : `CREATE DATABASE "${name}"`),
    async stop() {
      // SIGINT is PostgreSQL's fast shutdown: sessions are ended, no checkpoint wait.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
