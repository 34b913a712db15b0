import type { Hook } from './context';
import { AwsError } from './errors';
import { IAM_NAME_HOOKS } from './name-limits';
import { child, items, text } from './xml';

/**
 * IAM where moto answers differently from AWS.
 *
 * RemoveRoleFromInstanceProfile for a role the profile does not hold: AWS answers
 * NoSuchEntity (404); moto 5.2.5 fails with an HTML 500 (`list.remove(x): x not in list`).
 * A delete retried after a crash between its two IAM calls meets exactly this, and a 500
 * looks retryable, so a client that is right for AWS would retry it forever.
 */
const removeRoleFromInstanceProfile: Hook = async (ctx) => {
  const profileName = ctx.call.params.get('InstanceProfileName') ?? '';
  const roleName = ctx.call.params.get('RoleName') ?? '';
  // A missing profile or role: moto already answers NoSuchEntity like AWS.
  const root = await ctx.sim.moto.query('iam', ctx.caller, 'GetInstanceProfile', { InstanceProfileName: profileName }).catch(() => undefined);
  const profile = child(child(root, 'GetInstanceProfileResult'), 'InstanceProfile');
  if (profile) {
    const roles = items(profile, 'Roles', 'member').map((role) => text(role, 'RoleName'));
    if (!roles.includes(roleName)) {
      throw new AwsError('NoSuchEntity', `The role with name ${roleName} cannot be found in instance profile ${profileName}.`, 404);
    }
  }
  return ctx.forward();
};

export const IAM_HOOKS: Record<string, Hook> = {
  ...IAM_NAME_HOOKS,
  RemoveRoleFromInstanceProfile: removeRoleFromInstanceProfile,
};
