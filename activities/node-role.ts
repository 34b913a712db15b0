import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/common';
import { Owner, resourceTags } from '../common/tags';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isAwsError } from '../cloud/aws-errors';
import { isOwned, shortHash, toAwsTags } from './ownership';
import { ClusterScoped } from './types';

/** Who a node role is for: each gets its own role and instance profile. */
export type NodeAudience = 'worker' | 'control-plane';

/** Resource keys of the two roles (and their instance profiles). */
export const NODE_ROLE_KEYS: Record<NodeAudience, string> = { worker: 'iam/worker-node', 'control-plane': 'iam/control-plane-node' };
/** The single role every node shared before the roles were split; deletes still remove it. */
export const LEGACY_NODE_ROLE_KEY = 'iam/node';
const POLICY_NAME = 'read-join-secret';
const IAM_NAME_LIMIT = 64;
const SUFFIX: Record<NodeAudience, string> = { worker: 'worker', 'control-plane': 'control-plane' };

/**
 * IAM names are account-wide: as much of the cluster's name as fits, plus a hash of
 * `<project>/<name>` that keeps two projects' clusters (and two long names sharing a prefix)
 * apart, within IAM's 64 characters for roles and instance profiles.
 */
export function nodeRoleName(owner: Owner, audience: NodeAudience): string {
  const hash = shortHash(owner.cluster);
  const fixed = `clusterflow--${hash}-${SUFFIX[audience]}`.length;
  const name = owner.clusterName.slice(0, IAM_NAME_LIMIT - fixed).replace(/-+$/, '');
  return `clusterflow-${name}-${hash}-${SUFFIX[audience]}`;
}

/** The name the single shared node role had; kept only so deletes find it. */
export function legacyNodeRoleName(owner: Owner): string {
  return `clusterflow-${owner.clusterName.slice(0, 40)}-${shortHash(owner.cluster)}-node`;
}

function notFound(error: unknown): boolean {
  return isAwsError(error, 'NoSuchEntity') || isAwsError(error, 'NoSuchEntityException');
}

function alreadyExists(error: unknown): boolean {
  return isAwsError(error, 'EntityAlreadyExists') || isAwsError(error, 'EntityAlreadyExistsException');
}

async function ignoreMissing(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!notFound(error)) throw error;
  }
}

/** The answer of a Get call, or undefined when the entity does not exist. */
async function lookUp<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (notFound(error)) return undefined;
    throw error;
  }
}

