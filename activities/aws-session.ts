import { EC2Client } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { ClusterflowConfig } from '../common/config';
import { SecretBox } from '../common/secret-box';
import { Store } from '../api/store/store';

/** What activities need to reach AWS; workflows only ever carry the account id. */
export interface AwsDeps {
  config: ClusterflowConfig;
  store: Store;
  secretBox: SecretBox;
  project: string;
}

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Opens the account's sealed keys, here in the activity, so they never enter a Temporal payload. */
export function credentialsFor(deps: AwsDeps, accountId: string): AwsKeys {
  const account = deps.store.getCloudAccount(deps.project, accountId);
  if (!account) {
    // Retrying cannot make a deleted account reappear.
    throw ApplicationFailure.nonRetryable(`cloud account ${accountId} does not exist (was it deleted?)`, 'CloudAccountNotFound');
  }
  const secret = JSON.parse(deps.secretBox.open(account.sealedSecret, account.id)) as { secretAccessKey: string; sessionToken?: string };
  return { accessKeyId: account.accessKeyId, secretAccessKey: secret.secretAccessKey, sessionToken: secret.sessionToken };
}

export function ec2Client(deps: AwsDeps, accountId: string, region: string): EC2Client {
  return new EC2Client({ region, endpoint: deps.config.awsEndpointUrl, credentials: credentialsFor(deps, accountId) });
}
