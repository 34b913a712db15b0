import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  IpPermission,
  RevokeSecurityGroupIngressCommand,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { Owner, resourceTags } from '../common/tags';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { isAwsError, isNotFound } from '../cloud/aws-errors';
import { byId, clusterFilters, isOwned, ownedFilters, tagSpecifications } from './ownership';
import { retryWhileBusy } from './polling';
import { EnsureSecurityGroupInput, IngressRule, Keyed, Scope } from './types';
import { sentOnce } from '../cloud/aws-retry';

async function findGroups(ec2: EC2Client, { scope, key }: Keyed, vpcId?: string): Promise<SecurityGroup[]> {
  const filters = ownedFilters(scope.owner, key);
  if (vpcId) filters.push({ Name: 'vpc-id', Values: [vpcId] });
  const answer = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters }));
  return byId((answer.SecurityGroups ?? []).filter((group) => isOwned(group.Tags, scope.owner, key)), (group) => group.GroupId);
}

/**
 * One ingress grant: a protocol and port range from a single source. Rules are compared and
 * authorized at this grain, so an existing grant never makes a whole batch fail as duplicate.
 */
export interface Grant {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidr?: string;
  groupId?: string;
  description?: string;
}

/** Ports mean nothing for "all traffic"; AWS reports them as absent or -1. */
function portsOf(protocol: string, from?: number, to?: number): { fromPort?: number; toPort?: number } {
  return protocol === '-1' ? {} : { fromPort: from, toPort: to };
}

export function grantKey(grant: Grant): string {
  return [grant.protocol, grant.fromPort ?? '', grant.toPort ?? '', grant.cidr ?? '', grant.groupId ?? ''].join('|');
}

export function grantsOfRules(rules: IngressRule[]): Grant[] {
  return rules.flatMap((rule) => {
    const base = { protocol: rule.protocol, ...portsOf(rule.protocol, rule.fromPort, rule.toPort), description: rule.description };
    return [
      ...(rule.cidrs ?? []).map((cidr) => ({ ...base, cidr })),
      ...(rule.sourceGroupIds ?? []).map((groupId) => ({ ...base, groupId })),
    ];
  });
}

export function grantsOfPermissions(permissions: IpPermission[] | undefined): Grant[] {
  return (permissions ?? []).flatMap((permission) => {
    const protocol = permission.IpProtocol ?? '-1';
    const base = { protocol, ...portsOf(protocol, permission.FromPort, permission.ToPort) };
    return [
      ...(permission.IpRanges ?? []).map((range) => ({ ...base, cidr: range.CidrIp })),
      ...(permission.UserIdGroupPairs ?? []).map((pair) => ({ ...base, groupId: pair.GroupId })),
    ];
  });
}

function permissionOf(grant: Grant): IpPermission {
  return {
    IpProtocol: grant.protocol,
    FromPort: grant.fromPort,
    ToPort: grant.toPort,
    IpRanges: grant.cidr ? [{ CidrIp: grant.cidr, Description: grant.description }] : undefined,
    UserIdGroupPairs: grant.groupId ? [{ GroupId: grant.groupId, Description: grant.description }] : undefined,
  };
}

/** Adds the grants the group lacks. Extra grants are left alone: ensure only adds. */
async function authorizeMissing(ec2: EC2Client, group: SecurityGroup, rules: IngressRule[]): Promise<void> {
  const present = new Set(grantsOfPermissions(group.IpPermissions).map(grantKey));
  for (const grant of grantsOfRules(rules)) {
    if (present.has(grantKey(grant))) continue;
    try {
      await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: [permissionOf(grant)] }));
    } catch (error) {
      if (!isAwsError(error, 'InvalidPermission.Duplicate')) throw error;
    }
    present.add(grantKey(grant));
  }
}

async function revoke(ec2: EC2Client, groupId: string, grants: Grant[]): Promise<void> {
  for (const grant of grants) {
    try {
      await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permissionOf({ ...grant, description: undefined })] }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/**
 * Before a group can go, no other group may reference it: revoke its own ingress and every
 * grant that other groups of the same cluster give it. Groups outside the cluster are never touched.
 */
async function releaseReferences(ec2: EC2Client, scope: Scope, group: SecurityGroup): Promise<void> {
  await revoke(ec2, group.GroupId!, grantsOfPermissions(group.IpPermissions));
  const answer = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: clusterFilters(scope.owner) }));
  for (const other of answer.SecurityGroups ?? []) {
    if (other.GroupId === group.GroupId || !isOwned(other.Tags, scope.owner)) continue;
    const referencing = grantsOfPermissions(other.IpPermissions).filter((grant) => grant.groupId === group.GroupId);
    await revoke(ec2, other.GroupId!, referencing);
  }
}

/**
 * A group's name: its Name tag (unique per cluster and key, and group names are unique per
 * VPC), except that EC2 refuses names that look like group ids, so a cluster called `sg-…`
 * gets its groups named `cf-sg-…`.
 */
export function securityGroupName(owner: Owner, key: string): string {
  const name = resourceTags(owner, key).Name;
  return /^sg-/i.test(name) ? `cf-${name}` : name;
}

/** Security groups of the bastion, the nodes and the load balancer. */
export function securityGroupActivities(deps: AwsDeps) {
  return {
    async ensureSecurityGroup(input: EnsureSecurityGroupInput): Promise<{ groupId: string }> {
      return withSession(deps, input.scope, async ({ ec2 }) => {
        let [group] = await findGroups(ec2, input, input.vpcId);
        if (!group) {
          const groupName = securityGroupName(input.scope.owner, input.key);
          try {
            const created = await ec2.send(
              sentOnce(new CreateSecurityGroupCommand({
                GroupName: groupName,
                Description: input.description,
                VpcId: input.vpcId,
                TagSpecifications: tagSpecifications(['security-group'], input.scope.owner, input.key),
              })),
            );
            group = { GroupId: created.GroupId, IpPermissions: [] };
          } catch (error) {
            if (!isAwsError(error, 'InvalidGroup.Duplicate')) throw error;
            const answer = await ec2.send(
              new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [input.vpcId] }, { Name: 'group-name', Values: [groupName] }] }),
            );
            group = answer.SecurityGroups?.[0] ?? {};
            if (!isOwned(group.Tags, input.scope.owner, input.key)) {
              throw ApplicationFailure.nonRetryable(
                `a security group named ${groupName} already exists in ${input.vpcId} and is not this cluster's`,
                'SecurityGroupNameTaken',
              );
            }
          }
        }
        await authorizeMissing(ec2, group, input.ingress);
        return { groupId: group.GroupId! };
      });
    },

    /** Deletes the group, waiting a while for network interfaces still using it (DependencyViolation). */
    async deleteSecurityGroup(input: Keyed): Promise<void> {
      await withSession(deps, input.scope, async ({ ec2 }) => {
        for (const group of await findGroups(ec2, input)) {
          await releaseReferences(ec2, input.scope, group);
          try {
            await retryWhileBusy(`delete ${group.GroupId}`, ['DependencyViolation'], () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId })));
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      });
    },
  };
}
