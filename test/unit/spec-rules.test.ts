import { GENERATION_TAG } from '../../activities/instances';
import { cidrProblem, parseCidr } from '../../common/cidr';
import { MAX_SPEC_TAGS, OWN_TAGS_PER_RESOURCE_MAX, specRuleProblems, tagProblems } from '../../common/spec-rules';
import { resourceTags } from '../../common/tags';
import { resolveProfile, ProfileError } from '../../common/profile';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { exampleSpec } from './fixtures';

const rules = (spec: ReturnType<typeof exampleSpec>) => specRuleProblems(spec).map((p) => `${p.field}:${p.rule}`);

describe('ClusterSpec rules', () => {
  it('accepts the contract’s example', () => {
    expect(specRuleProblems(exampleSpec())).toEqual([]);
  });

  it('wants exactly one control-plane pool of 1, 3 or 5', () => {
    const spec = exampleSpec();
    spec.pools[0].size = 2;
    expect(rules(spec)).toEqual(['pools.0.size:control-plane-size']);
    spec.pools[0].size = 3;
    spec.pools[1].role = 'control-plane';
    expect(rules(spec)).toContain('pools:one-control-plane-pool');
    expect(rules({ ...spec, pools: spec.pools.filter((p) => p.role !== 'control-plane') })).toEqual(['pools:one-control-plane-pool']);
  });

  it('wants unique pool names and AZs of the region', () => {
    const spec = exampleSpec();
    spec.pools[2].name = 'workers';
    spec.pools[1].azs = ['us-east-1a', 'us-west-2a'];
    expect(rules(spec)).toEqual(expect.arrayContaining(['pools.2.name:unique-pool-names', 'pools.1.azs.1:az-in-region']));
  });

  it('wants static subnets for every AZ a pool uses', () => {
    const spec = exampleSpec({
      cloud: { accountId: 'a', region: 'us-east-1', placement: { type: 'static', vpcId: 'vpc-12345678', subnets: [{ az: 'us-east-1a', publicSubnetId: 'subnet-1', privateSubnetId: 'subnet-2' }] } },
    });
    expect(rules(spec)).toEqual(['cloud.placement.subnets:static-subnets-per-az', 'cloud.placement.subnets:static-subnets-per-az']);
  });

  it('wants the VPC CIDR to be a network, not an address inside one', () => {
    for (const vpcCidr of ['10.0.0.1/16', '999.0.0.0/16']) {
      const spec = exampleSpec({ cloud: { accountId: 'a', region: 'us-east-1', placement: { type: 'dynamic', vpcCidr } } });
      expect(rules(spec)).toEqual(['cloud.placement.vpcCidr:cidr']);
    }
  });

  it('checks the VPC size and that pods do not share the VPC’s addresses', () => {
    const spec = exampleSpec({
      profile: { id: 'aws-default', overrides: { kubernetes: { podCIDR: '10.0.64.0/18' } } },
      cloud: { accountId: 'a', region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.0.0.0/12' } },
    });
    expect(rules(spec)).toEqual(['cloud.placement.vpcCidr:vpc-cidr-size', 'profile.overrides.kubernetes.podCIDR:pod-cidr-outside-vpc']);
  });
});

describe('bastion SSH CIDRs', () => {
  const withBastion = (...bastionSshCidrs: string[]) => {
    const spec = exampleSpec();
    spec.cloud.bastionSshCidrs = bastionSshCidrs;
    return spec;
  };

  it('accepts networks, the whole Internet and single addresses', () => {
    expect(rules(withBastion('0.0.0.0/0', '203.0.113.0/24', '198.51.100.7/32'))).toEqual([]);
  });

  it('refuses what is not a network, naming each entry and why', () => {
    const problems = specRuleProblems(withBastion('10.0.0.0/8', '300.1.1.1/40', '203.0.113.5/24', '10.0.0.0/40', '010.0.0.0/8'));
    expect(problems.map((p) => `${p.field}:${p.rule}`)).toEqual([
      'cloud.bastionSshCidrs.1:cidr',
      'cloud.bastionSshCidrs.2:cidr',
      'cloud.bastionSshCidrs.3:cidr',
      'cloud.bastionSshCidrs.4:cidr',
    ]);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('300 as an address byte'),
      expect.stringContaining('write 203.0.113.0/24 for the network or 203.0.113.5/32 for the one address'),
      expect.stringContaining('/40'),
      expect.stringContaining('leading zero'),
    ]);
  });
});

