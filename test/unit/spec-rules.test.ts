import { specRuleProblems } from '../../common/spec-rules';
import { resolveProfile, ProfileError } from '../../common/profile';
import { BUILT_IN_PROFILES } from '../../api/store/built-in-profiles';
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