function notOurs(kind: string, name: string, owner: Owner): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${kind} ${name} exists and does not belong to cluster ${owner.cluster}`, 'ResourceNotOwned');
}

async function ensureRole(iam: IAMClient, owner: Owner, name: string, key: string, audience: NodeAudience): Promise<void> {
  const existing = (await lookUp(() => iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
  if (existing) {
    // A role of that name that is not ours is not adopted.
    if (!isOwned(existing.Tags, owner, key)) throw notOurs('IAM role', name, owner);
    return;
  }
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Description: `Clusterflow ${audience} nodes of ${owner.cluster}`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        Tags: toAwsTags(resourceTags(owner, key)),
      }),
    );
  } catch (error) {
    // A resend after a lost answer finds the role made: ours, adopted. One someone else made
    // since our look-up is theirs.
    if (!alreadyExists(error)) throw error;
    const holder = (await lookUp(() => iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
    if (!holder) throw error;
    if (!isOwned(holder.Tags, owner, key)) throw notOurs('IAM role', name, owner);
  }
}

/** A node role's only permission: read these secrets of its cluster (the ones meant for its audience). */
export function nodePolicy(secretArns: string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [...secretArns].sort() }],
  });
}

async function ensureInstanceProfile(iam: IAMClient, owner: Owner, name: string, key: string): Promise<void> {
  let roles: string[] = [];
  const profile = (await lookUp(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))))?.InstanceProfile;
  if (profile) {
    if (!isOwned(profile.Tags, owner, key)) throw notOurs('IAM instance profile', name, owner);
    roles = (profile.Roles ?? []).map((r) => r.RoleName!);
  } else {
    try {
      await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: toAwsTags(resourceTags(owner, key)) }));
    } catch (created) {
      // Ours (a resend after a lost answer) is adopted; someone else's, made since our look-up, is not.
      if (!alreadyExists(created)) throw created;
      const holder = (await lookUp(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))))?.InstanceProfile;
      if (!holder) throw created;
      if (!isOwned(holder.Tags, owner, key)) throw notOurs('IAM instance profile', name, owner);
      roles = (holder.Roles ?? []).map((r) => r.RoleName!);
    }
  }
  if (!roles.includes(name)) {
    try {
      await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
    } catch (error) {
      // A profile holds one role; it is already ours.
      if (!isAwsError(error, 'LimitExceeded') && !isAwsError(error, 'LimitExceededException')) throw error;
    }
  }
}

/**
 * Undoes one role and its instance profile in reverse; whatever is already gone counts as
 * done. It looks before it acts: only roles the profile still holds are removed (a retry after
 * a crash between two calls goes straight on), and a role or profile of this name that is not
 * the cluster's (ensure refused to adopt it) is left alone.
 */
async function deleteRoleAndProfile(iam: IAMClient, owner: Owner, name: string, key: string): Promise<void> {
  const profile = await lookUp(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })));
  if (profile?.InstanceProfile && isOwned(profile.InstanceProfile.Tags, owner, key)) {
    for (const role of profile.InstanceProfile.Roles ?? []) {
      await ignoreMissing(() => iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role.RoleName })));
    }
    await ignoreMissing(() => iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })));
  }
  const role = await lookUp(() => iam.send(new GetRoleCommand({ RoleName: name })));
  if (role?.Role && isOwned(role.Role.Tags, owner, key)) {
    await ignoreMissing(() => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: POLICY_NAME })));
    await ignoreMissing(() => iam.send(new DeleteRoleCommand({ RoleName: name })));
  }
}

export interface NodeInstanceProfiles {
  /** Worker nodes' profile: may read the bootstrap token only. */
  instanceProfileName: string;
  /** Control-plane nodes' profile: the bootstrap token and the certificate key. Absent in results recorded before the split. */
  controlPlaneInstanceProfileName?: string;
}

/**
 * The nodes' identities: a role and instance profile for workers, allowed to read the join
 * secret and nothing else, and one for control-plane nodes, allowed the join secret and the
 * control-plane secret. Each step is idempotent.
 */
export function nodeRoleActivities(deps: AwsDeps) {
  return {
    async ensureNodeInstanceProfile({ scope, secretArn, controlPlaneSecretArn }: ClusterScoped & { secretArn: string; controlPlaneSecretArn?: string }): Promise<NodeInstanceProfiles> {
      const readable: Record<NodeAudience, string[]> = {
        worker: [secretArn],
        'control-plane': controlPlaneSecretArn ? [secretArn, controlPlaneSecretArn] : [secretArn],
      };
      return withSession(deps, scope, async ({ iam }) => {
        for (const audience of ['worker', 'control-plane'] as const) {
          const name = nodeRoleName(scope.owner, audience);
          const key = NODE_ROLE_KEYS[audience];
          await ensureRole(iam, scope.owner, name, key, audience);
          // Put every time: an ensure after a change of secrets tightens the policy to them.
          await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: POLICY_NAME, PolicyDocument: nodePolicy(readable[audience]) }));
          await ensureInstanceProfile(iam, scope.owner, name, key);
        }
        return { instanceProfileName: nodeRoleName(scope.owner, 'worker'), controlPlaneInstanceProfileName: nodeRoleName(scope.owner, 'control-plane') };
      });
    },

    /** Removes both roles and profiles, and the single one clusters created earlier had. */
    async deleteNodeInstanceProfile({ scope }: ClusterScoped): Promise<void> {
      await withSession(deps, scope, async ({ iam }) => {
        for (const audience of ['worker', 'control-plane'] as const) {
          await deleteRoleAndProfile(iam, scope.owner, nodeRoleName(scope.owner, audience), NODE_ROLE_KEYS[audience]);
        }
        await deleteRoleAndProfile(iam, scope.owner, legacyNodeRoleName(scope.owner), LEGACY_NODE_ROLE_KEY);
      });
    },
  };
}
