import {
  ApplySecurityGroupsToLoadBalancerCommand,
  AttachLoadBalancerToSubnetsCommand,
  ConfigureHealthCheckCommand,
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingClient,
  LoadBalancerDescription,
  ModifyLoadBalancerAttributesCommand,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import { ApplicationFailure } from '@temporalio/common';
import { Owner, resourceTags } from '../../common/tags';
import { isAwsError } from '../../cloud/aws-errors';
import { isOwned, shortHash, toAwsTags } from '../ownership';
import type { EnsureApiEndpointInput } from '../types';
import type { ApiEndpointDriver } from './api-endpoint';

/** Classic ELB names: at most 32 letters, digits and hyphens, no hyphen at either end. */
const MAX_NAME = 32;

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The load balancer's name, the only handle classic ELB has: readable (cluster name and the
 * key's last part) and unique (a hash of project/cluster and key), so two projects' clusters
 * of the same name never collide.
 */
export function loadBalancerName(owner: Owner, key: string): string {
  const hash = shortHash(`${owner.cluster}\u0000${key}`);
  const role = slug(key.split('/').pop() ?? '') || 'lb';
  const readable = `${slug(owner.clusterName)}-${role}`.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '');
  return readable && !readable.startsWith('-') ? `${readable}-${hash}` : `cf-${hash}`;
}

async function describeByName(elb: ElasticLoadBalancingClient, name: string): Promise<LoadBalancerDescription | undefined> {
  try {
    const answer = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [name] }));
    return answer.LoadBalancerDescriptions?.[0];
  } catch (error) {
    if (isAwsError(error, 'LoadBalancerNotFound', 'AccessPointNotFoundException')) return undefined;
    throw error;
  }
}

async function ownedByKey(elb: ElasticLoadBalancingClient, name: string, owner: Owner, key: string): Promise<boolean> {
  const answer = await elb.send(new DescribeTagsCommand({ LoadBalancerNames: [name] }));
  return isOwned(answer.TagDescriptions?.[0]?.Tags, owner, key);
}

/** Makes an existing load balancer match the request (a crash may have come mid-way). */
async function reconcile(elb: ElasticLoadBalancingClient, current: LoadBalancerDescription, input: EnsureApiEndpointInput): Promise<void> {
  const name = current.LoadBalancerName!;
  const missingSubnets = input.subnetIds.filter((id) => !(current.Subnets ?? []).includes(id));
  if (missingSubnets.length > 0) {
    await elb.send(new AttachLoadBalancerToSubnetsCommand({ LoadBalancerName: name, Subnets: missingSubnets }));
  }
  const groups = [...(current.SecurityGroups ?? [])].sort().join(',');
  if (groups !== [...input.securityGroupIds].sort().join(',')) {
    await elb.send(new ApplySecurityGroupsToLoadBalancerCommand({ LoadBalancerName: name, SecurityGroups: input.securityGroupIds }));
  }
  const target = `TCP:${input.port}`;
  if (current.HealthCheck?.Target !== target) {
    // The health check is set last and marks the setup done, so a crash before it redoes both.
    // Spread the API server's traffic over every AZ's nodes, not only the caller's AZ.
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerName: name,
        LoadBalancerAttributes: { CrossZoneLoadBalancing: { Enabled: true } },
      }),
    );
    // Short interval and thresholds: a replaced control-plane node counts as ready within ~20 s.
    await elb.send(
      new ConfigureHealthCheckCommand({
        LoadBalancerName: name,
        HealthCheck: { Target: target, Interval: 10, Timeout: 5, HealthyThreshold: 2, UnhealthyThreshold: 2 },
      }),
    );
  }
}

/** The API server's classic load balancer: internet-facing, TCP straight through to the control plane. */
export const classicElb: ApiEndpointDriver = {
  kind: 'classic-elb',

  async ensure({ elb }, input) {
    const name = loadBalancerName(input.scope.owner, input.key);
    let current = await describeByName(elb, name);
    if (!current) {
      try {
        await elb.send(
          new CreateLoadBalancerCommand({
            LoadBalancerName: name,
            Scheme: 'internet-facing',
            Listeners: [{ Protocol: 'TCP', LoadBalancerPort: input.port, InstanceProtocol: 'TCP', InstancePort: input.port }],
            Subnets: input.subnetIds,
            SecurityGroups: input.securityGroupIds,
            Tags: toAwsTags(resourceTags(input.scope.owner, input.key)),
          }),
        );
      } catch (error) {
        // An earlier attempt created it; the ownership check below decides whether it is ours.
        if (!isAwsError(error, 'DuplicateLoadBalancerName', 'DuplicateAccessPointNameException')) throw error;
      }
      current = await describeByName(elb, name);
      if (!current) throw ApplicationFailure.retryable(`load balancer ${name} is not visible yet`, 'LoadBalancerNotVisible');
    }
    if (!(await ownedByKey(elb, name, input.scope.owner, input.key))) {
      throw ApplicationFailure.nonRetryable(`a load balancer named ${name} exists and is not this cluster's ${input.key}`, 'LoadBalancerNameTaken');
    }
    await reconcile(elb, current, input);
    return { kind: 'classic-elb', name, dnsName: current.DNSName! };
  },

  /**
   * Registers the instances not yet registered. ELB itself ignores a repeated registration,
   * but asking only for what is missing keeps a retry from depending on that (moto does not).
   */
  async register({ elb }, { name }, instanceIds) {
    const current = await describeByName(elb, name);
    if (!current) throw ApplicationFailure.nonRetryable(`load balancer ${name} does not exist`, 'LoadBalancerNotFound');
    const registered = new Set((current.Instances ?? []).map((instance) => instance.InstanceId));
    const missing = [...new Set(instanceIds)].filter((id) => !registered.has(id));
    if (missing.length === 0) return;
    await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: name, Instances: missing.map((InstanceId) => ({ InstanceId })) }));
  },

  async deregister({ elb }, { name }, instanceIds) {
    const current = await describeByName(elb, name);
    if (!current) return;
    const registered = new Set((current.Instances ?? []).map((instance) => instance.InstanceId));
    const present = [...new Set(instanceIds)].filter((id) => registered.has(id));
    if (present.length === 0) return;
    try {
      await elb.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: name, Instances: present.map((InstanceId) => ({ InstanceId })) }));
    } catch (error) {
      // Deleted between our describe and the call: nothing left to deregister from.
      if (!isAwsError(error, 'LoadBalancerNotFound', 'AccessPointNotFoundException')) throw error;
    }
  },

  /** InService: the health check (TCP 6443) passed, so the API server answers through the ELB. */
  async health({ elb }, { name }, instanceId) {
    const health = await elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name, Instances: [{ InstanceId: instanceId }] }));
    const member = health.InstanceStates?.[0];
    if (member?.State === 'InService') return { ready: true, status: 'InService' };
    return { ready: false, status: `${member?.State ?? 'not registered'} behind ${name}${member?.Description ? `: ${member.Description}` : ''}` };
  },

  async delete({ elb }, owner, key) {
    const name = loadBalancerName(owner, key);
    if (!(await describeByName(elb, name))) return;
    // Never delete a same-named load balancer this cluster did not make.
    if (!(await ownedByKey(elb, name, owner, key))) return;
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: name }));
  },
};
