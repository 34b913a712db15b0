import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { usageError } from './exit-codes';

/** Where `login` keeps the server and token: the token is a credential, so the file is 0600 and its folder 0700. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'clusterflow', 'config.yaml');
}

export interface ServerConfig {
  url: string;
  token: string;
  /** The admin token's project (`X-Clusterflow-Project`); absent: the server's `default`. */
  project?: string;
}

export function readConfigFile(file = configPath()): Partial<ServerConfig> {
  if (!fs.existsSync(file)) return {};
  const parsed = parse(fs.readFileSync(file, 'utf8')) as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<ServerConfig>) : {};
}

export function writeConfigFile(config: ServerConfig, file = configPath()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written to a fresh 0600 file and renamed, so the token is never readable by others, not even for a moment.
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, stringify(config), { mode: 0o600 });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
}

/** The server to talk to: flags first, then CLUSTERFLOW_URL / CLUSTERFLOW_TOKEN / CLUSTERFLOW_PROJECT, then the login file. */
export function resolveServer(flags: { url?: string; token?: string; project?: string }, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const file = readConfigFile(configPath(env));
  const url = flags.url ?? env.CLUSTERFLOW_URL ?? file.url;
  const token = flags.token ?? env.CLUSTERFLOW_TOKEN ?? file.token;
  const project = flags.project ?? env.CLUSTERFLOW_PROJECT ?? file.project;
  if (!url || !token) throw usageError(`no server: run \`clusterflow login --url <api url> --token <token>\` or set CLUSTERFLOW_URL and CLUSTERFLOW_TOKEN`);
  return { url: url.replace(/\/+$/, ''), token, ...(project ? { project } : {}) };
}
