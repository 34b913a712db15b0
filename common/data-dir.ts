import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterflowConfig } from './config';
import { EncryptedPayloadCodec, generatePayloadKey, OLD_PAYLOAD_KEYS_VARIABLE, PAYLOAD_KEY_VARIABLE, payloadKeyFromBase64 } from './payload-codec';
import { SecretBox } from './secret-box';

/**
 * The data dir holds what must survive restarts: the store, the Temporal dev server's
 * database, and the generated API token and secret key when the environment does not provide
 * them. All of it is its owner's alone: the dir is 0700 and our files in it 0600, and looser
 * modes found at start are tightened, with a warning.
 */

/** Where a tightened mode is reported; the API passes its logger. */
export type Warn = (message: string) => void;

const warnOnStderr: Warn = (message) => process.stderr.write(`warning: ${message}\n`);

export const API_TOKEN_FILE = 'api-token';
/** A token in the data dir (generated ones are 35 characters) and one the operator sets. */
export const MIN_FILE_TOKEN_LENGTH = 32;
export const MIN_OPERATOR_TOKEN_LENGTH = 16;

const octal = (mode: number): string => `0${mode.toString(8)}`;

/** Makes `target` `mode` if group or others have any permission on it, saying so. */
export function keepPrivate(target: string, mode: 0o700 | 0o600, warn: Warn = warnOnStderr): void {
  const current = fs.statSync(target).mode & 0o777;
  if ((current & 0o077) === 0) return;
  try {
    fs.chmodSync(target, mode);
  } catch (error) {
    throw new Error(`${target} is mode ${octal(current)}, open to other users, and cannot be made ${octal(mode)} (${(error as NodeJS.ErrnoException).code}): change its mode or owner.`);
  }
  warn(`${target} was mode ${octal(current)}, open to other users; tightened it to ${octal(mode)}`);
}

export function ensureDataDir(config: ClusterflowConfig, warn: Warn = warnOnStderr): string {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  keepPrivate(config.dataDir, 0o700, warn);
  return config.dataDir;
}

/**
 * Reads `name` from the data dir, or writes `make()` there first. The value is written to a
 * private temporary file and linked into place, so creating is exclusive (two processes
 * agree) and nobody ever reads a half-written file.
 */
function readOrCreate(config: ClusterflowConfig, name: string, make: () => string, warn: Warn): { value: string; created: boolean; file: string } {
  const file = path.join(ensureDataDir(config, warn), name);
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  let created = false;
  fs.writeFileSync(temporary, make(), { flag: 'wx', mode: 0o600 });
  try {
    fs.linkSync(temporary, file);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  keepPrivate(file, 0o600, warn);
  return { value: fs.readFileSync(file, 'utf8').trim(), created, file };
}

/**
 * What is wrong with `token` as the API token, or undefined. Printable ASCII without spaces is
 * what a header carries unchanged, and it keeps a blank or Unicode-space token from ever
 * being the key.
 */
export function apiTokenProblem(token: string, minLength: number): string | undefined {
  if (token.length === 0) return 'is empty';
  if (!/^[\x21-\x7e]+$/.test(token)) return 'has spaces or characters other than printable ASCII';
  if (token.length < minLength) return `is ${token.length} characters long, shorter than ${minLength}`;
  return undefined;
}

function operatorTokenRefusal(token: string): string | undefined {
  const problem = apiTokenProblem(token, MIN_OPERATOR_TOKEN_LENGTH);
  return problem && `CLUSTERFLOW_API_TOKEN ${problem}: set at least ${MIN_OPERATOR_TOKEN_LENGTH} printable ASCII characters without spaces, or unset it to have a token generated.`;
}

function fileTokenRefusal(file: string, token: string): string | undefined {
  const problem = apiTokenProblem(token, MIN_FILE_TOKEN_LENGTH);
  return problem && `The API token in ${file} ${problem}: write a token of at least ${MIN_FILE_TOKEN_LENGTH} printable ASCII characters there, or delete the file to have one generated.`;
}

/** The sentence the API would stop with over its token, or undefined; reads, never creates. */
export function apiTokenRefusal(config: ClusterflowConfig): string | undefined {
  if (config.apiToken !== undefined) return operatorTokenRefusal(config.apiToken);
  const file = path.join(config.dataDir, API_TOKEN_FILE);
  return fs.existsSync(file) ? fileTokenRefusal(file, fs.readFileSync(file, 'utf8').trim()) : undefined;
}

export function resolveApiToken(config: ClusterflowConfig, warn: Warn = warnOnStderr): { token: string; generated: boolean } {
  if (config.apiToken !== undefined) {
    const refusal = operatorTokenRefusal(config.apiToken);
    if (refusal) throw new Error(refusal);
    return { token: config.apiToken, generated: false };
  }
  const { value, created, file } = readOrCreate(config, API_TOKEN_FILE, () => `cf_${randomBytes(24).toString('base64url')}`, warn);
  const refusal = fileTokenRefusal(file, value);
  if (refusal) throw new Error(refusal);
  return { token: value, generated: created };
}

export function resolveSecretBox(config: ClusterflowConfig, warn: Warn = warnOnStderr): SecretBox {
  if (config.secretKey) return SecretBox.fromBase64(config.secretKey);
  return SecretBox.fromBase64(readOrCreate(config, 'secret.key', () => SecretBox.generateKey(), warn).value);
}

export const PAYLOAD_KEY_FILE = 'payload.key';

/**
 * The codec every Temporal client and worker of this deployment shares: the current key from
 * CLUSTERFLOW_PAYLOAD_KEY, else the data dir's `payload.key` (generated once, 0600); earlier
 * keys from CLUSTERFLOW_PAYLOAD_KEYS_OLD decrypt what they sealed.
 */
export function resolvePayloadCodec(config: ClusterflowConfig, warn: Warn = warnOnStderr): EncryptedPayloadCodec {
  let current: Buffer;
  if (config.payloadKey) {
    current = payloadKeyFromBase64(config.payloadKey, PAYLOAD_KEY_VARIABLE);
  } else {
    const { value, file } = readOrCreate(config, PAYLOAD_KEY_FILE, generatePayloadKey, warn);
    current = payloadKeyFromBase64(value, file);
  }
  const old = config.payloadKeysOld.map((key, i) => payloadKeyFromBase64(key, `${OLD_PAYLOAD_KEYS_VARIABLE} entry ${i + 1}`));
  return new EncryptedPayloadCodec(current, old);
}
