import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { ClusterSpec } from '../../common/cluster-spec';
import { RESOURCE_TAG } from '../../common/tags';
import type { PlannedResource } from '../../workflows/plan';
import { createAccount, waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { inventory, Inventory } from '../support/sim-client';
import { useStack } from '../support/stack';

const KEYS = { accessKeyId: 'AKIAPLANMATCHES00001', secretAccessKey: 'planMatchesCreateSecretKeyLongEnough1' };
const AZS = ['us-east-1a', 'us-east-1b'];

jest.setTimeout(900000);

/**
 * Where each planned kind shows in the simulator's inventory. A node role is an IAM role and
 * its instance profile under one key, so it shows twice. A kind missing here fails the test:
 * the plan listed something this test cannot see.
 */
const SHOWN_AS: Record<string, string[]> = {
  vpc: ['vpcs'],
  'internet-gateway': ['internetGateways'],
  subnet: ['subnets'],
  'elastic-ip': ['addresses'],
  'nat-gateway': ['natGateways'],
  'route-table': ['routeTables'],
  secret: ['secrets'],
  'instance-profile': ['roles', 'instanceProfiles'],
  'security-group': ['securityGroups'],
  'load-balancer': ['loadBalancers'],
  'target-group': ['targetGroups'],
  listener: ['listeners'],
  instance: ['instances'],
};

/** `<inventory list> <key>` for every resource the dry run listed, sorted. */
function planned(resources: PlannedResource[]): string[] {
  return resources
    .flatMap((r) => {
      const lists = SHOWN_AS[r.kind];
      if (!lists) throw new Error(`the plan lists ${r.key} as a ${r.kind}, a kind this test does not know where to find`);
      return lists.map((list) => `${list} ${r.key}`);
    })
    .sort();
}

/** `<inventory list> <key>` for every resource in the inventory, sorted; an untagged one shows its key as undefined. */
function made(inv: Inventory): string[] {
  return Object.entries(inv)
    .filter(([list]) => list !== 'regions')
    .flatMap(([list, items]) => items.map((item) => `${list} ${item.tags?.[RESOURCE_TAG]}`))
    .sort();
}

/**
 * The plan a dry run answers is what a create makes: after the create reaches Running, the
 * resources tagged with the cluster are exactly the planned ones, key for key and kind for
 * kind, once each. A resource the create makes that the plan does not list (or the other way
 * round) fails here, whichever step made it.
 */
describe('the dry run’s plan matches what the create makes', () => {
  const stack = useStack({ sim: { delayScale: 0.2 } });
  let api: string;
  let sim: string;
  let token: string;
  let accountId: string;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    accountId = await createAccount(api, token, 'plans', KEYS);
  });

  function spec(name: string, placement: ClusterSpec['cloud']['placement'], apiEndpoint?: ClusterSpec['cloud']['apiEndpoint']): ClusterSpec {
    return {
      name,
      profile: { id: 'aws-default' },
      cloud: { accountId, region: 'us-east-1', placement, ...(apiEndpoint ? { apiEndpoint } : {}) },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
        { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: AZS },
      ],
    };
  }

  async function dryRunThenCreate(body: ClusterSpec): Promise<{ plan: string[]; made: string[] }> {
    const dryRun = await call(api, 'POST', '/v1/clusters?dryRun=true', { token, body });
    expect(dryRun.status).toBe(200);
    const created = await call(api, 'POST', '/v1/clusters', { token, body });
    expect(created.status).toBe(202);
    const status = await waitPhase(api, token, body.name, ['Running', 'Failed'], 600000);
    expect(status.lastError).toBeUndefined();
    expect(status.phase).toBe('Running');
    return { plan: planned(dryRun.body.plan.resources), made: made(await inventory(sim, `clusterflow.io/cluster=default/${body.name}`)) };
  }

  it('dynamic placement, 2 AZs, with a worker pool', async () => {
    const { plan, made: tagged } = await dryRunThenCreate(spec('planned', { type: 'dynamic', vpcCidr: '10.40.0.0/16' }));
    expect(tagged).toEqual(plan);
    // The create's keys per AZ and per node, not only the cluster-wide ones.
    expect(plan).toEqual(expect.arrayContaining(['natGateways nat/us-east-1b', 'routeTables rtb/private/us-east-1b', 'instances node/workers/1']));
    // The default API endpoint: a network load balancer, its target group and its listener.
    expect(plan).toEqual(expect.arrayContaining(['loadBalancers lb/api', 'targetGroups lb/api/targets', 'listeners lb/api/listener']));
    // The whole account: the create made nothing it did not tag (moto's own defaults are left out).
    expect(made(await inventory(sim))).toEqual(plan);
  });

  it('static placement inside an existing VPC', async () => {
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: sim, credentials: KEYS });
    try {
      const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!.VpcId!;
      const subnets = [];
      for (const [i, az] of AZS.entries()) {
        const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.60.${i * 2}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!;
        const priv = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.60.${i * 2 + 1}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!;
        subnets.push({ az, publicSubnetId: pub, privateSubnetId: priv });
      }
      // A classic ELB, asked for: the plan lists it alone, and so does the cloud.
      const { plan, made: tagged } = await dryRunThenCreate(spec('placed', { type: 'static', vpcId, subnets }, { type: 'classic' }));
      expect(tagged).toEqual(plan);
      expect(plan.filter((entry) => /^(loadBalancers|targetGroups|listeners) /.test(entry))).toEqual(['loadBalancers lb/api']);
      expect(plan.filter((entry) => /^(vpcs|subnets|natGateways|addresses|routeTables|internetGateways) /.test(entry))).toEqual([]);
    } finally {
      ec2.destroy();
    }
  });
});
