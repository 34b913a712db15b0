import type { Hook } from './context';
import { AwsError } from './errors';

/**
 * Names AWS refuses and moto accepts. moto 5.2.5 creates a 66-character IAM role, a 40-character
 * classic or network load balancer and a security group called `sg-…`; AWS refuses each at the create, so
 * a name derived from a long cluster name would pass every test here and fail in a real
 * account. The simulator refuses them as AWS does, before moto sees the call.
 */
interface NameRule {
  /** The request parameter that holds the name. */
  param: string;
  max: number;
  /** What the name may be made of, in AWS's words when it refuses. */
  pattern?: RegExp;
  patternText?: string;
  /** Names AWS reserves. */
  forbidden?: { test: (name: string) => boolean; message: (name: string) => string };
  code: string;
}

function refusing(rule: NameRule): Hook {
  return (ctx) => {
    const name = ctx.call.params.get(rule.param) ?? '';
    if (name.length > rule.max) {
      throw new AwsError(rule.code, `1 validation error detected: Value '${name}' at '${rule.param}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`, 400);
    }
    if (rule.pattern && !rule.pattern.test(name)) {
      throw new AwsError(rule.code, `1 validation error detected: Value '${name}' at '${rule.param}' failed to satisfy constraint: ${rule.patternText}`, 400);
    }
    if (rule.forbidden?.test(name)) throw new AwsError(rule.code, rule.forbidden.message(name), 400);
    return ctx.forward();
  };
}

/** IAM: roles 64 characters, instance profiles 128, both `[\w+=,.@-]+`. */
export const IAM_NAME_HOOKS: Record<string, Hook> = {
  CreateRole: refusing({ param: 'RoleName', max: 64, pattern: /^[\w+=,.@-]+$/, patternText: 'Member must satisfy regular expression pattern: [\\w+=,.@-]+', code: 'ValidationError' }),
  CreateInstanceProfile: refusing({
    param: 'InstanceProfileName',
    max: 128,
    pattern: /^[\w+=,.@-]+$/,
    patternText: 'Member must satisfy regular expression pattern: [\\w+=,.@-]+',
    code: 'ValidationError',
  }),
};

/** Classic ELB: 32 characters, letters, digits and hyphens, no hyphen at either end. */
export const ELB_NAME_HOOKS: Record<string, Hook> = {
  CreateLoadBalancer: refusing({
    param: 'LoadBalancerName',
    max: 32,
    pattern: /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/,
    patternText: 'LoadBalancerName must contain only alphanumeric characters or hyphens, and cannot begin or end with a hyphen',
    code: 'ValidationError',
  }),
};

/** ELBv2 load balancers and target groups: the same 32 characters; target group names also without `--`. */
export const ELBV2_NAME_HOOKS: Record<string, Hook> = {
  CreateLoadBalancer: refusing({
    param: 'Name',
    max: 32,
    pattern: /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/,
    patternText: 'Name must contain only alphanumeric characters or hyphens, and cannot begin or end with a hyphen',
    code: 'ValidationError',
  }),
};

/** EC2 security groups: 255 characters, and never `sg-…` (that is how group ids look). */
export const EC2_NAME_HOOKS: Record<string, Hook> = {
  CreateSecurityGroup: refusing({
    param: 'GroupName',
    max: 255,
    forbidden: { test: (name) => /^sg-/i.test(name), message: (name) => `Group names may not be in the format sg-*. (${name})` },
    code: 'InvalidParameterValue',
  }),
};
