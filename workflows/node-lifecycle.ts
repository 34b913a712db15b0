/**
 * A node's life, in one place: planned under its pool's key and index, launched under a
 * generation, ready (and attached to the API endpoint when it is a control-plane node),
 * detached and retired; launches undone when their operation is cancelled or fails; nodes
 * replaced one by one. Create, scale, add-pool, remove-pool, reconfigure, self-repair and the
 * spot watcher all go through here (docs/architecture.md#node-lifecycle).
 */
import { ApplicationFailure, CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { InstanceInfo, Scope } from '../activities/types';
import type { NetworkStatus, NodeStatus, PoolStatus } from '../common/cluster-status';
import { capacityOf, controlPlanePool, isSpotPool, type PoolSpec } from '../common/cluster-spec';
import { type ApiEndpointRef, endpointOf } from '../common/api-endpoint';
import { readableError } from '../common/readable-error';
import { aws, awsWait } from './activities';
import { renderUserData } from './bootstrap';
import type { OperationInput } from './operation';
import { scopeOf } from './operation';
import { nodeKey, planFor, type NodePlan } from './plan';
import { PATCHES } from './patches';
import type { TaskList } from './tasks';

/** A node's index within its pool: the last part of its key (`node/<pool>/<index>`). */
export function indexOf(node: { key: string } | string): number {
  return Number((typeof node === 'string' ? node : node.key).split('/').pop());
}

/** The key prefix every node of a pool shares. */
export function poolKeyPrefix(pool: string): string {
  return `node/${pool}/`;
}


/** The image every node of the cluster runs, as the profile names it; `calls` is the caller's stub. */
export async function imageOf(calls: Pick<typeof aws, 'resolveImage'>, input: Pick<OperationInput, 'project' | 'spec' | 'profile'>): Promise<string> {
  return (await calls.resolveImage({ scope: scopeOf(input), ...input.profile.image })).imageId;
}

/** The image, as an operation's `image` task. */
export async function resolveImage(input: Pick<OperationInput, 'project' | 'spec' | 'profile'>, tasks: TaskList): Promise<string> {
  return tasks.run('image', () => imageOf(aws, input), (id) => id);
}

/** What a pool reports: its spec's size and capacity, and its nodes among `nodes` (launched with `kubernetesVersion`, when the caller launched them). */
export function poolStatus(pool: PoolSpec, nodes: InstanceInfo[], kubernetesVersion?: string): PoolStatus {
  const mine: NodeStatus[] = nodes.filter((n) => n.key.startsWith(poolKeyPrefix(pool.name))).map((n) => nodeStatus(n, kubernetesVersion));
  const status: PoolStatus = {
    name: pool.name,
    role: pool.role,
    desired: pool.size,
    instanceType: pool.instanceType,
    capacity: capacityOf(pool),
    nodes: mine,
  };
  if (pool.labels && Object.keys(pool.labels).length > 0) status.labels = pool.labels;
  if (pool.taints && pool.taints.length > 0) status.taints = pool.taints;
  if (pool.rootVolume) status.rootVolume = pool.rootVolume;
  if (isSpotPool(pool)) {
    status.waiting = { count: pool.size - mine.length, reason: 'spot nodes are launched by the pool’s bidding watcher when the spot price is in range' };
  }
  return status;
}

export interface NodeContext {
  /** Which launch of the node's key: 0 at create, the operation's number afterwards. */
  generation: number;
  imageId: string;
  groups: Record<string, string>;
  subnetId: string;
  apiEndpoint: string;
  /** What fronts the control plane: control-plane nodes are attached to it. */
  endpoint?: ApiEndpointRef;
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

/**
 * A node as the status shows it. `kubernetesVersion` is known only to whoever launched it (the
 * profile it booted with); AWS does not say it, and a tag would change the launch's ClientToken.
 */
export function nodeStatus(n: InstanceInfo, kubernetesVersion?: string): NodeStatus {
  const node: NodeStatus = { key: n.key, instanceId: n.instanceId, az: n.az, instanceType: n.instanceType, lifecycle: n.lifecycle, state: n.state, privateIp: n.privateIp, generation: n.generation };
  if (kubernetesVersion !== undefined) node.kubernetesVersion = kubernetesVersion;
  return node;
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
    endpoint: endpointOf(network),
    ...nodeIdentities(
      { secretName: network.joinSecretName ?? '', controlPlaneSecretName: network.controlPlaneSecretName },
      { instanceProfileName: network.nodeInstanceProfile, controlPlaneInstanceProfileName: network.controlPlaneInstanceProfile },
    ),
    initialises: false,
  };
}

/** Launch, join the API load balancer (control plane), and wait until ready. */
export async function launchNode(input: Pick<OperationInput, 'spec' | 'profile'>, scope: Scope, node: NodePlan, pool: PoolSpec, ctx: NodeContext): Promise<InstanceInfo> {
  const controlPlane = node.role === 'control-plane';
  const instance = await startNode(aws, input, scope, node, pool, ctx);
  if (controlPlane && ctx.endpoint) await attach(scope, ctx.endpoint, [instance.instanceId]);
  return awsWait.waitInstanceReady({ scope, instanceId: instance.instanceId, endpoint: controlPlane ? ctx.endpoint : undefined });
}

/** Only the launch (RunInstances, or the key's live instance of this generation); spot with a MaxPrice. */
export function startNode(
  calls: Pick<typeof aws, 'ensureInstance'>,
  input: Pick<OperationInput, 'spec' | 'profile'>,
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
    rootVolume: pool.rootVolume,
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
      labels: pool.labels,
      taints: pool.taints,
    }),
  });
}

