import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  Listener,
  LoadBalancer,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationFailure } from '@temporalio/common';
import { endpointPartKeys, type ApiEndpointRef } from '../../common/api-endpoint';
import { Owner, resourceTags } from '../../common/tags';
import { isAwsError } from '../../cloud/aws-errors';
import { sentOnce } from '../../cloud/aws-retry';
import type { PollReads } from '../../cloud/poll-reads';
import { isOwned, toAwsTags } from '../ownership';
import { expectedReadyMs, pollUntil, readyAt, retryWhileBusy } from '../polling';
import type { EnsureApiEndpointInput } from '../types';
import type { ApiEndpointDriver } from './api-endpoint';
import { loadBalancerName } from './classic-elb';

/**
 * The API server's network load balancer: internet-facing across the public subnets, a TCP
 * listener on the API port forwarding to a target group of the control-plane instances
 * (TCP health check on the same port), cross-zone load balancing on.
 *
 * Three resources, each found by its name (ELBv2 names are unique per account and region)
 * and adopted only when it carries this cluster's tags for its key; each is tagged in its
 * create call. moto does not refuse a second load balancer or listener of the same name or
 * port, so every create is looked up first and sent once (`sentOnce`): after a lost answer,
 * the activity's next attempt finds what it made instead of making another.
 */

const NOT_FOUND = {
  loadBalancer: ['LoadBalancerNotFound', 'LoadBalancerNotFoundException'],
  targetGroup: ['TargetGroupNotFound', 'TargetGroupNotFoundException'],
  listener: ['ListenerNotFound', 'ListenerNotFoundException'],
};

/** Short interval and thresholds: a replaced control-plane node counts as healthy within ~20 s. */
const HEALTH_CHECK = { HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 };

/**
 * Target group attributes the endpoint needs. Without client IP preservation a control-plane
 * node that reaches the API through the load balancer is never routed to itself and dropped
 * (NLB hairpinning), and its security group still admits the traffic: it comes from the load
 * balancer, whose security group the control-plane group allows.
 */
const TARGET_GROUP_ATTRIBUTES: Record<string, string> = { 'preserve_client_ip.enabled': 'false' };

const CROSS_ZONE = 'load_balancing.cross_zone.enabled';

/** The names of the endpoint's load balancer and target group: the one derivation both kinds share. */
export function networkLbNames(owner: Owner, key: string): { loadBalancer: string; targetGroup: string } {
  return { loadBalancer: loadBalancerName(owner, key), targetGroup: loadBalancerName(owner, endpointPartKeys(key).targetGroup) };
}

async function loadBalancerByName(elbv2: ElasticLoadBalancingV2Client, name: string): Promise<LoadBalancer | undefined> {
  try {
    return (await elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (error) {
    if (isAwsError(error, ...NOT_FOUND.loadBalancer)) return undefined;
    throw error;
  }
}

async function targetGroupByName(elbv2: ElasticLoadBalancingV2Client, name: string): Promise<TargetGroup | undefined> {
  try {
    return (await elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0];
  } catch (error) {
    if (isAwsError(error, ...NOT_FOUND.targetGroup)) return undefined;
    throw error;
  }
}

async function listenerOnPort(elbv2: ElasticLoadBalancingV2Client, loadBalancerArn: string, port: number): Promise<Listener | undefined> {
  const answer = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }));
  return (answer.Listeners ?? []).filter((l) => l.Port === port).sort((a, b) => (a.ListenerArn ?? '').localeCompare(b.ListenerArn ?? ''))[0];
}

async function ownedByKey(elbv2: ElasticLoadBalancingV2Client, arn: string, owner: Owner, key: string): Promise<boolean> {
  const answer = await elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  return isOwned(answer.TagDescriptions?.[0]?.Tags, owner, key);
}

function taken(what: string, name: string, key: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`a ${what} named ${name} exists and is not this cluster's ${key}`, 'LoadBalancerNameTaken');
}

