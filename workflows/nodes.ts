import type { InstanceInfo, Scope } from '../activities/types';
import type { NetworkStatus, NodeStatus } from '../common/cluster-status';
import type { PoolSpec } from '../common/cluster-spec';
import { aws, awsWait } from './activities';
import { renderUserData } from './bootstrap';
import type { OperationInput } from './operation';
import type { NodePlan } from './plan';

export interface NodeContext {
  /** Which launch of the node's key: 0 at create, the operation's number afterwards. */
  generation: number;
  imageId: string;
  groups: Record<string, string>;
  subnetId: string;
  apiEndpoint: string;
  loadBalancerName: string;
  joinSecretName: string;
  /** The certificate key's secret, for control-plane nodes only. */
  controlPlaneSecretName?: string;
  /** Workers' instance profile: read access to the join secret only. */
  instanceProfileName?: string;
  /** Control-plane nodes' instance profile: the join secret and the control-plane secret. */
  controlPlaneInstanceProfileName?: string;
  initialises: boolean;
}

/**
 * Where a cluster's nodes find their join secrets and which instance profiles read them.
 * Clusters created before the control-plane secret and role were split out have neither:
 * their nodes keep the single shared profile and secret.
 */
export function nodeIdentities(
  secrets: { secretName: string; controlPlaneSecretName?: string },
  profiles: { instanceProfileName?: string; controlPlaneInstanceProfileName?: string },
): Pick<NodeContext, 'joinSecretName' | 'controlPlaneSecretName' | 'instanceProfileName' | 'controlPlaneInstanceProfileName'> {
  return {
    joinSecretName: secrets.secretName,
    controlPlaneSecretName: secrets.controlPlaneSecretName,
    instanceProfileName: profiles.instanceProfileName,
    controlPlaneInstanceProfileName: profiles.controlPlaneInstanceProfileName,
  };
}

export function nodeStatus(n: InstanceInfo): NodeStatus {
  return { key: n.key, instanceId: n.instanceId, az: n.az, instanceType: n.instanceType, lifecycle: n.lifecycle, state: n.state, privateIp: n.privateIp, generation: n.generation };
}

/** The launch context of a node joining a cluster that already runs. */
export function joiningContext(network: NetworkStatus, imageId: string, generation: number, az: string): NodeContext {
  const subnet = network.subnets.find((s) => s.az === az);
  if (!subnet?.privateSubnetId) throw new Error(`the cluster has no private subnet in ${az}`);
  return {
    generation,
    imageId,
    groups: network.securityGroups,
    subnetId: subnet.privateSubnetId,
    apiEndpoint: network.apiEndpoint ?? '',
    loadBalancerName: network.loadBalancerName ?? '',
    ...nodeIdentities(
      { secretName: network.joinSecretName ?? '', controlPlaneSecretName: network.controlPlaneSecretName },
      { instanceProfileName: network.nodeInstanceProfile, controlPlaneInstanceProfileName: network.controlPlaneInstanceProfile },
    ),
    initialises: false,
  };
}

/** Launch, join the API load balancer (control plane), and wait until ready. */
export async function launchNode(input: OperationInput, scope: Scope, node: NodePlan, pool: PoolSpec, ctx: NodeContext): Promise<InstanceInfo> {
  const controlPlane = node.role === 'control-plane';
  const instance = await startNode(aws, input, scope, node, pool, ctx);
  if (controlPlane) {
    await aws.registerWithLoadBalancer({ scope, loadBalancerName: ctx.loadBalancerName, instanceIds: [instance.instanceId] });
  }
  return awsWait.waitInstanceReady({ scope, instanceId: instance.instanceId, loadBalancerName: controlPlane ? ctx.loadBalancerName : undefined });
}

/** Only the launch (RunInstances, or the key's live instance of this generation); spot with a MaxPrice. */
export function startNode(
  calls: Pick<typeof aws, 'ensureInstance'>,
  input: OperationInput,
  scope: Scope,
  node: NodePlan,
  pool: PoolSpec,
  ctx: NodeContext,
  spotMaxPrice?: string,
  recheck?: boolean,
): Promise<InstanceInfo> {
  const controlPlane = node.role === 'control-plane';
  return calls.ensureInstance({
    recheck,
    spotMaxPrice,
    scope,
    key: node.key,
    iamInstanceProfile: controlPlane ? (ctx.controlPlaneInstanceProfileName ?? ctx.instanceProfileName) : ctx.instanceProfileName,
    metadataHopLimit: pool.metadataHopLimit,
    generation: ctx.generation,
    subnetId: ctx.subnetId,
    instanceType: node.instanceType,
    imageId: ctx.imageId,
    securityGroupIds: controlPlane ? [ctx.groups['sg/nodes'], ctx.groups['sg/control-plane']] : [ctx.groups['sg/nodes']],
    keyName: input.spec.cloud.sshKeyName,
    userData: renderUserData({
      clusterName: input.spec.name,
      region: input.spec.cloud.region,
      role: node.role,
      initialises: ctx.initialises,
      nodeKey: node.key,
      profile: input.profile,
      apiEndpoint: ctx.apiEndpoint,
      joinSecretName: ctx.joinSecretName,
      controlPlaneSecretName: controlPlane ? ctx.controlPlaneSecretName : undefined,
      taintControlPlane: !pool.allowWorkerCapability,
    }),
  });
}
