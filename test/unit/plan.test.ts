import { formatCidr, overlaps, parseCidr } from '../../common/cidr';
import { NODE_ROLE_KEYS } from '../../activities/node-role';
import { CONTROL_PLANE_SECRET_KEY, JOIN_SECRET_KEY } from '../../activities/secrets';
import { keyOf, planCluster, poolNodes, RESOURCE_KEYS, SECURITY_GROUPS, subnetPlan } from '../../workflows/plan';
import { exampleSpec } from './fixtures';

describe('CIDR arithmetic', () => {
  it('parses networks and refuses typos', () => {
    expect(parseCidr('10.0.0.0/16')).toEqual({ base: 10 * 2 ** 24, prefix: 16 });
    expect(parseCidr('10.0.0.1/16')).toBeUndefined();
    expect(parseCidr('10.0.0.256/24')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(formatCidr(parseCidr('172.16.32.0/20')!)).toBe('172.16.32.0/20');
  });

  it('knows when networks overlap', () => {
    expect(overlaps(parseCidr('10.0.0.0/16')!, parseCidr('10.0.128.0/20')!)).toBe(true);
    expect(overlaps(parseCidr('10.0.0.0/16')!, parseCidr('10.1.0.0/16')!)).toBe(false);
  });
});

describe('planCluster', () => {
  const plan = planCluster(exampleSpec());

  it('gives each AZ a private and a public subnet that never overlap', () => {
    expect(plan.azs).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(plan.subnets).toEqual([
      { az: 'us-east-1a', privateCidr: '10.0.0.0/20', publicCidr: '10.0.128.0/20' },
      { az: 'us-east-1b', privateCidr: '10.0.16.0/20', publicCidr: '10.0.144.0/20' },
      { az: 'us-east-1c', privateCidr: '10.0.32.0/20', publicCidr: '10.0.160.0/20' },
    ]);
    const all = plan.subnets.flatMap((s) => [s.publicCidr, s.privateCidr]).map((c) => parseCidr(c)!);
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(overlaps(all[i], all[j])).toBe(false);
  });

  it('spreads nodes across their pool’s AZs and leaves spot pools to their watcher', () => {
    expect(plan.nodes.map((n) => `${n.key}@${n.az}`)).toEqual([
      'node/master/0@us-east-1a',
      'node/master/1@us-east-1b',
      'node/master/2@us-east-1c',
      'node/workers/0@us-east-1a',
      'node/workers/1@us-east-1b',
      'node/workers/2@us-east-1a',
    ]);
    expect(plan.spotPools).toEqual([{ pool: 'spot', size: 2, instanceType: 'm5.xlarge', maxPricePercent: 60 }]);
  });

  it('lists every resource once, each depending only on planned resources', () => {
    const keys = plan.resources.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of plan.resources) for (const d of r.dependsOn) expect(keys).toContain(d);
    expect(keys.filter((k) => k.startsWith('nat/'))).toHaveLength(3);
    expect(keys.filter((k) => k.startsWith('eip/'))).toHaveLength(3);
    expect(keys).toEqual(
      expect.arrayContaining(['vpc', 'igw', 'rtb/public', 'lb/api', 'bastion', 'secret/join', 'secret/control-plane', 'iam/worker-node', 'iam/control-plane-node', 'sg/nodes']),
    );
    // Nodes wait for their AZ's NAT route, the API load balancer and the secrets and role of their kind.
    expect(plan.resources.find((r) => r.key === 'node/master/1')!.dependsOn).toEqual(
      expect.arrayContaining(['rtb/private/us-east-1b', 'lb/api', 'secret/join', 'secret/control-plane', 'iam/control-plane-node']),
    );
    const worker = plan.resources.find((r) => r.key === 'node/workers/1')!.dependsOn;
    expect(worker).toEqual(expect.arrayContaining(['secret/join', 'iam/worker-node']));
    expect(worker).not.toContain('secret/control-plane');
    expect(worker).not.toContain('iam/control-plane-node');
  });

  it('names the secrets and roles as the activities tag them', () => {
    expect(RESOURCE_KEYS.joinSecret).toBe(JOIN_SECRET_KEY);
    expect(RESOURCE_KEYS.controlPlaneSecret).toBe(CONTROL_PLANE_SECRET_KEY);
    expect(RESOURCE_KEYS.workerNodeRole).toBe(NODE_ROLE_KEYS.worker);
    expect(RESOURCE_KEYS.controlPlaneNodeRole).toBe(NODE_ROLE_KEYS['control-plane']);
    expect(keyOf.natGateway('us-east-1a')).toBe('nat/us-east-1a');
  });

  it('orders the security groups after the groups their rules name', () => {
    const seen: string[] = [];
    for (const group of SECURITY_GROUPS) {
      for (const source of group.sources) expect(seen).toContain(source);
      seen.push(group.key);
    }
    // Delete runs the reverse; recorded delete histories scheduled them in this order.
    expect([...SECURITY_GROUPS].reverse().map((g) => g.key)).toEqual(['sg/control-plane', 'sg/nodes', 'sg/bastion', 'sg/lb']);
  });

  it('creates no network for static placement', () => {
    const staticPlan = planCluster(
      exampleSpec({
        cloud: {
          accountId: 'acct',
          region: 'us-east-1',
          placement: {
            type: 'static',
            vpcId: 'vpc-12345678',
            subnets: ['a', 'b', 'c'].map((z) => ({ az: `us-east-1${z}`, publicSubnetId: `subnet-pub0000${z}`, privateSubnetId: `subnet-prv0000${z}` })),
          },
        },
      }),
    );
    const kinds = new Set(staticPlan.resources.map((r) => r.kind));
    for (const kind of ['vpc', 'subnet', 'internet-gateway', 'nat-gateway', 'elastic-ip', 'route-table']) expect(kinds.has(kind)).toBe(false);
    expect(kinds).toEqual(new Set(['secret', 'instance-profile', 'security-group', 'load-balancer', 'instance']));
  });

  it('lists the network load balancer’s target group and listener when the spec asks for one, the classic ELB alone otherwise', () => {
    const endpoint = (spec: ReturnType<typeof exampleSpec>) =>
      planCluster(spec)
        .resources.filter((r) => r.key.startsWith('lb/'))
        .map((r) => `${r.key} ${r.kind} <- ${r.dependsOn.filter((d) => !d.startsWith('subnet/')).join(',')}`);
    const nlb = exampleSpec();
    nlb.cloud.apiEndpoint = { type: 'nlb' };
    expect(endpoint(nlb)).toEqual([
      'lb/api load-balancer <- sg/lb',
      'lb/api/targets target-group <- vpc',
      'lb/api/listener listener <- lb/api,lb/api/targets',
    ]);
    const classic = exampleSpec();
    classic.cloud.apiEndpoint = { type: 'classic' };
    expect(endpoint(classic)).toEqual(['lb/api load-balancer <- sg/lb']);
    // A spec stored before the field existed was built with a classic ELB.
    const stored = exampleSpec();
    delete stored.cloud.apiEndpoint;
    expect(endpoint(stored)).toEqual(endpoint(classic));
  });

  it('keeps node placement stable when a pool grows', () => {
    const pool = exampleSpec().pools[1];
    expect(poolNodes({ ...pool, size: 5 }).slice(0, 3)).toEqual(poolNodes(pool));
  });

  it('refuses more AZs than the carving allows', () => {
    expect(() => subnetPlan('10.0.0.0/16', Array.from({ length: 9 }, (_, i) => `us-east-1${'abcdefghi'[i]}`))).toThrow(/at most 8/);
  });
});