/** The load balancer, made or found, in the subnets and groups asked for. */
async function ensureLoadBalancer(elbv2: ElasticLoadBalancingV2Client, input: EnsureApiEndpointInput, name: string): Promise<LoadBalancer> {
  let current = await loadBalancerByName(elbv2, name);
  if (!current) {
    try {
      await elbv2.send(
        sentOnce(
          new CreateLoadBalancerCommand({
            Name: name,
            Type: 'network',
            Scheme: 'internet-facing',
            Subnets: input.subnetIds,
            // Security groups can be given to a network load balancer only when it is made.
            SecurityGroups: input.securityGroupIds,
            Tags: toAwsTags(resourceTags(input.scope.owner, input.key)),
          }),
        ),
      );
    } catch (error) {
      // AWS answers a same-named create with different settings so; the ownership check decides.
      if (!isAwsError(error, 'DuplicateLoadBalancerName', 'DuplicateLoadBalancerNameException')) throw error;
    }
    current = await loadBalancerByName(elbv2, name);
    if (!current) throw ApplicationFailure.retryable(`load balancer ${name} is not visible yet`, 'LoadBalancerNotVisible');
  }
  if (current.Type !== 'network' || !(await ownedByKey(elbv2, current.LoadBalancerArn!, input.scope.owner, input.key))) {
    throw taken('load balancer', name, input.key);
  }
  const arn = current.LoadBalancerArn!;
  const subnets = (current.AvailabilityZones ?? []).map((az) => az.SubnetId);
  if (input.subnetIds.some((id) => !subnets.includes(id))) {
    await elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: arn, Subnets: [...new Set([...subnets.filter((id): id is string => !!id), ...input.subnetIds])] }));
  }
  const groups = [...(current.SecurityGroups ?? [])].sort().join(',');
  if (groups !== [...input.securityGroupIds].sort().join(',')) {
    await elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: input.securityGroupIds }));
  }
  // Spread the API server's traffic over every AZ's control-plane nodes, not only the client's AZ.
  const attributes = await elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
  if (attributes.Attributes?.find((a) => a.Key === CROSS_ZONE)?.Value !== 'true') {
    await elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key: CROSS_ZONE, Value: 'true' }] }));
  }
  return current;
}

/** The target group of the control-plane instances: TCP on the API port, health-checked there. */
async function ensureTargetGroup(elbv2: ElasticLoadBalancingV2Client, input: EnsureApiEndpointInput, name: string, vpcId: string): Promise<TargetGroup> {
  const key = endpointPartKeys(input.key).targetGroup;
  let current = await targetGroupByName(elbv2, name);
  if (!current) {
    try {
      await elbv2.send(
        sentOnce(
          new CreateTargetGroupCommand({
            Name: name,
            Protocol: 'TCP',
            Port: input.port,
            VpcId: vpcId,
            TargetType: 'instance',
            HealthCheckEnabled: true,
            HealthCheckProtocol: 'TCP',
            HealthCheckPort: 'traffic-port',
            ...HEALTH_CHECK,
            Tags: toAwsTags(resourceTags(input.scope.owner, key)),
          }),
        ),
      );
    } catch (error) {
      if (!isAwsError(error, 'DuplicateTargetGroupName', 'DuplicateTargetGroupNameException')) throw error;
    }
    current = await targetGroupByName(elbv2, name);
    if (!current) throw ApplicationFailure.retryable(`target group ${name} is not visible yet`, 'TargetGroupNotVisible');
  }
  if (!(await ownedByKey(elbv2, current.TargetGroupArn!, input.scope.owner, key))) throw taken('target group', name, key);
  if (current.VpcId !== vpcId || current.Protocol !== 'TCP' || current.Port !== input.port) {
    throw ApplicationFailure.nonRetryable(
      `target group ${name} is ${current.Protocol} ${current.Port} in ${current.VpcId}, not TCP ${input.port} in ${vpcId}: delete the cluster's endpoint and create it again`,
      'TargetGroupMismatch',
    );
  }
  const arn = current.TargetGroupArn!;
  const attributes = await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
  const have = new Map((attributes.Attributes ?? []).map((a) => [a.Key, a.Value]));
  const missing = Object.entries(TARGET_GROUP_ATTRIBUTES).filter(([k, v]) => have.get(k) !== v);
  if (missing.length > 0) {
    await elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: missing.map(([Key, Value]) => ({ Key, Value })) }));
  }
  return current;
}

