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
import { AwsDeps, withSession } from './aws-session';
import { isAwsError } from './aws-errors';
import { isOwned, shortHash, toAwsTags } from './ownership';
import { ClusterScoped } from './types';

export const NODE_ROLE_KEY = 'iam/node';
const POLICY_NAME = 'read-join-secret';

/**
 * IAM names are account-wide: the cluster's name plus a hash of `<project>/<name>` keeps two
 * projects' clusters of the same name apart, within IAM's 64 characters.
 */
export function nodeRoleName(owner: Owner): string {
  const hash = shortHash(owner.cluster);
  return `clusterflow-${owner.clusterName.slice(0, 40)}-${hash}-node`;
}

function notFound(error: unknown): boolean {
  return isAwsError(error, 'NoSuchEntity') || isAwsError(error, 'NoSuchEntityException');
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

async function ensureRole(iam: IAMClient, owner: Owner, name: string): Promise<void> {
  const existing = (await lookUp(() => iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
  if (existing) {
    // A role of that name that is not ours is not adopted.
    if (!isOwned(existing.Tags, owner, NODE_ROLE_KEY)) {
      throw ApplicationFailure.nonRetryable(`IAM role ${name} exists and does not belong to cluster ${owner.cluster}`, 'ResourceNotOwned');
    }
    return;
  }
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Description: `Clusterflow nodes of ${owner.cluster}`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        Tags: toAwsTags(resourceTags(owner, NODE_ROLE_KEY)),
      }),
    );
  } catch (error) {
    // A retry after a lost answer finds the role made.
    if (!isAwsError(error, 'EntityAlreadyExists') && !isAwsError(error, 'EntityAlreadyExistsException')) throw error;
  }
}

/**
 * The nodes' identity: a role that may read the cluster's join secret and nothing else, and
 * the instance profile that gives it to the nodes. Each step is idempotent.
 */
export function nodeRoleActivities(deps: AwsDeps) {
  return {
    async ensureNodeInstanceProfile({ scope, secretArn }: ClusterScoped & { secretArn: string }): Promise<{ instanceProfileName: string }> {
      const name = nodeRoleName(scope.owner);
      return withSession(deps, scope, async ({ iam }) => {
        await ensureRole(iam, scope.owner, name);
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: name,
            PolicyName: POLICY_NAME,
            PolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArn }],
            }),
          }),
        );
        let roles: string[] = [];
        const profile = (await lookUp(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))))?.InstanceProfile;
        if (profile) {
          if (!isOwned(profile.Tags, scope.owner, NODE_ROLE_KEY)) {
            throw ApplicationFailure.nonRetryable(`IAM instance profile ${name} exists and does not belong to cluster ${scope.owner.cluster}`, 'ResourceNotOwned');
          }
          roles = (profile.Roles ?? []).map((r) => r.RoleName!);
        } else {
          try {
            await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: toAwsTags(resourceTags(scope.owner, NODE_ROLE_KEY)) }));
          } catch (created) {
            if (!isAwsError(created, 'EntityAlreadyExists') && !isAwsError(created, 'EntityAlreadyExistsException')) throw created;
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
        return { instanceProfileName: name };
      });
    },

    /**
     * Undoes ensureNodeInstanceProfile in reverse; whatever is already gone counts as done.
     * It looks before it acts: only roles the profile still holds are removed (a retry after a
     * crash between two calls goes straight on), and a role or profile of this name that is not
     * the cluster's (ensure refused to adopt it) is left alone.
     */
    async deleteNodeInstanceProfile({ scope }: ClusterScoped): Promise<void> {
      const name = nodeRoleName(scope.owner);
      await withSession(deps, scope, async ({ iam }) => {
        const profile = await lookUp(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })));
        if (profile?.InstanceProfile && isOwned(profile.InstanceProfile.Tags, scope.owner, NODE_ROLE_KEY)) {
          for (const role of profile.InstanceProfile.Roles ?? []) {
            await ignoreMissing(() => iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role.RoleName })));
          }
          await ignoreMissing(() => iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })));
        }
        const role = await lookUp(() => iam.send(new GetRoleCommand({ RoleName: name })));
        if (role?.Role && isOwned(role.Role.Tags, scope.owner, NODE_ROLE_KEY)) {
          await ignoreMissing(() => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: POLICY_NAME })));
          await ignoreMissing(() => iam.send(new DeleteRoleCommand({ RoleName: name })));
        }
      });
    },
  };
}
