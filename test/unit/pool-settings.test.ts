import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_ROOT_VOLUME, type PoolSpec } from '../../common/cluster-spec';
import { checkPoolChange, checkProfileChange, poolWith, RuleViolation } from '../../common/day2-rules';
import { poolSettingsProblems } from '../../common/pool-settings';
import { resolveProfile, withKubernetesVersion } from '../../common/profile';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { renderUserData } from '../../workflows/bootstrap';
import { launchDigest, nodeDigest, replacementReasons, withLaunchDigest } from '../../workflows/launch-config';
import type { NodeStatus } from '../../common/cluster-status';
import { exampleSpec } from './fixtures';

const profile = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {});
const spec = exampleSpec();
const [master, workers] = spec.pools;

const rules = (pool: Partial<PoolSpec>) => poolSettingsProblems({ ...workers, ...pool }, 'pools.1').map((p) => `${p.field} ${p.rule}`);

function violated(check: () => void): string | undefined {
  try {
    check();
  } catch (error) {
    if (error instanceof RuleViolation) return error.rule;
    throw error;
  }
  return undefined;
}

/** The kubeadm node document a node's user data carries. */
function nodeRegistration(userData: string): Record<string, unknown> {
  const files = (parse(userData) as { write_files: Array<{ path: string; content: string }> }).write_files;
  const kubeadm = files.find((f) => f.path === '/etc/clusterflow/kubeadm.yaml')!.content;
  return (parseAllDocuments(kubeadm, { version: '1.1' }) as Array<{ toJS(): { nodeRegistration: Record<string, unknown> } }>)[0].toJS().nodeRegistration;
}

const render = (pool: Partial<PoolSpec>, role: 'worker' | 'control-plane' = 'worker') =>
  renderUserData({
    clusterName: 'demo',
    region: 'us-east-1',
    role,
    initialises: false,
    nodeKey: 'node/gpu/0',
    profile,
    apiEndpoint: 'demo-api:6443',
    joinSecretName: 'join',
    taintControlPlane: role === 'control-plane',
    labels: pool.labels,
    taints: pool.taints,
  });