/** The listener on the API port, forwarding to the target group; made last, it marks the endpoint done. */
async function ensureListener(elbv2: ElasticLoadBalancingV2Client, input: EnsureApiEndpointInput, loadBalancerArn: string, targetGroupArn: string): Promise<string> {
  const key = endpointPartKeys(input.key).listener;
  const forward = [{ Type: 'forward' as const, TargetGroupArn: targetGroupArn }];
  let current = await listenerOnPort(elbv2, loadBalancerArn, input.port);
  if (!current) {
    await elbv2.send(
      sentOnce(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Protocol: 'TCP',
          Port: input.port,
          DefaultActions: forward,
          Tags: toAwsTags(resourceTags(input.scope.owner, key)),
        }),
      ),
    );
    current = await listenerOnPort(elbv2, loadBalancerArn, input.port);
    if (!current) throw ApplicationFailure.retryable(`the listener on port ${input.port} is not visible yet`, 'ListenerNotVisible');
  }
  // The load balancer is ours (checked before), and so is whatever listens on it.
  const forwardsTo = current.DefaultActions?.map((a) => a.TargetGroupArn ?? a.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn);
  if (current.Protocol !== 'TCP' || forwardsTo?.length !== 1 || forwardsTo[0] !== targetGroupArn) {
    await elbv2.send(new ModifyListenerCommand({ ListenerArn: current.ListenerArn, Protocol: 'TCP', Port: input.port, DefaultActions: forward }));
  }
  return current.ListenerArn!;
}

function targetGroupOf(endpoint: ApiEndpointRef): string {
  if (!endpoint.targetGroupArn) {
    throw ApplicationFailure.nonRetryable(`the API endpoint ${endpoint.name} names no target group`, 'ApiEndpointIncomplete');
  }
  return endpoint.targetGroupArn;
}