describe('cidrProblem', () => {
  it('agrees with parseCidr on what is a network (leading zeros aside)', () => {
    for (const text of ['10.0.0.0/16', '10.0.0.1/16', '255.255.255.255/32', '256.0.0.0/8', '0.0.0.0/0', '1.2.3.4/33', '1.2.3/24', '10.0.0.0/16 ', 'a.b.c.d/8']) {
      expect([text, cidrProblem(text) === undefined]).toEqual([text, parseCidr(text) !== undefined]);
    }
  });

  it('explains the VPC CIDR it refuses', () => {
    const spec = exampleSpec({ cloud: { accountId: 'a', region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.0.0.1/16' } } });
    expect(specRuleProblems(spec)).toEqual([expect.objectContaining({ field: 'cloud.placement.vpcCidr', rule: 'cidr', message: expect.stringContaining('10.0.0.0/16') })]);
  });
});

describe('tags', () => {
  const tagRules = (tags: Record<string, unknown>) => tagProblems(tags).map((p) => `${p.field}:${p.rule}`);
  const many = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`tag${i}`, 'v']));

  it('counts every tag Clusterflow puts on one resource', () => {
    const owner = { cluster: 'default/demo', clusterName: 'demo', extraTags: {} };
    const counts = [
      Object.keys(resourceTags(owner, 'vpc')).length,
      Object.keys(resourceTags(owner, 'subnet/public/us-east-1a', 'public-subnet')).length,
      Object.keys(resourceTags(owner, 'subnet/private/us-east-1a', 'private-subnet')).length,
      Object.keys({ ...resourceTags(owner, 'node/workers/0'), [GENERATION_TAG]: '0' }).length,
    ];
    expect(Math.max(...counts)).toBe(OWN_TAGS_PER_RESOURCE_MAX);
    expect(MAX_SPEC_TAGS).toBe(45);
  });

  it('accepts what IAM and ELB accept, Unicode letters and empty values included', () => {
    expect(tagProblems({ team: 'infra', 'cost-center': '', 'équipe': 'données', 'コスト': '研究 開発', 'a.b:c/d=e+f-g@h_i': '1 2' })).toEqual([]);
    expect(tagProblems(many(MAX_SPEC_TAGS))).toEqual([]);
  });

  it('allows at most 50 minus Clusterflow’s own, and says so', () => {
    const problems = tagProblems(many(MAX_SPEC_TAGS + 1));
    expect(problems).toEqual([expect.objectContaining({ field: 'tags', rule: 'tag-count' })]);
    expect(problems[0].message).toContain('at most 45');
    expect(problems[0].message).toContain('AWS allows 50 per resource');
  });

  it('refuses characters IAM and ELB refuse, in keys and values, naming them', () => {
    const problems = tagProblems({ 'R&D': 'x', team: 'a,b', tab: 'a\tb' });
    expect(problems.map((p) => `${p.field}:${p.rule}`)).toEqual(['tags.R&D:tag-characters', 'tags.team:tag-characters', 'tags.tab:tag-characters']);
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining('"&"'), expect.stringContaining('","'), expect.stringContaining('U+0009')]);
  });

  it('refuses the aws: prefix in any case, in keys and values', () => {
    for (const key of ['aws:team', 'AWS:team', 'Aws:Team']) expect(tagRules({ [key]: 'x' })).toEqual([`tags.${key}:aws-prefix`]);
    expect(tagRules({ owner: 'aWs:me' })).toEqual(['tags.owner:aws-prefix']);
    expect(tagRules({ 'team:aws': 'x' })).toEqual([]);
  });

  it('refuses keys Clusterflow sets itself, in any case', () => {
    expect(tagRules({ Name: 'x' })).toEqual(['tags.Name:reserved-tag']);
    expect(tagRules({ name: 'x' })).toEqual(['tags.name:reserved-tag']);
    expect(tagRules({ 'clusterflow.io/cluster': 'default/other' })).toEqual(['tags.clusterflow.io/cluster:reserved-tag']);
    expect(tagRules({ 'ClusterFlow.io/owner': 'x' })).toEqual(['tags.ClusterFlow.io/owner:reserved-tag']);
    expect(tagRules({ 'kubernetes.io/cluster/demo': 'shared' })).toEqual(['tags.kubernetes.io/cluster/demo:reserved-tag']);
    expect(tagRules({ 'Kubernetes.io/role/elb': '1' })).toEqual(['tags.Kubernetes.io/role/elb:reserved-tag']);
    expect(tagRules({ 'k8s.io/cluster-autoscaler/enabled': 'true', 'my.name': 'x' })).toEqual([]);
  });

  it('refuses keys that differ only in case, which IAM counts as one', () => {
    expect(tagRules({ Team: 'a', team: 'b' })).toEqual(['tags.team:unique-tag-keys']);
  });

  it('measures keys and values in characters, as AWS does', () => {
    expect(tagProblems({ ['k'.repeat(127)]: 'v'.repeat(255), ['é'.repeat(127)]: '語'.repeat(255) })).toEqual([]);
    expect(tagRules({ ['k'.repeat(128)]: 'v' })).toEqual([`tags.${'k'.repeat(128)}:tag-key-length`]);
    expect(tagRules({ k: 'v'.repeat(256) })).toEqual(['tags.k:tag-value-length']);
    expect(tagRules({ '': 'v' })).toEqual(['tags.:tag-key-length']);
  });

  it('refuses leading and trailing spaces, which AWS asks tags not to have', () => {
    expect(tagRules({ ' team': 'infra', owner: 'ops ' })).toEqual(['tags. team:tag-spaces', 'tags.owner:tag-spaces']);
  });

  it('wants string values', () => {
    expect(tagRules({ size: 3, none: null })).toEqual(['tags.size:string', 'tags.none:string']);
  });
});

describe('resolveProfile', () => {
  const builtIn = BUILT_IN_PROFILES[0];

  it('applies overrides by pack name', () => {
    const resolved = resolveProfile(builtIn.id, builtIn.packs, { kubernetes: { podCIDR: '172.20.0.0/16' } });
    expect(resolved).toMatchObject({ kubernetesVersion: '1.31.4', podCIDR: '172.20.0.0/16', serviceCIDR: '10.96.0.0/12', cni: { name: 'calico' } });
    expect(resolved.image.owner).toBe('099720109477');
  });

  it('names an override for a pack the profile does not have', () => {
    expect(() => resolveProfile(builtIn.id, builtIn.packs, { cilium: {} })).toThrow(ProfileError);
    expect(() => resolveProfile(builtIn.id, builtIn.packs, { cilium: {} })).toThrow(/profile.overrides.cilium/);
  });
});
