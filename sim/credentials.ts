import type * as http from 'node:http';
import { AwsError } from './errors';
import type { AwsCall, WireProtocol } from './protocol';

/**
 * What AWS knows of each access key that moto does not: which AWS account it belongs to, and
 * whether it still works. moto accepts every key, and puts a key it did not create itself
 * (IAM CreateAccessKey, STS AssumeRole) in its default account 123456789012.
 *
 * - A key mapped to an account reaches moto with `x-moto-account-id`, so moto keeps its
 *   resources in that account and STS GetCallerIdentity answers with it.
 * - A revoked or expired key is refused at the front door, before throttling, faults and
 *   holds, in the error each protocol uses; a call already past the door (a held one) goes on.
 * - Each key counts the calls it got through and the calls refused.
 */

export type KeyStatus = 'active' | 'revoked' | 'expired';

export interface KeyView {
  accessKeyId: string;
  /** The AWS account the key belongs to; absent: moto's own answer (123456789012 unless moto made the key). */
  account?: string;
  status: KeyStatus;
  /** Calls signed with the key that passed the front door. */
  calls: number;
  /** Calls signed with the key that were refused. */
  refused: number;
}

export interface KeyChange {
  account?: string | null;
  status?: KeyStatus;
}

export class CredentialsError extends Error {}

const STATUSES: KeyStatus[] = ['active', 'revoked', 'expired'];

/** The words AWS uses for a key it does not know (revoked) and for temporary keys past their expiry. */
const REFUSALS: Record<Exclude<KeyStatus, 'active'>, Record<WireProtocol, { code: string; message: string; status: number }>> = {
  revoked: {
    ec2: { code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials', status: 401 },
    query: { code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.', status: 403 },
    json: { code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 400 },
    rest: { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.', status: 403 },
  },
  expired: {
    ec2: { code: 'RequestExpired', message: 'Request has expired.', status: 400 },
    query: { code: 'ExpiredToken', message: 'The security token included in the request is expired', status: 403 },
    json: { code: 'ExpiredTokenException', message: 'The security token included in the request is expired', status: 403 },
    rest: { code: 'ExpiredToken', message: 'The provided token has expired.', status: 400 },
  },
};

export class Credentials {
  private readonly keys = new Map<string, KeyView>();

  private entry(accessKeyId: string): KeyView {
    let key = this.keys.get(accessKeyId);
    if (!key) {
      key = { accessKeyId, status: 'active', calls: 0, refused: 0 };
      this.keys.set(accessKeyId, key);
    }
    return key;
  }

  /** Maps the key to an account (`null` unmaps it) and/or sets its status. */
  change(accessKeyId: string, change: unknown): KeyView {
    if (!/^[A-Za-z0-9]{1,128}$/.test(accessKeyId)) throw new CredentialsError(`an access key id is 1–128 letters and digits, not ${JSON.stringify(accessKeyId)}`);
    const { account, status } = (change ?? {}) as { account?: unknown; status?: unknown };
    if (account !== undefined && account !== null && !(typeof account === 'string' && /^\d{12}$/.test(account))) {
      throw new CredentialsError(`account is an AWS account id of 12 digits (or null), not ${JSON.stringify(account)}`);
    }
    if (status !== undefined && !STATUSES.includes(status as KeyStatus)) {
      throw new CredentialsError(`status is one of ${STATUSES.join(', ')}, not ${JSON.stringify(status)}`);
    }
    if (account === undefined && status === undefined) throw new CredentialsError('the body must set account, status or both');
    const key = this.entry(accessKeyId);
    if (account === null) delete key.account;
    else if (account !== undefined) key.account = account as string;
    if (status !== undefined) key.status = status as KeyStatus;
    return { ...key };
  }

  /** The account the simulator maps the key to, if any. */
  accountOf(accessKeyId: string): string | undefined {
    return this.keys.get(accessKeyId)?.account;
  }

  /** `headers` as moto must get them for a call signed with the key. */
  motoHeaders<H extends http.IncomingHttpHeaders | Record<string, string>>(accessKeyId: string, headers: H): H {
    const account = this.accountOf(accessKeyId);
    return account ? { ...headers, 'x-moto-account-id': account } : headers;
  }

  /** Counts the call; the error AWS answers when its key no longer works, else undefined. */
  admit(call: Pick<AwsCall, 'accessKeyId' | 'protocol'>): AwsError | undefined {
    const key = this.entry(call.accessKeyId);
    if (key.status === 'active') {
      key.calls += 1;
      return undefined;
    }
    key.refused += 1;
    const refusal = REFUSALS[key.status][call.protocol];
    return new AwsError(refusal.code, refusal.message, refusal.status);
  }

  list(): KeyView[] {
    return [...this.keys.values()].map((key) => ({ ...key }));
  }

  reset(): void {
    this.keys.clear();
  }
}

/** `/_sim/credentials` routes; undefined for any other path. */
export function credentialsRoute(credentials: Credentials, method: string, path: string, body: () => unknown): { status: number; body: unknown } | undefined {
  if (method === 'GET' && path === '/_sim/credentials') return { status: 200, body: { credentials: credentials.list() } };
  const one = /^\/_sim\/credentials\/([^/]+)$/.exec(path);
  if (!one) return undefined;
  const accessKeyId = decodeURIComponent(one[1]);
  if (method === 'PUT' || method === 'PATCH') return { status: 200, body: credentials.change(accessKeyId, body()) };
  if (method === 'GET') {
    const key = credentials.list().find((k) => k.accessKeyId === accessKeyId);
    return key ? { status: 200, body: key } : { status: 404, body: { error: `no call was signed with ${accessKeyId} and it has no settings` } };
  }
  return undefined;
}
