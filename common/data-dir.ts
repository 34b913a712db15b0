import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterflowConfig } from './config';
import { SecretBox } from './secret-box';

/**
 * The data dir holds what must survive restarts: the store, the Temporal dev server's
 * database, and the generated API token and secret key (mode 0600) when the environment
 * does not provide them.
 */
export function ensureDataDir(config: ClusterflowConfig): string {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return config.dataDir;
}

/** Reads `name` from the data dir, or writes `make()` there first (exclusive create, so two processes agree). */
function readOrCreate(config: ClusterflowConfig, name: string, make: () => string): { value: string; created: boolean } {
  const file = path.join(ensureDataDir(config), name);
  try {
    fs.writeFileSync(file, make(), { flag: 'wx', mode: 0o600 });
    return { value: fs.readFileSync(file, 'utf8').trim(), created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: fs.readFileSync(file, 'utf8').trim(), created: false };
  }
}

export function resolveApiToken(config: ClusterflowConfig): { token: string; generated: boolean } {
  if (config.apiToken) return { token: config.apiToken, generated: false };
  const { value, created } = readOrCreate(config, 'api-token', () => `cf_${randomBytes(24).toString('base64url')}`);
  return { token: value, generated: created };
}

export function resolveSecretBox(config: ClusterflowConfig): SecretBox {
  if (config.secretKey) return SecretBox.fromBase64(config.secretKey);
  return SecretBox.fromBase64(readOrCreate(config, 'secret.key', () => SecretBox.generateKey()).value);
}