describe('pool labels, taints and root volume: the rules Kubernetes and EC2 would apply later', () => {
  it('accepts what a GPU pool needs', () => {
    expect(
      rules({
        labels: { 'example.com/accelerator': 'nvidia-t4', team: '', 'node.kubernetes.io/pool': 'gpu', 'kubelet.kubernetes.io/x': 'y' },
        taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }, { key: 'dedicated', effect: 'NoExecute' }],
        rootVolume: { sizeGiB: 200, type: 'gp3' },
      }),
    ).toEqual([]);
  });

  it.each([
    ['a key with a space', { labels: { 'bad key': 'x' } }, ['pools.1.labels.bad key label-key']],
    ['an upper-case prefix', { labels: { 'Example.com/x': 'y' } }, ['pools.1.labels.Example.com/x label-key']],
    ['a name of 64 characters', { labels: { ['a'.repeat(64)]: 'y' } }, [`pools.1.labels.${'a'.repeat(64)} label-key`]],
    ['a value ending in a dash', { labels: { team: 'infra-' } }, ['pools.1.labels.team label-value']],
    ['a value that is not a string', { labels: { team: 3 as unknown as string } }, ['pools.1.labels.team label-value']],
    ['node-role.kubernetes.io, which NodeRestriction refuses', { labels: { 'node-role.kubernetes.io/gpu': '' } }, ['pools.1.labels.node-role.kubernetes.io/gpu label-kubelet-namespace']],
    ['k8s.io', { labels: { 'k8s.io/x': 'y' } }, ['pools.1.labels.k8s.io/x label-kubelet-namespace']],
    ['labels as an array', { labels: ['a'] as unknown as Record<string, string> }, ['pools.1.labels labels-object']],
    ['a taint effect Kubernetes lacks', { taints: [{ key: 'a', effect: 'NoWay' as 'NoSchedule' }] }, ['pools.1.taints.0.effect taint-effect']],
    ['a taint key with a slash only', { taints: [{ key: '/', effect: 'NoSchedule' as const }] }, ['pools.1.taints.0.key taint-key']],
    ['the same taint twice', { taints: [{ key: 'a', effect: 'NoSchedule' as const }, { key: 'a', value: 'b', effect: 'NoSchedule' as const }] }, ['pools.1.taints.1 unique-taints']],
    ['a root volume below 20 GiB', { rootVolume: { sizeGiB: 8, type: 'gp3' as const } }, ['pools.1.rootVolume.sizeGiB root-volume-size']],
    ['a root volume above EBS’s limit', { rootVolume: { sizeGiB: 16385, type: 'gp3' as const } }, ['pools.1.rootVolume.sizeGiB root-volume-size']],
    ['an io2 root volume (it needs IOPS)', { rootVolume: { sizeGiB: 100, type: 'io2' as 'gp3' } }, ['pools.1.rootVolume.type root-volume-type']],
  ])('refuses %s, naming the field and the rule', (_what, pool, expected) => {
    expect(rules(pool)).toEqual(expected);
  });

  it('refuses the control plane’s own taint on a control-plane pool, but not where workloads may run', () => {
    const taints = [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const }];
    expect(poolSettingsProblems({ ...master, taints }, 'pools.0').map((p) => p.rule)).toEqual(['unique-taints']);
    expect(poolSettingsProblems({ ...master, allowWorkerCapability: true, taints }, 'pools.0')).toEqual([]);
  });

  it('renders labels as the kubelet’s node-labels, sorted, and taints after the control plane’s own', () => {
    const registration = nodeRegistration(render({ labels: { zeta: '1', 'example.com/gpu': 'true' }, taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] }, 'control-plane'));
    expect(registration).toEqual({
      taints: [
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
        { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
      ],
      kubeletExtraArgs: [{ name: 'node-labels', value: 'example.com/gpu=true,zeta=1' }],
    });
  });

  it('renders a pool without labels or taints as before pools had them', () => {
    expect(render({})).toBe(render({ labels: {}, taints: [] }));
    expect(nodeRegistration(render({}))).toEqual({ taints: [] });
  });
});

describe('launch digests: which nodes a change replaces', () => {
  const node = (over: Partial<NodeStatus> = {}): NodeStatus => ({ key: 'node/workers/0', instanceId: 'i-1', az: 'us-east-1a', instanceType: 'm5.large', lifecycle: 'on-demand', state: 'running', ...over });
  const current = { spec, pool: workers, profile };

  it('keeps a node that launches the same, and names each difference of one that does not', () => {
    expect(replacementReasons(node(), current, current)).toEqual([]);
    const desired = { spec, pool: { ...workers, instanceType: 'm5.xlarge', labels: { gpu: 'yes' }, rootVolume: DEFAULT_ROOT_VOLUME }, profile };
    const reasons = replacementReasons(node(), current, desired);
    expect(reasons[0]).toBe('instance type m5.large → m5.xlarge');
    expect(reasons[1]).toBe('root volume the image’s own → 80 GiB gp3 encrypted');
    expect(reasons[2]).toMatch(/^rendered bootstrap differs: .*\+ .*node-labels/);
    expect(reasons).toHaveLength(3);
  });

  it('reads a node’s own instance type and Kubernetes version where the record has them', () => {
    expect(replacementReasons(node({ instanceType: 'm5.xlarge' }), current, current)).toEqual(['instance type m5.xlarge → m5.large']);
    const upgraded = node({ kubernetesVersion: '1.32.0' });
    expect(replacementReasons(upgraded, current, { ...current, profile: withKubernetesVersion(profile, '1.32.0') })).toEqual([]);
    expect(replacementReasons(upgraded, current, current).join()).toContain('+ KUBERNETES_VERSION=1.31.4');
  });

  it('trusts a recorded digest over the record: a node a stopped roll launched is not replaced again', () => {
    const desired = { spec, pool: { ...workers, labels: { gpu: 'yes' } }, profile };
    const rolled = withLaunchDigest(node(), desired);
    expect(nodeDigest(rolled, current)).toBe(launchDigest(desired));
    expect(replacementReasons(rolled, current, desired)).toEqual([]);
    // Asked back to what the record says, it is replaced (its digest is neither).
    const elsewhere = { spec, pool: { ...workers, labels: { gpu: 'no' } }, profile };
    expect(replacementReasons(rolled, current, elsewhere)).toEqual(['it was launched by an operation that stopped midway, with a configuration that is neither the cluster’s record nor this change']);
  });

  it('ignores what no node boots with: a pool’s size or an add-on pack’s values', () => {
    const addOn = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, { 'aws-ebs-csi': { defaultStorageClass: 'gp2' } });
    expect(launchDigest({ spec, pool: { ...workers, size: 9 }, profile: addOn })).toBe(launchDigest(current));
  });
});

