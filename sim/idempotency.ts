import { AwsError, type WireResponse } from './errors';

/**
 * ClientToken idempotency as EC2 defines it for RunInstances and CreateNatGateway: a retry
 * with the same token and the same parameters returns the first call's result without
 * doing anything again (a retry that races the first call waits for it); the same token
 * with other parameters fails with IdempotentParameterMismatch. A call that failed does
 * not use the token up.
 */

interface Entry {
  fingerprint: string;
  result: Promise<WireResponse>;
}

export class Idempotency {
  private readonly entries = new Map<string, Entry>();

  async run(key: string, token: string, fingerprint: string, perform: () => Promise<WireResponse>): Promise<WireResponse> {
    const known = this.entries.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new AwsError(
          'IdempotentParameterMismatch',
          `The client token '${token}' was already used by a request with different parameters.`,
        );
      }
      const first = await known.result;
      return { ...first, headers: { ...first.headers } };
    }
    const result = perform();
    const entry: Entry = { fingerprint, result };
    this.entries.set(key, entry);
    try {
      const answer = await result;
      if (answer.status >= 300 && this.entries.get(key) === entry) this.entries.delete(key);
      return answer;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }

  reset(): void {
    this.entries.clear();
  }
}
