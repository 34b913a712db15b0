/**
 * The rules of day-2 requests (docs/api.md#day-2-rules), checked by the cluster entity's Update
 * validators before a request is accepted. Pure.
 */
import type { ClusterSpec, PoolSpec, RootVolume, Taint } from './cluster-spec';
import type { ResolvedProfile } from './profile';
import { poolSettingsProblems } from './pool-settings';
import { packSchema } from './pack-schemas';

export class RuleViolation extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

function poolOf(spec: ClusterSpec, name: string): PoolSpec {
  const pool = spec.pools.find((p) => p.name === name);
  if (!pool) throw new RuleViolation('pool-exists', `the cluster has no pool named "${name}"`);
  return pool;
}

export function checkScale(spec: ClusterSpec, poolName: string, size: number): void {
  const pool = poolOf(spec, poolName);
  if (pool.role === 'control-plane') {
    if (size < pool.size) throw new RuleViolation('control-plane-never-down', `the control-plane pool never scales down (${pool.size} → ${size})`);
    const allowed = pool.size === 1 ? 3 : pool.size === 3 ? 5 : undefined;
    if (size !== pool.size && size !== allowed) {
      throw new RuleViolation('control-plane-steps', `the control-plane pool scales 1→3 and 3→5 only (it has ${pool.size}; asked ${size})`);
    }
  }
  if (size === pool.size) throw new RuleViolation('size-changes', `pool "${poolName}" already has size ${size}`);
}

export function checkAddPool(spec: ClusterSpec, pool: PoolSpec, clusterAzs: string[]): void {
  if (spec.pools.some((p) => p.name === pool.name)) throw new RuleViolation('unique-pool-names', `the cluster already has a pool named "${pool.name}"`);
  if (pool.role !== 'worker') throw new RuleViolation('one-control-plane-pool', 'only worker pools can be added');
  const outside = pool.azs.filter((az) => !clusterAzs.includes(az));
  if (outside.length > 0) {
    throw new RuleViolation('az-has-subnets', `the cluster has no subnets in ${outside.join(', ')} (it has ${clusterAzs.join(', ')})`);
  }
}

export function checkRemovePool(spec: ClusterSpec, poolName: string): void {
  const pool = poolOf(spec, poolName);
  if (pool.role === 'control-plane') throw new RuleViolation('control-plane-stays', 'the control-plane pool cannot be removed');
  const controlPlane = spec.pools.find((p) => p.role === 'control-plane');
  const otherWorkers = spec.pools.filter((p) => p.role === 'worker' && p.name !== poolName);
  if (!controlPlane?.allowWorkerCapability && otherWorkers.length === 0) {
    throw new RuleViolation('keep-a-workload-pool', `"${poolName}" is the last pool that can run workloads, and the control plane has no worker capability`);
  }
}

export function checkReconfigure(spec: ClusterSpec, poolName: string, instanceType: string): void {
  const pool = poolOf(spec, poolName);
  if (pool.instanceType === instanceType) throw new RuleViolation('instance-type-changes', `pool "${poolName}" already runs ${instanceType}`);
}

/** The launch settings a pool change may give; what it leaves out stays. */
export interface PoolLaunchChange {
  instanceType?: string;
  size?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  rootVolume?: RootVolume;
}

