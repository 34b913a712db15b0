/**
 * What a node is launched with, apart from where and when (docs/architecture.md#launch-config):
 * its instance type, root volume, image and rendered bootstrap. Two nodes launched alike have
 * the same digest; an operation that changes how a pool's nodes launch (reconfigure, profile
 * change) replaces exactly the nodes whose digest differs from the one they would get now.
 *
 * Nodes record the digest they were launched with only when an operation launched them with
 * something the cluster's record did not say yet (a roll, before its fold). A node without
 * one boots what the record says: its pool's spec and the cluster's profile, on its own
 * instance type and Kubernetes version where those are known.
 */
import type { NodeStatus } from '../common/cluster-status';
import type { ClusterSpec, PoolSpec, RootVolume } from '../common/cluster-spec';
import { withKubernetesVersion, type ResolvedProfile } from '../common/profile';
import { fnv1a, renderUserData } from './bootstrap';

export interface LaunchConfig {
  instanceType: string;
  rootVolume?: RootVolume;
  image: ResolvedProfile['image'];
  /** The node's user data rendered for a stand-in node of the pool: no key, endpoint or secret name of its own. */
  bootstrap: string;
}

/** The cluster as an operation launches a pool's nodes. */
export interface LaunchSource {
  spec: Pick<ClusterSpec, 'name' | 'cloud'>;
  pool: PoolSpec;
  profile: ResolvedProfile;
}

export function launchConfig({ spec, pool, profile }: LaunchSource): LaunchConfig {
  const bootstrap = renderUserData({
    clusterName: spec.name,
    region: spec.cloud.region,
    role: pool.role,
    initialises: false,
    nodeKey: `node/${pool.name}/0`,
    profile,
    apiEndpoint: '',
    joinSecretName: '',
    controlPlaneSecretName: '',
    taintControlPlane: !pool.allowWorkerCapability,
    labels: pool.labels,
    taints: pool.taints,
  });
  const config: LaunchConfig = { instanceType: pool.instanceType, image: profile.image, bootstrap };
  if (pool.rootVolume) config.rootVolume = pool.rootVolume;
  return config;
}

/** 64 bits of FNV-1a (the text and its reverse): deterministic in workflow code, and two configurations never meet by chance in practice. */
export function launchDigest(source: LaunchSource): string {
  const text = JSON.stringify(launchConfig(source));
  return `${fnv1a(text)}${fnv1a([...text].reverse().join(''))}`;
}

/** What a node without a recorded digest was launched with: the record, on the node's own instance type and version. */
function recordedSource(node: NodeStatus, current: LaunchSource): LaunchSource {
  return {
    spec: current.spec,
    pool: { ...current.pool, instanceType: node.instanceType },
    profile: node.kubernetesVersion ? withKubernetesVersion(current.profile, node.kubernetesVersion) : current.profile,
  };
}

/** The digest the node was launched with (recorded, or as the record says). */
export function nodeDigest(node: NodeStatus, current: LaunchSource): string {
  return node.launchDigest ?? launchDigest(recordedSource(node, current));
}

/** A node as it is now launched with `source`'s settings: the digest it records until the change is folded into the cluster's record. */
export function withLaunchDigest(node: NodeStatus, source: LaunchSource): NodeStatus {
  return { ...node, launchDigest: launchDigest(source) };
}

/**
 * Why `node` would be replaced to launch as `desired` says, in words; none when it already
 * launches so. For a node whose configuration is known (no recorded digest), each difference
 * is named, the bootstrap's as the lines that change.
 */
export function replacementReasons(node: NodeStatus, current: LaunchSource, desired: LaunchSource): string[] {
  const target = launchDigest(desired);
  if (nodeDigest(node, current) === target) return [];
  if (node.launchDigest !== undefined && node.launchDigest !== launchDigest(current)) {
    return ['it was launched by an operation that stopped midway, with a configuration that is neither the cluster’s record nor this change'];
  }
  const was = launchConfig(node.launchDigest === undefined ? recordedSource(node, current) : current);
  const will = launchConfig(desired);
  const reasons: string[] = [];
  if (was.instanceType !== will.instanceType) reasons.push(`instance type ${was.instanceType} → ${will.instanceType}`);
  if (JSON.stringify(was.rootVolume) !== JSON.stringify(will.rootVolume)) reasons.push(`root volume ${volumeText(was.rootVolume)} → ${volumeText(will.rootVolume)}`);
  if (JSON.stringify(was.image) !== JSON.stringify(will.image)) reasons.push(`image ${was.image.owner}/${was.image.namePattern} → ${will.image.owner}/${will.image.namePattern}`);
  if (was.bootstrap !== will.bootstrap) reasons.push(`rendered bootstrap differs: ${lineChanges(was.bootstrap, will.bootstrap).join('; ')}`);
  return reasons;
}

function volumeText(volume: RootVolume | undefined): string {
  return volume ? `${volume.sizeGiB} GiB ${volume.type} encrypted` : 'the image’s own';
}

const MAX_LINES = 12;

/** The lines one document has and the other lacks, `-` before and `+` after. */
function lineChanges(before: string, after: string): string[] {
  const old = before.split('\n').map((l) => l.trim());
  const now = after.split('\n').map((l) => l.trim());
  const changes = [...old.filter((l) => !now.includes(l)).map((l) => `- ${l}`), ...now.filter((l) => !old.includes(l)).map((l) => `+ ${l}`)];
  return changes.length > MAX_LINES ? [...changes.slice(0, MAX_LINES), `… ${changes.length - MAX_LINES} more`] : changes;
}