/** Attaches control-plane nodes to the API endpoint (idempotent: only what is missing). */
export async function attach(scope: Scope, endpoint: ApiEndpointRef, instanceIds: string[]): Promise<void> {
  await aws.registerWithLoadBalancer({ scope, endpoint, instanceIds });
}

/** Takes control-plane nodes off the API endpoint before they go, so no request reaches a node shutting down. */
export async function detach(scope: Scope, network: NetworkStatus, instanceIds: string[]): Promise<void> {
  const endpoint = endpointOf(network);
  if (endpoint && instanceIds.length > 0) await aws.deregisterFromLoadBalancer({ scope, endpoint, instanceIds });
}

/** What a node's operation knows of the running cluster. */
export type LifecycleInput = Pick<OperationInput, 'project' | 'spec' | 'profile'> & { network: NetworkStatus; generation: number };

/** Takes a node out: off the API endpoint first (control plane), then terminated. */
export async function retire(input: LifecycleInput, pool: PoolSpec, node: NodeStatus): Promise<void> {
  const scope = scopeOf(input);
  if (pool.role === 'control-plane') await detach(scope, input.network, [node.instanceId]);
  await awsWait.terminateInstance({ scope, key: node.key, generation: node.generation ?? 0 });
}

/**
 * Every instance of a pool, whatever its generation, terminated: a spot pool's sweep, where
 * the watcher (not the status) knew the nodes. `calls` is the caller's stub for the listing.
 */
export async function terminatePoolNodes(calls: Pick<typeof aws, 'listClusterInstances'>, scope: Scope, pool: string): Promise<number> {
  const all = await calls.listClusterInstances({ scope });
  const keys = [...new Set(all.filter((i) => i.key.startsWith(poolKeyPrefix(pool))).map((i) => i.key))];
  await Promise.all(keys.map((key) => awsWait.terminateInstance({ scope, key })));
  return keys.length;
}

/**
 * Runs the launches; if one fails or the operation is cancelled, the others are stopped and
 * every instance this operation launched for `keys` is terminated (off the API endpoint
 * first), in a scope the cancellation cannot interrupt. A cancellation then goes on as it
 * was; a failure says what it had launched and that it is gone.
 */
export async function launchAllOrNone<T>(
  input: LifecycleInput,
  keys: string[],
  launches: Array<() => Promise<T>>,
  options: { undoCancelled?: () => boolean } = {},
): Promise<T[]> {
  const launching = new CancellationScope();
  const pending = launches.map((launch) => launching.run(launch));
  try {
    return await Promise.all(pending);
  } catch (error) {
    const cancelled = isCancellation(error);
    if (cancelled && options.undoCancelled && !options.undoCancelled()) throw error;
    // Histories recorded before failures were undone replay the cancellation-only path.
    const undoFailures = patched(PATCHES.undoLaunchesOnFailure);
    if (!cancelled && !undoFailures) throw error;
    if (undoFailures) {
      // A launch still in flight could land after the sweep: stop them all and let them settle.
      launching.cancel();
      await Promise.allSettled(pending);
    }
    const terminated = await CancellationScope.nonCancellable(() => terminateLaunched(input, keys));
    if (cancelled) throw error;
    const what = terminated.length === 0 ? 'it had launched no instance' : `what it had launched was terminated (${terminated.map((i) => `${i.key} ${i.instanceId}`).join(', ')})`;
    throw ApplicationFailure.nonRetryable(`${readableError(error)}; ${what}`, 'LaunchesUndone');
  }
}

/** Every instance of this operation's generation for `keys`: off the API endpoint (control plane), terminated. */
async function terminateLaunched(input: LifecycleInput, keys: string[]): Promise<InstanceInfo[]> {
  const scope = scopeOf(input);
  const mine = (await aws.listClusterInstances({ scope })).filter((i) => keys.includes(i.key) && i.generation === input.generation);
  const controlPlane = mine.filter((i) => i.key.startsWith(poolKeyPrefix(controlPlanePool(input.spec).name)));
  await detach(scope, input.network, controlPlane.map((i) => i.instanceId));
  await Promise.all(keys.map((key) => awsWait.terminateInstance({ scope, key, generation: input.generation })));
  return mine;
}

/** Launches the nodes of `indices` into a running cluster, all or none. */
export async function launchNodes(input: LifecycleInput, pool: PoolSpec, indices: number[], imageId: string, tasks: TaskList): Promise<InstanceInfo[]> {
  const scope = scopeOf(input);
  return launchAllOrNone(
    input,
    indices.map((i) => nodeKey(pool.name, i)),
    indices.map((index) => async () => {
      const node = planFor(pool, index);
      return tasks.run(node.key, () => launchNode(input, scope, node, pool, joiningContext(input.network, imageId, input.generation, node.az)), (i) => `${i.instanceId} ready in ${i.az}`);
    }),
  );
}

/**
 * Replaces one node by a new one under the same key and AZ: launched and ready first (its
 * launch undone if cancelled or failed before that, the old node staying), then the old one
 * retired, which a cancellation arriving meanwhile no longer interrupts.
 */
export async function replaceNode(input: LifecycleInput, pool: PoolSpec, previous: NodeStatus, imageId: string): Promise<InstanceInfo> {
  const scope = scopeOf(input);
  const plan = planFor(pool, indexOf(previous), previous.az);
  const [info] = await launchAllOrNone(input, [previous.key], [
    () => launchNode(input, scope, plan, pool, joiningContext(input.network, imageId, input.generation, previous.az)),
  ]);
  await CancellationScope.nonCancellable(() => retire(input, pool, previous));
  return info;
}
