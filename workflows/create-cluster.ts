import { ApplicationFailure, CancellationScope, patched, setHandler } from '@temporalio/workflow';
import type { ApiEndpointInfo, IngressRule, Scope } from '../activities/types';
import { endpointKindOf, LEGACY_API_ENDPOINT_KIND, type ApiEndpointRef } from '../common/api-endpoint';
import type { NetworkStatus, PoolStatus } from '../common/cluster-status';
import { controlPlanePool, PoolSpec } from '../common/cluster-spec';
import { activitiesSettled, aws, awsWait } from './activities';
import { PATCHES } from './patches';
import { progressQuery } from './messages';
import { launchNode, poolStatus, nodeIdentities } from './node-lifecycle';
import { OperationInput, scopeOf } from './operation';
import { API_SERVER_PORT, keyOf, planCluster, RESOURCE_KEYS, SECURITY_GROUP_KEYS, SECURITY_GROUPS } from './plan';
import { BASTION_INSTANCE_TYPE, preflightNeeds } from './preflight-needs';
import { TaskList } from './tasks';

export interface ClusterBuild {
  network: NetworkStatus;
  pools: PoolStatus[];
}

interface SubnetIds {
  az: string;
  publicSubnetId: string;
  privateSubnetId: string;
}

/**
 * What the ensured endpoint is, for the status and the nodes: its kind and handles (a network
 * load balancer's ARNs; its members are reached through the target group). A result recorded
 * before endpoints had kinds has none: it was a classic ELB.
 */
function endpointRef(info: ApiEndpointInfo): ApiEndpointRef {
  const kind = (info as Partial<ApiEndpointInfo>).kind ?? LEGACY_API_ENDPOINT_KIND;
  // A classic ELB's ref keeps the shape it has always had: its name is its only handle.
  if (kind === LEGACY_API_ENDPOINT_KIND) return { kind, name: info.name };
  const { name, dnsName, loadBalancerArn, targetGroupArn, listenerArn } = info;
  return { kind, name, dnsName, loadBalancerArn, targetGroupArn, listenerArn };
}

/**
 * Creates a cluster, as the runbook would: preflight; the network (VPC, per-AZ subnets,
 * NAT gateways and routes, Internet gateway); security groups; the API load balancer; the
 * bastion; then the nodes, and waits until every one is ready. Independent steps run in
 * parallel; each step is idempotent, so a retried or replayed step finds what it made.
 */
export async function createCluster(input: OperationInput): Promise<ClusterBuild> {
  const steps = new CancellationScope();
  try {
    return await steps.run(() => buildCluster(input));
  } catch (error) {
    // Failed or cancelled: the steps still running are stopped, and the calls in flight land
    // before the create ends, so the rollback that follows sees everything they made.
    if (patched(PATCHES.createSettlesBeforeFailing)) {
      steps.cancel();
      await activitiesSettled();
    }
    throw error;
  }
}

