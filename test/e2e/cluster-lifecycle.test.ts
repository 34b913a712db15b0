import { IAMClient, ListInstanceProfilesCommand } from '@aws-sdk/client-iam';
import { CreateKeyPairCommand, DescribeInstancesCommand, CreateSubnetCommand, CreateVpcCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { Client, Connection } from '@temporalio/client';
import type { ClusterSpec } from '../../common/cluster-spec';
import { endpointMembers, eventuallyListed, NOTHING, THREE_AZ_INVENTORY, waitPhase } from '../support/clusters';
import { armHold, releaseHold, waitParked } from '../support/sim-holds';
import { call } from '../support/http';
import { counts, inventory, InventoryItem, putSimConfig, resetSimStats, simStats } from '../support/sim-client';
import { useStack } from '../support/stack';
import { stackDataConverter } from '../support/stack-codec';
import { specQuery } from '../../workflows/messages';

const KEYS = { accessKeyId: 'AKIAE2ELIFECYCLE0001', secretAccessKey: 'lifecycleSecretKeyThatIsLongEnough0001' };
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

/**
 * Create and delete through the API against the real stack: Temporal dev server, worker,
 * API, and the simulator with non-zero delays. The simulator's inventory is the judge.
 */
describe('cluster lifecycle (end to end)', () => {
  // A fifth of the simulator's default delays: every state still lags, as in AWS.
  const stack = useStack({ sim: { delayScale: 0.2 } });
  let api: string;
  let sim: string;
  let token: string;
  let accountId: string;
  let ec2: EC2Client;
  let temporal: Client;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name: 'e2e', ...KEYS } });
    expect(account.status).toBe(201);
    accountId = account.body.id;
    ec2 = new EC2Client({ region: 'us-east-1', endpoint: sim, credentials: KEYS });
    await ec2.send(new CreateKeyPairCommand({ KeyName: 'ops-key' }));
    temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` }), dataConverter: stackDataConverter(stack) });
  });

  afterAll(async () => {
    ec2?.destroy();
    await temporal?.connection.close();
  });

  function dynamicSpec(name: string): ClusterSpec {
    return {
      name,
      tags: { team: 'infra' },
      profile: { id: 'aws-default', overrides: { kubernetes: { podCIDR: '192.168.0.0/16' } } },
      cloud: { accountId, region: 'us-east-1', sshKeyName: 'ops-key', placement: { type: 'dynamic', vpcCidr: '10.20.0.0/16' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 3, instanceType: 'm5.large', azs: AZS },
        { name: 'workers', role: 'worker', size: 3, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'], capacity: { type: 'on-demand' } },
        { name: 'compute', role: 'worker', size: 2, instanceType: 'c5.xlarge', azs: ['us-east-1c'] },
      ],
    };
  }


  async function listed(query: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const w of temporal.workflow.list({ query })) ids.push(w.workflowId);
    return ids;
  }

  const byResource = (items: InventoryItem[]) => Object.fromEntries(items.map((i) => [i.tags?.['clusterflow.io/resource'], i]));

  it('dry run: plan, preflight and cost, without one mutating AWS call', async () => {
    await resetSimStats(sim);
    const r = await call(api, 'POST', '/v1/clusters?dryRun=true', { token, body: dynamicSpec('dry') });
    expect(r.status).toBe(200);
    expect(r.body.preflight.ok).toBe(true);
    expect(r.body.preflight.checks.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['credentials', 'ssh key pair', 'image', 'NAT gateway quota in us-east-1c', 'Elastic IP quota', 'VPC quota', 'on-demand vCPU quota', 'network load balancer quota']),
    );
    const keys = r.body.plan.resources.map((x: { key: string }) => x.key);
    expect(keys).toEqual(expect.arrayContaining(['vpc', 'nat/us-east-1c', 'lb/api', 'lb/api/targets', 'lb/api/listener', 'bastion', 'node/compute/1']));
    // A spec that names no API endpoint gets a network load balancer, priced as one.
    expect(r.body.cost.lines.map((l: { item: string }) => l.item)).toContain('network load balancer (hourly, before capacity units)');
    expect(r.body.cost.usdPerHour).toBeGreaterThan(0);
    expect(r.body.cost.missing).toEqual([]);
    const stats = await simStats(sim);
    expect(stats.totals.calls).toBeGreaterThan(0);
    expect(stats.totals.mutating).toBe(0);
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/dry')).instances).toBe(0);
  });

  it('creates a 3-AZ cluster with every resource where the rules put it', async () => {
    // The create stays inside its `vpc` step until the listing below has been checked.
    const vpcHold = await armHold(sim, 'ec2:CreateVpc');
    const created = await call(api, 'POST', '/v1/clusters', { token, body: dynamicSpec('demo') });
    expect(created).toMatchObject({ status: 202, body: { name: 'demo', operationId: 'op-1-create' } });
    expect((await call(api, 'POST', '/v1/clusters', { token, body: dynamicSpec('demo') })).status).toBe(409);

    // The Web UI's filter: ClusterPhase="Provisioning" finds the cluster while it is created
    // (once Temporal's visibility has caught up: list queries are eventually consistent).
    await waitParked(sim, vpcHold);
    await eventuallyListed(() => listed('ClusterPhase = "Provisioning" AND ClusterName = "demo"'), ['cluster/default/demo']);
    await releaseHold(sim, vpcHold);
    const status = await waitPhase(api, token, 'demo', ['Running', 'Failed']);
    expect(status.lastError).toBeUndefined();
    expect(status.phase).toBe('Running');

    const inv = await inventory(sim, 'clusterflow.io/cluster=default/demo');
    expect(counts(inv)).toEqual(THREE_AZ_INVENTORY);
    const subnets = byResource(inv.subnets);
    const publicIds = AZS.map((az) => subnets[`subnet/public/${az}`].id);
    const privateIds = AZS.map((az) => subnets[`subnet/private/${az}`].id);
    for (const az of AZS) {
      expect(subnets[`subnet/public/${az}`]).toMatchObject({ availabilityZone: az, mapPublicIpOnLaunch: true });
      expect(subnets[`subnet/public/${az}`].tags).toMatchObject({ 'kubernetes.io/role/elb': '1' });
      expect(subnets[`subnet/private/${az}`].tags).toMatchObject({ 'kubernetes.io/role/internal-elb': '1' });
    }
    // One NAT gateway per AZ, in that AZ's public subnet; each private route goes through its own AZ's NAT.
    const nats = byResource(inv.natGateways);
    AZS.forEach((az, i) => expect(nats[`nat/${az}`]).toMatchObject({ state: 'available', subnetId: publicIds[i] }));
    const routes = byResource(inv.routeTables);
    AZS.forEach((az, i) => {
      expect(routes[`rtb/private/${az}`].subnetIds).toEqual([privateIds[i]]);
      expect(routes[`rtb/private/${az}`].routes).toEqual(expect.arrayContaining([{ destination: '0.0.0.0/0', target: nats[`nat/${az}`].id }]));
    });
    expect([...(routes['rtb/public'].subnetIds as string[])].sort()).toEqual([...publicIds].sort());

    const instances = byResource(inv.instances);
    const nodes = inv.instances.filter((i) => i.tags?.['clusterflow.io/resource']?.startsWith('node/'));
    expect(nodes).toHaveLength(8);
    for (const node of nodes) expect(privateIds).toContain(node.subnetId);
    expect(instances.bastion.subnetId).toBe(publicIds[0]);
    expect(inv.instances.filter((i) => publicIds.includes(i.subnetId as string)).map((i) => i.tags?.['clusterflow.io/resource'])).toEqual(['bastion']);
    const masters = nodes.filter((n) => n.tags?.['clusterflow.io/resource']?.startsWith('node/master/'));
    expect(masters.map((m) => m.availabilityZone).sort()).toEqual(AZS);
    expect(nodes.filter((n) => n.tags?.['clusterflow.io/resource']?.startsWith('node/workers/')).map((n) => n.availabilityZone).sort()).toEqual(['us-east-1a', 'us-east-1a', 'us-east-1b']);
    expect(nodes.filter((n) => n.instanceType === 'c5.xlarge').map((n) => n.availabilityZone)).toEqual(['us-east-1c', 'us-east-1c']);
    for (const instance of inv.instances) {
      expect(instance.tags).toMatchObject({ 'clusterflow.io/cluster': 'default/demo', 'kubernetes.io/cluster/demo': 'owned', team: 'infra', Name: expect.stringMatching(/^demo-/) });
    }
    expect(endpointMembers(inv)).toEqual(masters.map((m) => m.id).sort());
    // Workers carry the profile that may read the join secret, control-plane nodes their own
    // (which may also read the certificate key); the bastion none. IMDSv2 only, everywhere.
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: inv.instances.map((i) => i.id as string) }));
    const launched = Object.fromEntries(
      (described.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.Tags?.find((t) => t.Key === 'clusterflow.io/resource')?.Value, i]),
    );
    expect(launched.bastion.IamInstanceProfile).toBeUndefined();
    expect(launched.bastion.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    const { nodeInstanceProfile, controlPlaneInstanceProfile } = status.network;
    expect(controlPlaneInstanceProfile).toBeDefined();
    expect(controlPlaneInstanceProfile).not.toBe(nodeInstanceProfile);
    for (const node of nodes) {
      const key = node.tags!['clusterflow.io/resource'];
      const profile = key.startsWith('node/master/') ? controlPlaneInstanceProfile : nodeInstanceProfile;
      expect(launched[key].IamInstanceProfile?.Arn).toMatch(new RegExp(`instance-profile/${profile}$`));
      expect(launched[key].MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 2 });
    }
    expect(inv.loadBalancers[0]).toMatchObject({ kind: 'network', scheme: 'internet-facing' });

    // No apiEndpoint in the request: the stored spec says what was built, a network load
    // balancer, and the cloud holds exactly that (read back from ELBv2 itself).
    expect((await temporal.workflow.getHandle('cluster/default/demo').query(specQuery)).cloud.apiEndpoint).toEqual({ type: 'nlb' });
    const { endpoint } = status.network;
    expect(endpoint).toMatchObject({ kind: 'nlb', name: inv.loadBalancers[0].name, loadBalancerArn: inv.loadBalancers[0].arn, dnsName: inv.loadBalancers[0].dnsName });
    // Only a classic ELB's name goes where readers of the first status shape look for one.
    expect(status.network.loadBalancerName).toBeUndefined();
    const elbv2 = new ElasticLoadBalancingV2Client({ region: 'us-east-1', endpoint: sim, credentials: KEYS });
    try {
      const lb = (await elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [endpoint!.loadBalancerArn!] }))).LoadBalancers![0];
      expect(lb).toMatchObject({ Type: 'network', Scheme: 'internet-facing', VpcId: inv.vpcs[0].id, SecurityGroups: [status.network.securityGroups['sg/lb']] });
      expect((lb.AvailabilityZones ?? []).map((az) => az.SubnetId).sort()).toEqual([...publicIds].sort());
      const attributes = (await elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Attributes ?? [];
      expect(attributes.find((a) => a.Key === 'load_balancing.cross_zone.enabled')?.Value).toBe('true');
      const [group] = (await elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).TargetGroups ?? [];
      expect(group).toMatchObject({ TargetGroupArn: endpoint!.targetGroupArn, Protocol: 'TCP', Port: 6443, TargetType: 'instance', HealthCheckProtocol: 'TCP', HealthCheckPort: 'traffic-port' });
      const listeners = (await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
      expect(listeners.map((l) => `${l.ListenerArn} ${l.Protocol} ${l.Port} ${l.DefaultActions?.map((a) => `${a.Type} ${a.TargetGroupArn}`)}`)).toEqual([
        `${endpoint!.listenerArn} TCP 6443 forward ${group.TargetGroupArn}`,
      ]);
      // Every control-plane node passed the TCP health check on 6443; no worker is a target.
      const health = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn }))).TargetHealthDescriptions ?? [];
      expect(health.map((h) => `${h.Target?.Id} ${h.Target?.Port} ${h.TargetHealth?.State}`).sort()).toEqual(masters.map((m) => `${m.id} 6443 healthy`).sort());
    } finally {
      elbv2.destroy();
    }

    expect(status.network).toMatchObject({ vpcId: inv.vpcs[0].id, apiEndpoint: `${inv.loadBalancers[0].dnsName}:6443`, bastion: { instanceId: instances.bastion.id } });
    expect(status.pools.map((p) => [p.name, p.nodes.length, p.desired])).toEqual([['master', 3, 3], ['workers', 3, 3], ['compute', 2, 2]]);
    const op = await call(api, 'GET', '/v1/clusters/demo/operations/op-1-create', { token });
    expect(op.body).toMatchObject({ type: 'create', state: 'Succeeded', progress: { completed: op.body.progress.total } });
    expect(op.body.tasks.every((t: { state: string }) => t.state === 'Succeeded')).toBe(true);
    await eventuallyListed(() => listed('ClusterPhase = "Running" AND ClusterName = "demo"'), ['cluster/default/demo']);
  });

  it('refuses to delete the cloud account while the cluster uses it', async () => {
    expect((await call(api, 'DELETE', `/v1/cloud-accounts/${accountId}`, { token })).status).toBe(409);
  });

  it('deletes the cluster, leaving nothing with its tag; a refusal AWS lifts later shows as a retry', async () => {
    // AWS refuses the route tables' deletes for a while (each of the four tables three times).
    const refusal = 'The routeTable has dependencies and cannot be deleted.';
    await putSimConfig(sim, { faults: { 'ec2:DeleteRouteTable': { code: 'DependencyViolation', rate: 1, count: 12, message: refusal } } });
    const deleting = await call(api, 'DELETE', '/v1/clusters/demo', { token });
    expect(deleting).toMatchObject({ status: 202, body: { operationId: 'op-2-delete' } });
    const again = await call(api, 'DELETE', '/v1/clusters/demo', { token });
    expect(again).toMatchObject({ status: 409, body: { details: { operationId: 'op-2-delete' } } });
    const retries: Array<{ task?: string; activity: string; attempt: number; lastError: string; nextAttemptAt?: string }> = [];
    const deadline = Date.now() + 180000;
    while ((await call(api, 'GET', '/v1/clusters/demo', { token })).body?.phase === 'Deleting' && Date.now() < deadline) {
      const operation = (await call(api, 'GET', '/v1/clusters/demo/operations/op-2-delete', { token })).body;
      // Every answer agrees with itself: a call shown as retried belongs to a task shown Running.
      for (const retry of operation.retrying ?? []) {
        expect(operation.tasks.find((t: { name: string }) => t.name === retry.task)?.state).toBe('Running');
      }
      retries.push(...(operation.retrying ?? []));
      await new Promise((res) => setTimeout(res, 200));
    }
    await putSimConfig(sim, { faults: { 'ec2:DeleteRouteTable': null } });
    const status = await waitPhase(api, token, 'demo', ['Deleted', 'Failed']);
    expect(status.phase).toBe('Deleted');
    expect(retries).toContainEqual(expect.objectContaining({ task: 'route tables', activity: 'deleteRouteTable', lastError: `DependencyViolation: ${refusal}` }));
    for (const retry of retries) expect(retry.attempt).toBeGreaterThan(1);
    expect((await call(api, 'GET', '/v1/clusters/demo/operations/op-2-delete', { token })).body.retrying).toBeUndefined();
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/demo'))).toEqual(NOTHING);
    // Listener, load balancer and target group are gone from ELBv2, tagged or not.
    const everything = await inventory(sim);
    expect([everything.loadBalancers, everything.targetGroups, everything.listeners]).toEqual([[], [], []]);
    await eventuallyListed(async () => (await call(api, 'GET', '/v1/clusters', { token })).body.items.map((c: { name: string }) => c.name), []);
    const iam = new IAMClient({ region: 'us-east-1', endpoint: sim, credentials: KEYS });
    await expect(iam.send(new ListInstanceProfilesCommand({}))).resolves.toMatchObject({ InstanceProfiles: [] });
    iam.destroy();
  });

  it('static placement builds inside an existing VPC and leaves it standing after delete', async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc!.VpcId!;
    const subnets = [];
    for (const [i, az] of AZS.entries()) {
      const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.50.${i * 2}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!;
      const priv = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.50.${i * 2 + 1}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!;
      subnets.push({ az, publicSubnetId: pub, privateSubnetId: priv });
    }
    // A classic ELB, asked for by name: it still works, and is what the record says.
    const spec = dynamicSpec('placed');
    spec.cloud.placement = { type: 'static', vpcId: vpc, subnets };
    spec.cloud.apiEndpoint = { type: 'classic' };
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    expect((await waitPhase(api, token, 'placed', ['Running', 'Failed'])).phase).toBe('Running');

    const inv = await inventory(sim, 'clusterflow.io/cluster=default/placed');
    expect(counts(inv)).toEqual({ ...NOTHING, securityGroups: 4, instances: 9, loadBalancers: 1, secrets: 2, roles: 2, instanceProfiles: 2 });
    expect(inv.loadBalancers[0]).toMatchObject({ kind: 'classic', scheme: 'internet-facing' });
    const placedMasters = inv.instances.filter((i) => i.tags?.['clusterflow.io/resource']?.startsWith('node/master/')).map((i) => i.id as string);
    expect(endpointMembers(inv)).toEqual(placedMasters.sort());
    const placed = (await call(api, 'GET', '/v1/clusters/placed', { token })).body;
    expect(placed.network.endpoint).toEqual({ kind: 'classic-elb', name: inv.loadBalancers[0].name });
    expect((await temporal.workflow.getHandle('cluster/default/placed').query(specQuery)).cloud.apiEndpoint).toEqual({ type: 'classic' });
    for (const node of inv.instances.filter((i) => i.tags?.['clusterflow.io/resource'] !== 'bastion')) {
      expect(subnets.map((s) => s.privateSubnetId)).toContain(node.subnetId);
    }

    await call(api, 'DELETE', '/v1/clusters/placed', { token });
    expect((await waitPhase(api, token, 'placed', ['Deleted', 'Failed'])).phase).toBe('Deleted');
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/placed'))).toEqual(NOTHING);
    expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc] }))).Vpcs).toHaveLength(1);
    const left = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnets.flatMap((s) => [s.publicSubnetId, s.privateSubnetId]) }));
    expect(left.Subnets).toHaveLength(6);
  });

  it('creates and deletes a cluster with the longest legal name, one starting with sg-', async () => {
    const name = `sg-${'long'.repeat(15)}`;
    expect(name).toHaveLength(63);
    const spec = dynamicSpec(name);
    spec.pools = [{ name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] }];
    expect((await call(api, 'POST', '/v1/clusters', { token, body: spec })).status).toBe(202);
    const created = await waitPhase(api, token, name, ['Running', 'Failed']);
    expect(created).toMatchObject({ phase: 'Running' });
    const inv = await inventory(sim, `clusterflow.io/cluster=default/${name}`);
    expect(counts(inv)).toEqual({
      vpcs: 1, subnets: 2, internetGateways: 1, natGateways: 1, addresses: 1, routeTables: 2, securityGroups: 4, instances: 2, loadBalancers: 1, targetGroups: 1, listeners: 1, secrets: 2, roles: 2, instanceProfiles: 2,
    });
    // ELBv2 names hold 32 characters; the simulator refuses longer ones, as AWS does.
    expect([inv.loadBalancers[0].name, inv.targetGroups[0].name].map((n) => (n as string).length <= 32)).toEqual([true, true]);
    for (const role of inv.roles) expect(role.name!.length).toBeLessThanOrEqual(64);
    for (const group of inv.securityGroups) expect(group.name).toMatch(/^cf-sg-/);

    await call(api, 'DELETE', `/v1/clusters/${name}`, { token });
    expect((await waitPhase(api, token, name, ['Deleted', 'Failed'])).phase).toBe('Deleted');
    expect(counts(await inventory(sim, `clusterflow.io/cluster=default/${name}`))).toEqual(NOTHING);
  });

  it('frees the cloud account once its clusters are deleted', async () => {
    expect((await call(api, 'DELETE', `/v1/cloud-accounts/${accountId}`, { token })).status).toBe(204);
  });
});
