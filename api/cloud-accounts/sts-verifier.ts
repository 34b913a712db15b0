import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { KEYS_REFUSED_CODES } from '../../cloud/aws-errors';
import { refusedKeysAreFinal } from '../../cloud/aws-retry';
import { ClusterflowConfig } from '../../common/config';

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type Verification =
  | { ok: true; awsAccountId?: string; arn?: string }
  | { ok: false; reason: 'rejected' | 'unreachable'; message: string };

/** Error codes with which STS says the keys themselves are wrong, as opposed to STS being unwell. */
const REJECTED = new Set([...KEYS_REFUSED_CODES, 'AccessDenied', 'IncompleteSignature']);

/** Asks STS who the keys belong to; that is the proof they work. */
export class StsVerifier {
  constructor(private readonly config: ClusterflowConfig) {}

  async verify(keys: AwsKeys): Promise<Verification> {
    const client = new STSClient({
      region: 'us-east-1',
      endpoint: this.config.awsEndpointUrl,
      credentials: keys,
      maxAttempts: 3,
      // Keys STS refuses are the answer, not a hiccup: no retries (cloud/aws-retry.ts).
      extensions: [refusedKeysAreFinal],
    });
    try {
      const identity = await client.send(new GetCallerIdentityCommand({}));
      return { ok: true, awsAccountId: identity.Account, arn: identity.Arn };
    } catch (error) {
      const e = error as { name?: string; message?: string };
      if (e.name && REJECTED.has(e.name)) return { ok: false, reason: 'rejected', message: `${e.name}: ${e.message}` };
      return { ok: false, reason: 'unreachable', message: `${e.name ?? 'Error'}: ${e.message ?? String(error)}` };
    } finally {
      client.destroy();
    }
  }
}
