import { randomBytes, randomInt } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  DescribeSecretResponse,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ApplicationFailure } from '@temporalio/common';
import { Owner, resourceTags } from '../common/tags';
import { AwsDeps, withSession } from './aws-session';
import { isAwsError } from './aws-errors';
import { isOwned, toAwsTags } from './ownership';
import { ClusterScoped, JoinSecretInfo } from './types';

export const JOIN_SECRET_KEY = 'secret/join';

export function joinSecretName(owner: Owner): string {
  return `clusterflow/${owner.cluster}/join`;
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomToken(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return out;
}

/** What nodes need to join: a kubeadm bootstrap token and the key that encrypts the uploaded certificates. */
export function generateJoinCredentials(): { bootstrapToken: string; certificateKey: string } {
  return { bootstrapToken: `${randomToken(6)}.${randomToken(16)}`, certificateKey: randomBytes(32).toString('hex') };
}

async function describe(secrets: SecretsManagerClient, name: string): Promise<DescribeSecretResponse | undefined> {
  try {
    return await secrets.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/**
 * The cluster's join credentials, kept in Secrets Manager for the nodes to read at boot
 * (through an instance profile allowed this one secret). The value is made here and never
 * leaves: the activity returns only where it is.
 */
export function secretActivities(deps: AwsDeps) {
  return {
    async ensureJoinSecret({ scope }: ClusterScoped): Promise<JoinSecretInfo> {
      const name = joinSecretName(scope.owner);
      return withSession(deps, scope, async ({ secrets }) => {
        let current = await describe(secrets, name);
        if (!current) {
          try {
            const created = await secrets.send(
              new CreateSecretCommand({
                Name: name,
                Description: `kubeadm join credentials of cluster ${scope.owner.cluster} (Clusterflow)`,
                SecretString: JSON.stringify(generateJoinCredentials()),
                Tags: toAwsTags(resourceTags(scope.owner, JOIN_SECRET_KEY)),
              }),
            );
            return { secretName: name, secretArn: created.ARN! };
          } catch (error) {
            // An earlier attempt created it after our describe: use that one.
            if (!isAwsError(error, 'ResourceExistsException')) throw error;
            current = await describe(secrets, name);
            if (!current) throw error;
          }
        }
        if (!isOwned(current.Tags, scope.owner, JOIN_SECRET_KEY)) {
          throw ApplicationFailure.nonRetryable(`secret ${name} exists and is not this cluster's`, 'JoinSecretNameTaken');
        }
        if (current.DeletedDate) {
          // Scheduled for deletion (not by us: we delete without recovery); bring it back.
          await secrets.send(new RestoreSecretCommand({ SecretId: name }));
        }
        return { secretName: name, secretArn: current.ARN! };
      });
    },

    async deleteJoinSecret({ scope }: ClusterScoped): Promise<void> {
      const name = joinSecretName(scope.owner);
      await withSession(deps, scope, async ({ secrets }) => {
        const current = await describe(secrets, name);
        // Gone already, or not ours: nothing of this cluster's to delete.
        if (!current || !isOwned(current.Tags, scope.owner, JOIN_SECRET_KEY)) return;
        try {
          await secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
        } catch (error) {
          if (!isAwsError(error, 'ResourceNotFoundException')) throw error;
        }
      });
    },
  };
}
