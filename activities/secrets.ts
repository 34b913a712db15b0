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
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isAwsError } from '../cloud/aws-errors';
import { isOwned, toAwsTags } from './ownership';
import { ClusterScoped, JoinSecretInfo } from './types';

export const JOIN_SECRET_KEY = 'secret/join';
export const CONTROL_PLANE_SECRET_KEY = 'secret/control-plane';

/** Every node reads this one: the kubeadm bootstrap token, all a worker needs to join. */
export function joinSecretName(owner: Owner): string {
  return `clusterflow/${owner.cluster}/join`;
}

/**
 * Only control-plane nodes read this one: the key that decrypts the certificates kubeadm
 * uploads. A worker that held it could join as a control-plane node.
 */
export function controlPlaneSecretName(owner: Owner): string {
  return `clusterflow/${owner.cluster}/control-plane`;
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

/** The cluster's secret `key` under `name`, made with `value()` when it does not exist yet; its ARN. */
async function ensureSecret(secrets: SecretsManagerClient, owner: Owner, name: string, key: string, description: string, value: () => string): Promise<string> {
  let current = await describe(secrets, name);
  if (!current) {
    try {
      const created = await secrets.send(
        new CreateSecretCommand({ Name: name, Description: description, SecretString: value(), Tags: toAwsTags(resourceTags(owner, key)) }),
      );
      return created.ARN!;
    } catch (error) {
      // An earlier attempt created it after our describe: use that one.
      if (!isAwsError(error, 'ResourceExistsException')) throw error;
      current = await describe(secrets, name);
      if (!current) throw error;
    }
  }
  if (!isOwned(current.Tags, owner, key)) {
    throw ApplicationFailure.nonRetryable(`secret ${name} exists and is not cluster ${owner.cluster}'s`, 'JoinSecretNameTaken');
  }
  if (current.DeletedDate) {
    // Scheduled for deletion (not by us: we delete without recovery); bring it back.
    await secrets.send(new RestoreSecretCommand({ SecretId: name }));
  }
  return current.ARN!;
}

async function deleteSecret(secrets: SecretsManagerClient, owner: Owner, name: string, key: string): Promise<void> {
  const current = await describe(secrets, name);
  // Gone already, or not ours: nothing of this cluster's to delete.
  if (!current || !isOwned(current.Tags, owner, key)) return;
  try {
    await secrets.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  } catch (error) {
    if (!isAwsError(error, 'ResourceNotFoundException')) throw error;
  }
}

/**
 * The cluster's join credentials, kept in Secrets Manager for the nodes to read at boot with
 * their instance roles: the bootstrap token for every node, the certificate key apart, for
 * control-plane nodes only. The values are made here and never leave: the activity returns
 * only where they are.
 */
export function secretActivities(deps: AwsDeps) {
  return {
    async ensureJoinSecret({ scope }: ClusterScoped): Promise<JoinSecretInfo> {
      const { owner } = scope;
      return withSession(deps, scope, async ({ secrets }) => {
        // Both values are made together, so the token and the key always belong to one cluster.
        const credentials = generateJoinCredentials();
        const secretName = joinSecretName(owner);
        const secretArn = await ensureSecret(secrets, owner, secretName, JOIN_SECRET_KEY, `kubeadm bootstrap token of cluster ${owner.cluster} (Clusterflow)`, () =>
          JSON.stringify({ bootstrapToken: credentials.bootstrapToken }),
        );
        const cpName = controlPlaneSecretName(owner);
        const cpArn = await ensureSecret(secrets, owner, cpName, CONTROL_PLANE_SECRET_KEY, `kubeadm certificate key of cluster ${owner.cluster}, for control-plane nodes (Clusterflow)`, () =>
          JSON.stringify({ certificateKey: credentials.certificateKey }),
        );
        return { secretName, secretArn, controlPlaneSecretName: cpName, controlPlaneSecretArn: cpArn };
      });
    },

    async deleteJoinSecret({ scope }: ClusterScoped): Promise<void> {
      await withSession(deps, scope, async ({ secrets }) => {
        await deleteSecret(secrets, scope.owner, controlPlaneSecretName(scope.owner), CONTROL_PLANE_SECRET_KEY);
        await deleteSecret(secrets, scope.owner, joinSecretName(scope.owner), JOIN_SECRET_KEY);
      });
    },
  };
}
