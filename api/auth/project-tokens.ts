import { createHash, randomBytes } from 'node:crypto';

/** Project tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
export const PROJECT_TOKEN_PREFIX = 'cf_';

/** A new project token: 256 random bits, base64url, after the prefix. */
export function newProjectToken(): string {
  return `${PROJECT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * What the store keeps of a token, and looks it up by: its sha256. The token has 256 bits of
 * entropy, so a plain hash is enough (nothing to brute-force), and a lookup by hash compares
 * no secret byte by byte.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