describe('day-2 rules of pool settings and profile changes', () => {
  it('refuses a pool change that changes nothing, or takes the root volume away', () => {
    const pool = { ...workers, labels: { a: 'b' }, rootVolume: DEFAULT_ROOT_VOLUME };
    const withSettings = { ...spec, pools: [master, pool] };
    expect(violated(() => checkPoolChange(withSettings, 'workers', poolWith(pool, { instanceType: 'm5.large' })))).toBe('instance-type-changes');
    expect(violated(() => checkPoolChange(withSettings, 'workers', poolWith(pool, { labels: { a: 'b' } })))).toBe('launch-settings-change');
    expect(violated(() => checkPoolChange(withSettings, 'workers', { ...pool, rootVolume: undefined }))).toBe('root-volume-stays');
    expect(violated(() => checkPoolChange(withSettings, 'workers', poolWith(pool, { labels: { 'node-role.kubernetes.io/x': '' } })))).toBe('label-kubelet-namespace');
    expect(violated(() => checkPoolChange(withSettings, 'workers', poolWith(pool, { taints: [{ key: 'a', effect: 'NoSchedule' }] })))).toBeUndefined();
  });

  it('refuses what a running cluster cannot change by replacing nodes, and versions the upgrade rules refuse', () => {
    const ref = { id: 'aws-default' };
    const to = (overrides: Record<string, unknown>, version?: string) => {
      const next = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, overrides);
      return { ref: { id: 'aws-default', overrides }, profile: version ? withKubernetesVersion(next, version) : next };
    };
    expect(violated(() => checkProfileChange(ref, profile, to({ kubernetes: { podCIDR: '10.244.0.0/16' } })))).toBe('pod-cidr-fixed');
    expect(violated(() => checkProfileChange(ref, profile, to({ kubernetes: { serviceCIDR: '10.100.0.0/16' } })))).toBe('service-cidr-fixed');
    expect(violated(() => checkProfileChange(ref, profile, { ref, profile: { ...profile, cni: { name: 'cilium', version: '1.16.0' } } }))).toBe('cni-fixed');
    expect(violated(() => checkProfileChange(ref, profile, to({}, '1.30.0')))).toBe('kubernetes-never-down');
    expect(violated(() => checkProfileChange(ref, profile, to({}, '1.33.0')))).toBe('kubernetes-one-minor-up');
    expect(violated(() => checkProfileChange(ref, profile, { ref, profile }))).toBe('profile-changes');
    expect(violated(() => checkProfileChange(ref, profile, to({ 'aws-ebs-csi': { defaultStorageClass: 'gp2' } })))).toBeUndefined();
    expect(violated(() => checkProfileChange(ref, profile, to({}, '1.32.0')))).toBeUndefined();
  });
});
