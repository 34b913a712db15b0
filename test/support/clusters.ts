import type { ClusterSpec } from '../../common/cluster-spec';
import type { ClusterStatus } from '../../common/cluster-status';
import { call } from './http';
import type { Inventory } from './sim-client';

export const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

/** Registers a cloud account with these (simulator) keys; answers its id. */
export async function createAccount(api: string, token: string, name: string, keys: { accessKeyId: string; secretAccessKey: string }): Promise<string> {
  const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name, ...keys } });
  if (account.status !== 201) throw new Error(`account ${name}: ${account.status} ${account.text}`);
  return account.body.id as string;
}

/** The acceptance cluster: 3 AZs, a control plane of 3, two worker pools. */
export function threeAzSpec(name: string, accountId: string): ClusterSpec {
  return {
    name,
    tags: { team: 'infra' },
    profile: { id: 'aws-default' },
    cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.30.0.0/16' } },
    pools: [
      { name: 'master', role: 'control-plane', size: 3, instanceType: 'm5.large', azs: AZS },
      { name: 'workers', role: 'worker', size: 3, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
      { name: 'compute', role: 'worker', size: 2, instanceType: 'c5.xlarge', azs: ['us-east-1c'] },
    ],
  };
}

/** Exactly what a 3-AZ dynamic cluster of 8 nodes owns, with the default API endpoint (a network load balancer, its target group and listener). */
export const THREE_AZ_INVENTORY = {
  vpcs: 1, subnets: 6, internetGateways: 1, natGateways: 3, addresses: 3, routeTables: 4, securityGroups: 4, instances: 9, loadBalancers: 1, targetGroups: 1, listeners: 1, secrets: 2, roles: 2, instanceProfiles: 2,
};
export const NOTHING = {
  vpcs: 0, subnets: 0, internetGateways: 0, natGateways: 0, addresses: 0, routeTables: 0, securityGroups: 0, instances: 0, loadBalancers: 0, targetGroups: 0, listeners: 0, secrets: 0, roles: 0, instanceProfiles: 0,
};

/**
 * The instances behind the cluster's API endpoint as the cloud lists them, sorted: a classic
 * ELB's instances, or the targets of a network load balancer's target group.
 */
export function endpointMembers(inv: Inventory): string[] {
  const lb = inv.loadBalancers[0];
  if (!lb) return [];
  const groups = (lb.targetGroups ?? []) as Array<{ targets: Array<{ id: string }> }>;
  const ids = lb.kind === 'classic' ? ((lb.instances ?? []) as string[]) : groups.flatMap((g) => g.targets.map((t) => t.id));
  return [...ids].sort();
}

export async function waitPhase(api: string, token: string, name: string, phases: string[], timeoutMs = 300000): Promise<ClusterStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(api, 'GET', `/v1/clusters/${name}`, { token }).catch(() => undefined);
    if (r && phases.includes(r.body?.phase)) return r.body;
    if (Date.now() > deadline) throw new Error(`cluster ${name} never reached ${phases.join('/')}: ${r?.text}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/**
 * Resolves once the operation's task `name` is Running, polling the API. A task seen finished
 * first is an error: whatever the caller meant to do during the step would land after it.
 * Steps too short to be seen running are held inside an AWS call instead (test/support/sim-holds).
 */
export async function waitTask(api: string, token: string, cluster: string, operationId: string, task: string, timeoutMs = 120000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(api, 'GET', `/v1/clusters/${cluster}/operations/${operationId}`, { token }).catch(() => undefined);
    const state = r?.body?.tasks?.find((t: { name: string }) => t.name === task)?.state as string | undefined;
    if (state === 'Running') return;
    if (state && state !== 'Pending') throw new Error(`task ${task} of ${operationId} was ${state} before it was seen Running`);
    if (Date.now() > deadline) throw new Error(`task ${task} of ${operationId} never started: ${r?.text}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Polls an operation until its state is one of `states` (by default, any settled one); answers the operation. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function waitOperation(api: string, token: string, cluster: string, id: string, states = ['Succeeded', 'Failed', 'Cancelled'], timeoutMs = 300000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const op = await call(api, 'GET', `/v1/clusters/${cluster}/operations/${id}`, { token });
    if (states.includes(op.body?.state)) return op.body;
    if (Date.now() > deadline) throw new Error(`${id} is still ${op.body?.state}: ${op.text}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** Polls a Temporal list query until its answer is `expected`: visibility is eventually consistent. */
export async function eventuallyListed(list: () => Promise<string[]>, expected: string[], timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  for (;;) {
    last = await list();
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) throw new Error(`the list never became ${JSON.stringify(expected)}; last: ${JSON.stringify(last)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
