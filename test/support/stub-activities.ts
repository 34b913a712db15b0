/**
 * AWS activities replaced by in-memory fakes, for workflow tests that check orchestration
 * (the activity suites and the end-to-end suites use the real ones).
 */
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';

export type Stub = (input: any) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A stub awaits `opened`; the test calls `open()` once it has seen the state it needs. This
 * orders events explicitly, where a sleep would only make the wanted order likely.
 */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

export function stubActivities(overrides: Record<string, Stub> = {}) {
  const calls: string[] = [];
  let n = 0;
  const id = (prefix: string) => `${prefix}-${String(++n).padStart(8, '0')}`;
  const launched = new Map<string, object>();
  /** Every terminateInstance input, in order: what an operation took back. */
  const terminated: Array<{ key: string; generation?: number }> = [];
  const ensureInstance = async (i: { key: string; subnetId: string; instanceType: string; generation?: number }) => {
    const info = { instanceId: id('i'), key: i.key, az: 'us-east-1a', subnetId: i.subnetId, instanceType: i.instanceType, state: 'pending', lifecycle: 'on-demand', generation: i.generation ?? 0 };
    launched.set(info.instanceId, info);
    return info;
  };
  const waitInstanceReady = async (i: { instanceId: string }) => ({ ...launched.get(i.instanceId), state: 'running' });
  const base: Record<string, Stub> = {
    runPreflight: async () => ({ ok: true, checks: [{ name: 'credentials', ok: true, message: 'ok' }], imageId: 'ami-12345678' }),
    ensureJoinSecret: async () => ({ secretName: 'clusterflow/default/demo/join', secretArn: 'arn:secret' }),
    ensureVpc: async () => ({ vpcId: id('vpc') }),
    ensureInternetGateway: async () => ({ internetGatewayId: id('igw') }),
    ensureSubnet: async () => ({ subnetId: id('subnet') }),
    ensureElasticIp: async () => ({ allocationId: id('eipalloc'), publicIp: '198.51.100.1' }),
    ensureNatGateway: async () => ({ natGatewayId: id('nat') }),
    waitNatGatewayAvailable: async () => undefined,
    ensureRouteTable: async () => ({ routeTableId: id('rtb') }),
    ensureSecurityGroup: async () => ({ groupId: id('sg') }),
    ensureLoadBalancer: async () => ({ name: 'demo-api', dnsName: 'demo-api.elb.example' }),
    ensureInstance,
    registerWithLoadBalancer: async () => undefined,
    waitInstanceReady,
    terminateClusterInstances: async () => ({ terminated: ['i-1'] }),
    deleteLoadBalancer: async () => undefined,
    deleteNatGateway: async () => undefined,
    releaseElasticIp: async () => undefined,
    deleteSecurityGroup: async () => undefined,
    deleteRouteTable: async () => undefined,
    deleteInternetGateway: async () => undefined,
    deleteSubnet: async () => undefined,
    deleteVpc: async () => undefined,
    deleteJoinSecret: async () => undefined,
    releaseCloudAccountUsage: async () => undefined,
    ensureNodeInstanceProfile: async () => ({ instanceProfileName: 'clusterflow-demo-node' }),
    deleteNodeInstanceProfile: async () => undefined,
    resolveImage: async () => ({ imageId: 'ami-12345678', name: 'ubuntu' }),
    deregisterFromLoadBalancer: async () => undefined,
    terminateInstance: async (i: { key: string; generation?: number }) => {
      terminated.push(i);
      for (const [instanceId, info] of launched) {
        const node = info as { key: string; generation: number };
        if (node.key === i.key && (i.generation === undefined || node.generation === i.generation)) launched.delete(instanceId);
      }
    },
    liveSettings: async () => ({}),
    onDemandPrice: async () => 0.192,
    spotPrices: async (i: { azs: string[] }) => i.azs.map((az) => ({ az, price: 0.06, at: '2026-01-01T00:00:00.000Z' })),
    listClusterInstances: async () => [...launched.values()].map((info) => ({ ...info, state: 'running' })),
    ...overrides,
  };
  const recorded = Object.fromEntries(
    Object.entries(base).map(([name, fn]) => [name, async (input: unknown) => { calls.push(name); return fn(input); }]),
  );
  return { activities: recorded, calls, terminated };
}


/**
 * Holds the readiness wait of the nodes `stuck` picks (heartbeating, so a cancel reaches it)
 * and opens `waiting` when one is held: a roll or launch caught mid-step. `whenCancelled`
 * replaces the cancellation with what it throws (a worker dying under the call).
 */
export function stuckReady(
  activities: Record<string, Stub>,
  stuck: (node: { key: string; instanceType: string; generation: number }) => boolean,
  waiting: ReturnType<typeof gate>,
  whenCancelled?: () => never,
): void {
  const ready = activities.waitInstanceReady;
  activities.waitInstanceReady = async (input: unknown) => {
    const i = input as { instanceId: string };
    const node = ((await activities.listClusterInstances({})) as Array<{ instanceId: string; key: string; generation: number; instanceType: string }>).find((n) => n.instanceId === i.instanceId);
    if (!node || !stuck(node)) return ready(input);
    waiting.open();
    const context = Context.current();
    try {
      for (;;) {
        context.heartbeat();
        await context.sleep(100);
      }
    } catch (error) {
      if (error instanceof CancelledFailure && whenCancelled) whenCancelled();
      throw error;
    }
  };
}