/** The pool as a change makes it. */
export function poolWith(pool: PoolSpec, change: PoolLaunchChange): PoolSpec {
  const next: PoolSpec = { ...pool, instanceType: change.instanceType ?? pool.instanceType, size: change.size ?? pool.size };
  if (change.labels !== undefined) next.labels = change.labels;
  if (change.taints !== undefined) next.taints = change.taints;
  if (change.rootVolume !== undefined) next.rootVolume = change.rootVolume;
  return next;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A rolling change of a pool's launch settings: valid settings (common/pool-settings.ts), at
 * least one of them different from what the pool has (a root volume is changed, never removed).
 */
export function checkPoolChange(spec: ClusterSpec, poolName: string, wanted: PoolSpec): void {
  const pool = poolOf(spec, poolName);
  const [problem] = poolSettingsProblems(wanted, '');
  if (problem) throw new RuleViolation(problem.rule, `${problem.field}: ${problem.message}`);
  if (pool.rootVolume && !wanted.rootVolume) throw new RuleViolation('root-volume-stays', `pool "${poolName}" has a root volume of its own; give another one instead of none`);
  const unchanged = pool.instanceType === wanted.instanceType && same(pool.labels ?? {}, wanted.labels ?? {}) && same(pool.taints ?? [], wanted.taints ?? []) && same(pool.rootVolume, wanted.rootVolume);
  if (!unchanged) return;
  if (wanted.labels === pool.labels && wanted.taints === pool.taints && wanted.rootVolume === pool.rootVolume) {
    throw new RuleViolation('instance-type-changes', `pool "${poolName}" already runs ${wanted.instanceType}`);
  }
  throw new RuleViolation('launch-settings-change', `pool "${poolName}" already launches its nodes with these settings`);
}

/**
 * A Kubernetes upgrade: in the kubernetes pack's version grammar (so the profile stays one a
 * create would accept), and, by Kubernetes' version-skew policy, at most one minor version up
 * (kubelets may not be newer than the API server, nor the control plane skip a minor).
 */
export function checkUpgrade(current: string, target: string): void {
  const grammar = packSchema('kubernetes')?.version;
  if (grammar && !grammar.accepts(target)) {
    throw new RuleViolation('kubernetes-version-format', `kubernetesVersion must be ${grammar.describe}; got "${target}"`);
  }
  const [cMajor, cMinor, cPatch] = current.split('.').map(Number);
  const [tMajor, tMinor, tPatch] = target.split('.').map(Number);
  if (target === current) throw new RuleViolation('kubernetes-version-changes', `the cluster already runs Kubernetes ${current}`);
  const down = tMajor !== cMajor ? tMajor < cMajor : tMinor !== cMinor ? tMinor < cMinor : tPatch < cPatch;
  if (down) throw new RuleViolation('kubernetes-never-down', `Kubernetes is never downgraded (${current} → ${target})`);
  if (tMajor !== cMajor || tMinor > cMinor + 1) {
    throw new RuleViolation('kubernetes-one-minor-up', `Kubernetes goes up at most one minor version at a time (${current} → ${target}; next allowed: ${cMajor}.${cMinor + 1}.x)`);
  }
}

/** A running cluster's new profile: the reference the spec keeps, and the profile the API resolved from it. */
export interface ProfileChange {
  ref: ClusterSpec['profile'];
  profile: ResolvedProfile;
}

/**
 * What a running cluster's profile may change. Its pod and service CIDRs and its CNI are fixed
 * when the first control-plane node initialises the cluster (kubeadm writes them into the
 * cluster's own configuration; new nodes only join it), so replacing nodes cannot change them.
 * A Kubernetes version change follows the upgrade's rules.
 */
export function checkProfileChange(ref: ClusterSpec['profile'], current: ResolvedProfile, change: ProfileChange): void {
  const next = change.profile;
  if (next.podCIDR !== current.podCIDR) throw new RuleViolation('pod-cidr-fixed', `the pod CIDR is fixed once the cluster runs (${current.podCIDR}; the new profile has ${next.podCIDR})`);
  if (next.serviceCIDR !== current.serviceCIDR) {
    throw new RuleViolation('service-cidr-fixed', `the service CIDR is fixed once the cluster runs (${current.serviceCIDR}; the new profile has ${next.serviceCIDR})`);
  }
  if (next.cni.name !== current.cni.name) throw new RuleViolation('cni-fixed', `the CNI is fixed once the cluster runs (${current.cni.name}; the new profile has ${next.cni.name})`);
  if (next.kubernetesVersion !== current.kubernetesVersion) checkUpgrade(current.kubernetesVersion, next.kubernetesVersion);
  if (same(ref, change.ref) && same(current, next)) throw new RuleViolation('profile-changes', `the cluster already runs profile ${ref.id} with these overrides`);
}
