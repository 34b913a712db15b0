import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient, ListInstanceProfilesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ClusterSpec } from '../../common/cluster-spec';
import { NOTHING, waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { counts, inventory, Inventory } from '../support/sim-client';
import { useStack } from '../support/stack';

/** One AWS account, registered by each project as its own cloud account. */
const KEYS = { accessKeyId: 'AKIAE2EPROJECTS00001', secretAccessKey: 'projectsSecretKeyThatIsLongEnough00001' };
/** What a one-node, one-AZ dynamic cluster owns. */
const ONE_NODE = { vpcs: 1, subnets: 2, internetGateways: 1, natGateways: 1, addresses: 1, routeTables: 2, securityGroups: 4, instances: 2, loadBalancers: 1, targetGroups: 1, listeners: 1, secrets: 2, roles: 2, instanceProfiles: 2 };

/**
 * Two projects, each with a cluster named `demo`, in the same AWS account and region, through
 * the real stack with project tokens. Both are made; deleting one leaves every resource of the
 * other as it was, by the simulator's inventory and by AWS's own listings (load balancers,
 * IAM roles and instance profiles, secrets: the names that are account-wide).
 */
describe('projects share an AWS account without touching each other (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 } });
  const tokens: Record<string, string> = {};
  const accounts: Record<string, string> = {};
  let elb: ElasticLoadBalancingV2Client;
  let iam: IAMClient;
  let secrets: SecretsManagerClient;

  function spec(accountId: string): ClusterSpec {
    return {
      name: 'demo',
      profile: { id: 'aws-default' },
      cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.40.0.0/16' } },
      pools: [{ name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] }],
    };
  }

  /** Every resource's handle: its id, or its name or allocation id where it has no id (IAM, secrets, load balancers, Elastic IPs). */
  const ids = (inv: Inventory): string[] => Object.entries(inv).filter(([kind]) => kind !== 'regions').flatMap(([, items]) => items).map((i) => String(i.id ?? i.name ?? i.allocationId ?? i.arn)).sort();

  /** AWS's own account-wide listings (the API endpoint of a new cluster is an NLB and its target group). */
  async function awsNames(): Promise<{ loadBalancers: string[]; targetGroups: string[]; roles: string[]; instanceProfiles: string[]; secrets: string[] }> {
    return {
      loadBalancers: ((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).map((l) => l.LoadBalancerName!).sort(),
      targetGroups: ((await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).map((t) => t.TargetGroupName!).sort(),
      roles: ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName!).filter((n) => n.startsWith('clusterflow-')).sort(),
      instanceProfiles: ((await iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? []).map((p) => p.InstanceProfileName!).sort(),
      secrets: ((await secrets.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => s.Name!).sort(),
    };
  }

  beforeAll(async () => {
    const { api, token: admin, sim } = stack;
    for (const project of ['red', 'blue']) {
      expect((await call(api, 'POST', '/v1/projects', { token: admin, body: { name: project } })).status).toBe(201);
      const issued = await call(api, 'POST', `/v1/projects/${project}/tokens`, { token: admin, body: { role: 'operator' } });
      expect(issued.status).toBe(201);
      tokens[project] = issued.body.token;
      const account = await call(api, 'POST', '/v1/cloud-accounts', { token: tokens[project], body: { name: 'shared aws', ...KEYS } });
      expect(account.status).toBe(201);
      accounts[project] = account.body.id;
    }
    tokens.redViewer = (await call(api, 'POST', '/v1/projects/red/tokens', { token: admin, body: { role: 'viewer' } })).body.token;
    const aws = { region: 'us-east-1', endpoint: sim, credentials: KEYS };
    elb = new ElasticLoadBalancingV2Client(aws);
    iam = new IAMClient(aws);
    secrets = new SecretsManagerClient(aws);
  });

  afterAll(() => {
    for (const client of [elb, iam, secrets]) client?.destroy();
  });

  it('refuses another project’s cloud account at the API (422 account-exists)', async () => {
    const r = await call(stack.api, 'POST', '/v1/clusters', { token: tokens.blue, body: spec(accounts.red) });
    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([expect.objectContaining({ field: 'cloud.accountId', rule: 'account-exists' })]);
  });

  it('lets a viewer dry-run (with its project’s account) but not create', async () => {
    const dry = await call(stack.api, 'POST', '/v1/clusters?dryRun=true', { token: tokens.redViewer, body: spec(accounts.red) });
    expect(dry.status).toBe(200);
    expect(dry.body.preflight.ok).toBe(true);
    const create = await call(stack.api, 'POST', '/v1/clusters', { token: tokens.redViewer, body: spec(accounts.red) });
    expect(create.status).toBe(403);
  });

  it('creates `demo` in both projects, each with its own resources in the same account and region', async () => {
    const { api } = stack;
    for (const project of ['red', 'blue']) {
      expect(await call(api, 'POST', '/v1/clusters', { token: tokens[project], body: spec(accounts[project]) })).toMatchObject({ status: 202, body: { name: 'demo', operationId: 'op-1-create' } });
    }
    for (const project of ['red', 'blue']) {
      const status = await waitPhase(api, tokens[project], 'demo', ['Running', 'Failed']);
      expect(status).toMatchObject({ phase: 'Running', project });
    }
    const red = await inventory(stack.sim, 'clusterflow.io/cluster=red/demo');
    const blue = await inventory(stack.sim, 'clusterflow.io/cluster=blue/demo');
    expect(counts(red)).toEqual(ONE_NODE);
    expect(counts(blue)).toEqual(ONE_NODE);
    expect(ids(red)).not.toContain('undefined');
    expect(ids(red).filter((id) => ids(blue).includes(id))).toEqual([]);
    // Account-wide names: two of each kind, none shared.
    const names = await awsNames();
    expect(names.loadBalancers).toHaveLength(2);
    expect(names.targetGroups).toHaveLength(2);
    expect(names.roles).toHaveLength(4);
    expect(names.instanceProfiles).toHaveLength(4);
    expect(names.secrets).toEqual(['clusterflow/blue/demo/control-plane', 'clusterflow/blue/demo/join', 'clusterflow/red/demo/control-plane', 'clusterflow/red/demo/join']);
    // Each project lists its own `demo`; the admin in default sees none.
    for (const project of ['red', 'blue']) {
      expect((await call(api, 'GET', '/v1/clusters', { token: tokens[project] })).body.items.map((c: { name: string; project: string }) => `${c.project}/${c.name}`)).toEqual([`${project}/demo`]);
    }
    expect((await call(api, 'GET', '/v1/clusters/demo', { token: stack.token })).status).toBe(404);
    expect((await call(api, 'GET', '/v1/clusters/demo', { token: stack.token, headers: { 'X-Clusterflow-Project': 'red' } })).body.project).toBe('red');
    // A viewer reads its project's cluster but cannot delete it.
    expect((await call(api, 'GET', '/v1/clusters/demo', { token: tokens.redViewer })).body.project).toBe('red');
    expect((await call(api, 'DELETE', '/v1/clusters/demo', { token: tokens.redViewer })).status).toBe(403);
  });

  it('deletes red’s demo and leaves blue’s exactly as it was', async () => {
    const { api, sim } = stack;
    const blueBefore = await inventory(sim, 'clusterflow.io/cluster=blue/demo');
    const namesBefore = await awsNames();
    expect((await call(api, 'DELETE', '/v1/clusters/demo', { token: tokens.red })).status).toBe(202);
    expect((await waitPhase(api, tokens.red, 'demo', ['Deleted', 'Failed'])).phase).toBe('Deleted');

    expect(counts(await inventory(sim, 'clusterflow.io/cluster=red/demo'))).toEqual(NOTHING);
    const blueAfter = await inventory(sim, 'clusterflow.io/cluster=blue/demo');
    expect(ids(blueAfter)).toEqual(ids(blueBefore));
    expect(blueAfter.instances.map((i) => i.state)).toEqual(blueBefore.instances.map((i) => i.state));
    // AWS's own listings: only blue's account-wide names are left, the very ones it had.
    const namesAfter = await awsNames();
    const blueNames = (items: Inventory[string]) => items.map((i) => String(i.name)).sort();
    expect(namesAfter).toEqual({
      loadBalancers: blueNames(blueBefore.loadBalancers),
      targetGroups: blueNames(blueBefore.targetGroups),
      roles: blueNames(blueBefore.roles),
      instanceProfiles: blueNames(blueBefore.instanceProfiles),
      secrets: ['clusterflow/blue/demo/control-plane', 'clusterflow/blue/demo/join'],
    });
    expect(namesAfter.loadBalancers).toHaveLength(1);
    for (const kind of ['loadBalancers', 'targetGroups', 'roles', 'instanceProfiles', 'secrets'] as const) {
      expect(namesAfter[kind].every((n) => namesBefore[kind].includes(n))).toBe(true);
    }
    expect((await waitPhase(api, tokens.blue, 'demo', ['Running'])).phase).toBe('Running');
  });

  it('deletes blue’s demo too: nothing of either is left', async () => {
    const { api, sim } = stack;
    expect((await call(api, 'DELETE', '/v1/clusters/demo', { token: tokens.blue })).status).toBe(202);
    expect((await waitPhase(api, tokens.blue, 'demo', ['Deleted', 'Failed'])).phase).toBe('Deleted');
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=blue/demo'))).toEqual(NOTHING);
    expect(await awsNames()).toEqual({ loadBalancers: [], targetGroups: [], roles: [], instanceProfiles: [], secrets: [] });
  });
});