async function buildCluster(input: OperationInput): Promise<ClusterBuild> {
  const { spec, profile } = input;
  const plan = planCluster(spec);
  const scope = scopeOf(input);
  const tasks = new TaskList(`create cluster ${spec.name}`);
  setHandler(progressQuery, () => tasks.progress());
  const dynamic = spec.cloud.placement.type === 'dynamic';
  // Task names are not keys: activity ids name their task (tasks.ts), so they stay as recorded.
  tasks.plan([
    'preflight',
    'join secret',
    'node instance profile',
    ...(dynamic ? ['vpc', 'internet gateway', ...plan.azs.flatMap((az) => [`subnets ${az}`, `nat gateway ${az}`, `private route table ${az}`]), 'public route table'] : ['existing network']),
    'security groups',
    'load balancer',
    'bastion',
    ...plan.nodes.map((n) => n.key),
  ]);

  const preflight = await tasks.run(
    'preflight',
    () => aws.runPreflight({ scope, sshKeyName: spec.cloud.sshKeyName, image: profile.image, needs: preflightNeeds(spec) }),
    (r) => (r.ok ? `all ${r.checks.length} checks passed` : 'failed'),
  );
  if (!preflight.ok || !preflight.imageId) {
    const failed = preflight.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.message}`);
    throw ApplicationFailure.nonRetryable(`preflight failed: ${failed.join('; ')}`, 'PreflightFailed');
  }
  const imageId = preflight.imageId;

  const secret = tasks.run('join secret', () => aws.ensureJoinSecret({ scope }), (s) => s.secretName);
  const nodeProfile = secret.then((s) =>
    tasks.run(
      'node instance profile',
      () => aws.ensureNodeInstanceProfile({ scope, secretArn: s.secretArn, controlPlaneSecretArn: s.controlPlaneSecretArn }),
      (p) => (p.controlPlaneInstanceProfileName ? `${p.instanceProfileName}, ${p.controlPlaneInstanceProfileName}` : p.instanceProfileName),
    ),
  );
  const network = dynamic ? buildNetwork(input, scope, tasks) : staticNetwork(input, tasks);
  const vpcId = network.then((n) => n.vpcId);
  const groups = vpcId.then((id) => securityGroups(input, scope, tasks, id));
  const loadBalancer = Promise.all([network, groups]).then(([n, g]) =>
    tasks.run(
      'load balancer',
      () =>
        aws.ensureLoadBalancer({
          scope,
          key: RESOURCE_KEYS.apiEndpoint,
          // A spec stored before the field existed was built with a classic ELB.
          kind: endpointKindOf(spec),
          subnetIds: n.subnets.map((s) => s.publicSubnetId),
          securityGroupIds: [g[SECURITY_GROUP_KEYS.loadBalancer]],
          port: API_SERVER_PORT,
        }),
      (lb) => `${lb.name} (${lb.dnsName})`,
    ),
  );
  const bastion = Promise.all([network, groups]).then(([n, g]) =>
    tasks.run(
      'bastion',
      () =>
        aws.ensureInstance({
          scope,
          key: RESOURCE_KEYS.bastion,
          subnetId: n.subnets[0].publicSubnetId,
          instanceType: BASTION_INSTANCE_TYPE,
          imageId,
          securityGroupIds: [g[SECURITY_GROUP_KEYS.bastion]],
          keyName: spec.cloud.sshKeyName,
          // Nothing on the bastion runs in a container: the token need not travel a hop.
          metadataHopLimit: 1,
        }),
      (i) => `${i.instanceId} in ${i.az}`,
    ),
  );

  const cpPool = controlPlanePool(spec);
  const nodes = Promise.all(
    plan.nodes.map(async (node) => {
      const [n, g, lb, s, role] = await Promise.all([network, groups, loadBalancer, secret, nodeProfile]);
      await n.routeReady(node.az);
      const pool = spec.pools.find((p) => p.name === node.pool) as PoolSpec;
      return tasks.run(
        node.key,
        () => launchNode(input, scope, node, pool, { generation: 0, imageId, groups: g, subnetId: n.privateSubnet(node.az), apiEndpoint: `${lb.dnsName}:${API_SERVER_PORT}`, endpoint: endpointRef(lb), ...nodeIdentities(s, role), initialises: node.pool === cpPool.name && node.index === 0 }),
        (i) => `${i.instanceId} ready in ${i.az}`,
      );
    }),
  );

  const [net, g, lb, b, s, nodeRole, launched] = await Promise.all([network, groups, loadBalancer, bastion, secret, nodeProfile, nodes]);
  // An AZ used only by spot pools has no node above to wait for its NAT route: the cluster
  // is not built until every AZ can reach out, whoever launches there later.
  await Promise.all(plan.azs.map((az) => net.routeReady(az)));
  return {
    network: {
      placement: plan.placement,
      vpcId: net.vpcId,
      internetGatewayId: net.internetGatewayId,
      subnets: net.subnets,
      natGateways: net.natGateways,
      securityGroups: g,
      bastion: { instanceId: b.instanceId, publicIp: b.publicIp, az: b.az },
      apiEndpoint: `${lb.dnsName}:${API_SERVER_PORT}`,
      endpoint: endpointRef(lb),
      // Readers of the first status shape take this for a classic ELB's name: only one has it.
      ...(endpointRef(lb).kind === LEGACY_API_ENDPOINT_KIND ? { loadBalancerName: lb.name } : {}),
      joinSecretName: s.secretName,
      controlPlaneSecretName: s.controlPlaneSecretName,
      nodeInstanceProfile: nodeRole.instanceProfileName,
      controlPlaneInstanceProfile: nodeRole.controlPlaneInstanceProfileName,
    },
    pools: spec.pools.map((pool) => poolStatus(pool, launched, input.profile.kubernetesVersion)),
  };
}

interface Network {
  vpcId: string;
  internetGatewayId?: string;
  subnets: SubnetIds[];
  natGateways: Array<{ az: string; natGatewayId: string }>;
  privateSubnet(az: string): string;
  /** Resolves when nodes in the AZ can reach out (their NAT route exists). */
  routeReady(az: string): Promise<void>;
}

function buildNetwork(input: OperationInput, scope: Scope, tasks: TaskList): Promise<Network> {
  const placement = input.spec.cloud.placement;
  if (placement.type !== 'dynamic') throw new Error('dynamic placement expected');
  const plan = planCluster(input.spec);
  const vpc = tasks.run('vpc', () => aws.ensureVpc({ scope, key: RESOURCE_KEYS.vpc, cidr: placement.vpcCidr }), (v) => v.vpcId);
  const igw = vpc.then(({ vpcId }) =>
    tasks.run('internet gateway', () => aws.ensureInternetGateway({ scope, key: RESOURCE_KEYS.internetGateway, vpcId }), (i) => i.internetGatewayId),
  );
  const perAz = plan.subnets.map((s) => {
    const subnets = vpc.then(({ vpcId }) =>
      tasks.run(
        `subnets ${s.az}`,
        async (): Promise<SubnetIds> => {
          const [pub, priv] = await Promise.all([
            aws.ensureSubnet({ scope, key: keyOf.publicSubnet(s.az), vpcId, cidr: s.publicCidr, az: s.az, public: true }),
            aws.ensureSubnet({ scope, key: keyOf.privateSubnet(s.az), vpcId, cidr: s.privateCidr, az: s.az, public: false }),
          ]);
          return { az: s.az, publicSubnetId: pub.subnetId, privateSubnetId: priv.subnetId };
        },
        (ids) => `public ${ids.publicSubnetId}, private ${ids.privateSubnetId}`,
      ),
    );
    const eip = aws.ensureElasticIp({ scope, key: keyOf.natElasticIp(s.az) });
    const nat = Promise.all([subnets, eip]).then(([ids, address]) =>
      tasks.run(
        `nat gateway ${s.az}`,
        async () => {
          const { natGatewayId } = await aws.ensureNatGateway({ scope, key: keyOf.natGateway(s.az), subnetId: ids.publicSubnetId, allocationId: address.allocationId });
          await awsWait.waitNatGatewayAvailable({ scope, natGatewayId });
          return natGatewayId;
        },
        (id) => `${id} available`,
      ),
    );
    const route = Promise.all([vpc, subnets, nat]).then(([{ vpcId }, ids, natGatewayId]) =>
      tasks.run(
        `private route table ${s.az}`,
        () => aws.ensureRouteTable({ scope, key: keyOf.privateRouteTable(s.az), vpcId, routes: [{ destinationCidr: '0.0.0.0/0', natGatewayId }], subnetIds: [ids.privateSubnetId] }),
        (r) => r.routeTableId,
      ),
    );
    // Awaited only later (by this AZ's nodes): mark them handled now, or an early failure
    // counts as an unhandled rejection and fails the workflow task instead of the operation.
    nat.catch(() => undefined);
    route.catch(() => undefined);
    return { az: s.az, subnets, nat, route };
  });
  const allSubnets = Promise.all(perAz.map((p) => p.subnets));
  const publicRoute = Promise.all([vpc, igw, allSubnets]).then(([{ vpcId }, { internetGatewayId }, ids]) =>
    tasks.run(
      'public route table',
      () => aws.ensureRouteTable({ scope, key: RESOURCE_KEYS.publicRouteTable, vpcId, routes: [{ destinationCidr: '0.0.0.0/0', gatewayId: internetGatewayId }], subnetIds: ids.map((i) => i.publicSubnetId) }),
      (r) => r.routeTableId,
    ),
  );
  // The network is usable for the load balancer and bastion once subnets, IGW and the public
  // routes exist; NAT gateways finish in the background and gate only their AZ's nodes.
  return Promise.all([vpc, igw, allSubnets, publicRoute]).then(([{ vpcId }, { internetGatewayId }, subnets]) => {
    const natGateways: Array<{ az: string; natGatewayId: string }> = [];
    for (const p of perAz) void p.nat.then((natGatewayId) => natGateways.push({ az: p.az, natGatewayId }), () => undefined);
    return {
      vpcId,
      internetGatewayId,
      subnets,
      natGateways,
      privateSubnet: (az) => subnets.find((s) => s.az === az)!.privateSubnetId,
      routeReady: async (az) => {
        await perAz.find((p) => p.az === az)!.route;
      },
    };
  });
}

async function staticNetwork(input: OperationInput, tasks: TaskList): Promise<Network> {
  const placement = input.spec.cloud.placement;
  if (placement.type !== 'static') throw new Error('static placement expected');
  return tasks.run(
    'existing network',
    async () => ({
      vpcId: placement.vpcId,
      subnets: placement.subnets.map((s) => ({ az: s.az, publicSubnetId: s.publicSubnetId, privateSubnetId: s.privateSubnetId })),
      natGateways: [],
      privateSubnet: (az: string) => placement.subnets.find((s) => s.az === az)!.privateSubnetId,
      routeReady: async () => undefined,
    }),
    () => `VPC ${placement.vpcId}, ${placement.subnets.length} AZs (nothing created)`,
  );
}

interface GroupRules {
  description: string;
  /** The rules, given the ids of the groups made so far (the group's own once it exists). */
  ingress(ids: Record<string, string>): IngressRule[];
}

function groupRules(input: OperationInput): Record<string, GroupRules> {
  const SG = SECURITY_GROUP_KEYS;
  const bastionCidrs = input.spec.cloud.bastionSshCidrs ?? ['0.0.0.0/0'];
  return {
    [SG.loadBalancer]: {
      description: 'Kubernetes API load balancer',
      ingress: () => [{ protocol: 'tcp', fromPort: API_SERVER_PORT, toPort: API_SERVER_PORT, cidrs: ['0.0.0.0/0'], description: 'Kubernetes API' }],
    },
    [SG.bastion]: {
      description: 'Bastion: the only SSH entry',
      ingress: () => [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: bastionCidrs, description: 'SSH' }],
    },
    [SG.nodes]: {
      description: 'Cluster nodes',
      ingress: (ids) => [
        { protocol: 'tcp', fromPort: 22, toPort: 22, sourceGroupIds: [ids[SG.bastion]], description: 'SSH from the bastion only' },
        // Node-to-node traffic needs the group's own id, known only once it exists.
        ...(ids[SG.nodes] ? [{ protocol: '-1' as const, fromPort: -1, toPort: -1, sourceGroupIds: [ids[SG.nodes]], description: 'node to node' }] : []),
      ],
    },
    [SG.controlPlane]: {
      description: 'Control-plane nodes',
      ingress: (ids) => [
        { protocol: 'tcp', fromPort: API_SERVER_PORT, toPort: API_SERVER_PORT, sourceGroupIds: [ids[SG.loadBalancer], ids[SG.nodes]], description: 'Kubernetes API from the load balancer and nodes' },
      ],
    },
  };
}

/**
 * The plan's security groups, in its order: those whose sources exist go together, and a
 * group whose rules name itself is ensured again once its id is known.
 */
async function securityGroups(input: OperationInput, scope: Scope, tasks: TaskList, vpcId: string): Promise<Record<string, string>> {
  return tasks.run(
    'security groups',
    async () => {
      const rules = groupRules(input);
      const ids: Record<string, string> = {};
      let pending = [...SECURITY_GROUPS];
      while (pending.length > 0) {
        const ready = pending.filter((g) => g.sources.every((source) => source in ids));
        if (ready.length === 0) throw ApplicationFailure.nonRetryable(`security groups wait on each other: ${pending.map((g) => g.key).join(', ')}`, 'PlanCycle');
        await Promise.all(
          ready.map(async ({ key }) => {
            const { description, ingress } = rules[key];
            const known = { ...ids };
            const before = ingress(known);
            const first = await aws.ensureSecurityGroup({ scope, key, vpcId, description, ingress: before });
            const after = ingress({ ...known, [key]: first.groupId });
            const same = JSON.stringify(after) === JSON.stringify(before);
            ids[key] = same ? first.groupId : (await aws.ensureSecurityGroup({ scope, key, vpcId, description, ingress: after })).groupId;
          }),
        );
        pending = pending.filter((g) => !ready.includes(g));
      }
      return Object.fromEntries(SECURITY_GROUPS.map((g) => [g.key, ids[g.key]]));
    },
    (g) => Object.values(g).join(', '),
  );
}
