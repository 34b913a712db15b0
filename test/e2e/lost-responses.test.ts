import { call } from '../support/http';
import { createAccount, NOTHING, THREE_AZ_INVENTORY, threeAzSpec, waitPhase } from '../support/clusters';
import { counts, inventory, putSimConfig, resetSimStats, simStats } from '../support/sim-client';
import { useStack } from '../support/stack';

/**
 * Lost responses (issue 10, item 2): AWS performs the call, the client gets a 500. Each
 * mutating call a cluster's create makes — the creates without a ClientToken above all, whose
 * blind re-send would make a second resource — loses its first answer, and so, afterwards,
 * does each call of the delete. The cluster must converge to exactly its inventory (no
 * second VPC, no second Elastic IP, tagged or not), and then to nothing.
 */
jest.setTimeout(900000);

const LOST = { code: 'InternalError', httpStatus: 500, rate: 1, count: 1, phase: 'after' } as const;

/** Every mutating AWS call of a create (grep activities/ for `new …Command(`). */
const CREATE_ACTIONS = [
  'ec2:CreateVpc',
  'ec2:ModifyVpcAttribute',
  'ec2:CreateInternetGateway',
  'ec2:AttachInternetGateway',
  'ec2:CreateSubnet',
  'ec2:ModifySubnetAttribute',
  'ec2:AllocateAddress',
  'ec2:CreateNatGateway',
  'ec2:CreateRouteTable',
  'ec2:CreateRoute',
  'ec2:AssociateRouteTable',
  'ec2:CreateSecurityGroup',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:RunInstances',
  // The default API endpoint, a network load balancer (moto would make a second one of the same name).
  'elbv2:CreateLoadBalancer',
  'elbv2:ModifyLoadBalancerAttributes',
  'elbv2:CreateTargetGroup',
  'elbv2:ModifyTargetGroupAttributes',
  'elbv2:CreateListener',
  'elbv2:RegisterTargets',
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'iam:CreateInstanceProfile',
  'iam:AddRoleToInstanceProfile',
  'secretsmanager:CreateSecret',
];

/** Every mutating AWS call of a delete. */
const DELETE_ACTIONS = [
  'ec2:TerminateInstances',
  'elbv2:DeleteListener',
  'elbv2:DeleteLoadBalancer',
  'elbv2:DeleteTargetGroup',
  'ec2:DeleteNatGateway',
  'ec2:ReleaseAddress',
  'ec2:RevokeSecurityGroupIngress',
  'ec2:DeleteSecurityGroup',
  'ec2:DisassociateRouteTable',
  'ec2:DeleteRouteTable',
  'ec2:DetachInternetGateway',
  'ec2:DeleteInternetGateway',
  'ec2:DeleteSubnet',
  'ec2:DeleteVpc',
  'iam:RemoveRoleFromInstanceProfile',
  'iam:DeleteInstanceProfile',
  'iam:DeleteRolePolicy',
  'iam:DeleteRole',
  'secretsmanager:DeleteSecret',
];

const lostOnce = (actions: string[]) => Object.fromEntries(actions.map((action) => [action, { ...LOST }]));

type ActionCounts = Record<string, { faulted?: number; errors?: number }>;

async function actionStats(sim: string): Promise<ActionCounts> {
  return ((await simStats(sim)) as unknown as { actions: ActionCounts }).actions;
}

/** The actions of `actions` whose lost response never fired (none, when the test did what it says). */
async function notFaulted(sim: string, actions: string[]): Promise<string[]> {
  const stats = await actionStats(sim);
  return actions.filter((action) => (stats[action]?.faulted ?? 0) < 1);
}

describe('lost responses: every create and delete call loses its first answer', () => {
  const stack = useStack({ sim: { delayScale: 0.2, faults: lostOnce(CREATE_ACTIONS) } });
  let api: string;
  let sim: string;
  let token: string;
  let accountId: string;
  const name = 'lossy';
  const tag = `clusterflow.io/cluster=default/${name}`;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    accountId = await createAccount(api, token, 'lossy', { accessKeyId: 'AKIALOSTRESPONSES001', secretAccessKey: 'lostResponsesSecretKeyLongEnough00001' });
    await resetSimStats(sim);
  });

  it('create converges to exactly the cluster, with no second resource tagged or not', async () => {
    const created = await call(api, 'POST', '/v1/clusters', { token, body: threeAzSpec(name, accountId) });
    expect(created.status).toBe(202);
    const status = await waitPhase(api, token, name, ['Running', 'Failed'], 600000);
    expect(status.lastError).toBeUndefined();
    expect(status.phase).toBe('Running');

    expect(counts(await inventory(sim, tag))).toEqual(THREE_AZ_INVENTORY);
    // The whole account and region: a duplicate made untagged (or tagged for no one) shows here.
    // The inventory leaves out only what AWS makes itself (the default VPC and its contents).
    expect(counts(await inventory(sim))).toEqual(THREE_AZ_INVENTORY);

    expect(await notFaulted(sim, CREATE_ACTIONS)).toEqual([]);
    // A resend after a lost answer meets what the first call did at most once (a duplicate, an
    // association, a role already in its profile), and that answer ends it: no action kept
    // failing, as one does when the SDK takes such an answer for throttling and resends it.
    const stats = await actionStats(sim);
    expect(CREATE_ACTIONS.filter((action) => (stats[action]?.errors ?? 0) > 1).map((action) => [action, stats[action]?.errors])).toEqual([]);
  });

  it('delete converges to nothing', async () => {
    await resetSimStats(sim);
    await putSimConfig(sim, { faults: lostOnce(DELETE_ACTIONS) });
    expect((await call(api, 'DELETE', `/v1/clusters/${name}`, { token })).status).toBe(202);
    const status = await waitPhase(api, token, name, ['Deleted', 'Failed'], 600000);
    expect(status.lastError).toBeUndefined();
    expect(status.phase).toBe('Deleted');

    expect(counts(await inventory(sim, tag))).toEqual(NOTHING);
    expect(counts(await inventory(sim))).toEqual(NOTHING);

    expect(await notFaulted(sim, DELETE_ACTIONS)).toEqual([]);
  });
});