/** Targets the group counts as members now (draining and unused ones have left). */
async function members(elbv2: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<Set<string>> {
  const answer = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return new Set(
    (answer.TargetHealthDescriptions ?? [])
      .filter((d) => !['draining', 'unused'].includes(d.TargetHealth?.State ?? ''))
      .map((d) => d.Target?.Id)
      .filter((id): id is string => !!id),
  );
}

/** Waits until every instance runs; one that is stopping, stopped or gone fails for good. */
async function untilRunning(polls: PollReads, ids: string[], endpointName: string): Promise<void> {
  if (ids.length === 0) return;
  await pollUntil(`${ids.join(', ')} running, to register with ${endpointName}`, async () => {
    // An instance EC2 does not list yet is pending, not an error; the reads are batched (AwsSession.polls).
    const seen = await Promise.all(ids.map((id) => polls.instance(id)));
    const states = new Map(ids.map((id, i) => [id, seen[i]?.State?.Name]));
    const lost = ids.filter((id) => !['pending', 'running', undefined].includes(states.get(id)));
    if (lost.length > 0) {
      throw ApplicationFailure.nonRetryable(`cannot register ${lost.map((id) => `${id} (${states.get(id)})`).join(', ')} with ${endpointName}: not running`, 'TargetNotRunning');
    }
    const pending = ids.filter((id) => states.get(id) !== 'running');
    if (pending.length === 0) return { done: true, value: undefined };
    // Aimed at the last launched one's expected running time (an instance not listed yet has none).
    const launched = pending.map((id) => seen[ids.indexOf(id)]?.LaunchTime);
    const readyAtMs = launched.every((t) => t !== undefined)
      ? Math.max(...launched.map((t) => readyAt(t, expectedReadyMs().instancePending)!))
      : undefined;
    return { done: false, status: `${pending.join(', ')} not running yet`, readyAtMs };
  });
}

export const networkLb: ApiEndpointDriver = {
  kind: 'nlb',

  async ensure({ elbv2 }, input) {
    const names = networkLbNames(input.scope.owner, input.key);
    const lb = await ensureLoadBalancer(elbv2, input, names.loadBalancer);
    const group = await ensureTargetGroup(elbv2, input, names.targetGroup, lb.VpcId!);
    const listenerArn = await ensureListener(elbv2, input, lb.LoadBalancerArn!, group.TargetGroupArn!);
    return {
      kind: 'nlb',
      name: names.loadBalancer,
      dnsName: lb.DNSName!,
      loadBalancerArn: lb.LoadBalancerArn!,
      targetGroupArn: group.TargetGroupArn!,
      listenerArn,
    };
  },

  /**
   * RegisterTargets is idempotent; asking only for what is missing keeps a retry's
   * registration time the first one. ELBv2 refuses an instance that is not running yet (a
   * launch is pending for a while; a classic ELB takes it), so the instances are waited for.
   */
  async register({ polls, elbv2 }, endpoint, instanceIds) {
    const arn = targetGroupOf(endpoint);
    const ids = [...new Set(instanceIds)];
    await untilRunning(polls, ids, endpoint.name);
    try {
      const registered = await members(elbv2, arn);
      const missing = ids.filter((id) => !registered.has(id));
      if (missing.length === 0) return;
      await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: missing.map((Id) => ({ Id })) }));
    } catch (error) {
      if (isAwsError(error, ...NOT_FOUND.targetGroup)) throw ApplicationFailure.nonRetryable(`target group of ${endpoint.name} does not exist`, 'TargetGroupNotFound');
      // Running a moment ago, stopping now (or EC2 and ELBv2 see it apart): the next attempt looks again.
      if (isAwsError(error, 'InvalidTarget') && /not in a running state/.test((error as Error).message)) {
        throw ApplicationFailure.retryable(`${ids.join(', ')} not running yet for ${endpoint.name}: ${(error as Error).message}`, 'TargetNotRunning');
      }
      throw error;
    }
  },

  async deregister({ elbv2 }, endpoint, instanceIds) {
    const arn = targetGroupOf(endpoint);
    try {
      const registered = await members(elbv2, arn);
      const present = [...new Set(instanceIds)].filter((id) => registered.has(id));
      if (present.length === 0) return;
      await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: present.map((Id) => ({ Id })) }));
    } catch (error) {
      // The group gone, or the target deregistered between our look and the call: nothing left to do.
      if (!isAwsError(error, ...NOT_FOUND.targetGroup, 'InvalidTarget')) throw error;
    }
  },

  /** healthy: the TCP health check on the API port passed, so the API server answers through the load balancer. */
  async health({ elbv2 }, endpoint, instanceId) {
    const answer = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupOf(endpoint), Targets: [{ Id: instanceId }] }));
    const health = answer.TargetHealthDescriptions?.[0]?.TargetHealth;
    if (health?.State === 'healthy') return { ready: true, status: 'healthy' };
    return { ready: false, status: `${health?.State ?? 'not registered'} behind ${endpoint.name}${health?.Description ? `: ${health.Description}` : ''}` };
  },

  /**
   * Listener, load balancer, then target group (free once no listener forwards to it), each
   * only if it is this cluster's. Waits until the load balancer is gone; its network
   * interfaces may linger a while longer, which the security group and subnet deletes after
   * it wait out (DependencyViolation is retried there).
   */
  async delete({ elbv2 }, owner, key) {
    const names = networkLbNames(owner, key);
    const lb = await loadBalancerByName(elbv2, names.loadBalancer);
    if (lb && (await ownedByKey(elbv2, lb.LoadBalancerArn!, owner, key))) {
      const arn = lb.LoadBalancerArn!;
      const listeners = await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: arn })).catch((error: unknown) => {
        if (isAwsError(error, ...NOT_FOUND.loadBalancer)) return { Listeners: [] };
        throw error;
      });
      for (const listener of listeners.Listeners ?? []) {
        await elbv2.send(new DeleteListenerCommand({ ListenerArn: listener.ListenerArn })).catch((error: unknown) => {
          if (!isAwsError(error, ...NOT_FOUND.listener)) throw error;
        });
      }
      await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })).catch((error: unknown) => {
        if (!isAwsError(error, ...NOT_FOUND.loadBalancer)) throw error;
      });
      await pollUntil(`load balancer ${names.loadBalancer} deleted`, async () =>
        (await loadBalancerByName(elbv2, names.loadBalancer))?.LoadBalancerArn === arn ? { done: false, status: 'still listed' } : { done: true, value: undefined },
      );
    }
    const group = await targetGroupByName(elbv2, names.targetGroup);
    if (group && (await ownedByKey(elbv2, group.TargetGroupArn!, owner, endpointPartKeys(key).targetGroup))) {
      // A listener just deleted may hold the group a moment longer.
      await retryWhileBusy(`delete ${names.targetGroup}`, ['ResourceInUse', 'ResourceInUseException'], () =>
        elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: group.TargetGroupArn })).catch((error: unknown) => {
          if (!isAwsError(error, ...NOT_FOUND.targetGroup)) throw error;
        }),
      );
    }
  },
};
