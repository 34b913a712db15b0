import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNatGatewayCommand,
  DescribeVpcsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type ResourceType,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { CreateLoadBalancerCommand as CreateNlbCommand, CreateListenerCommand, CreateTargetGroupCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { configFromEnv, defaultConfig, type SimConfig } from '../../sim/config';
import type { Inventory } from '../../sim/inventory';
import { AMI, QUIET, useHarness } from './harness';

/** Feature 10: the control API — reset, config, stats and inventory. */

const h = useHarness(QUIET);
let ec2: EC2Client;
beforeAll(() => {
  ec2 = h.ec2();
});

const CLUSTER = 'clusterflow.io/cluster';
const tagged = (type: ResourceType, cluster: string): TagSpecification[] => [
  { ResourceType: type, Tags: [{ Key: CLUSTER, Value: cluster }, { Key: 'Name', Value: `${cluster}-${type}` }] },
];

describe('config', () => {
  it('starts from AWS-like defaults and merges partial updates', async () => {
    await h.control('POST', '/_sim/reset');
    const initial = await h.control<SimConfig>('GET', '/_sim/config');
    expect(initial).toEqual(defaultConfig());
    expect(initial.throttling.enabled).toBe(true);
    expect(Object.values(initial.delays).every((ms) => ms > 0)).toBe(true);
    expect(initial.quotas).toMatchObject({ elasticIps: 5, vpcsPerRegion: 5, natGatewaysPerAz: 5 });

    const merged = await h.control<SimConfig>('PUT', '/_sim/config', { delays: { natGatewayPending: 123 }, throttling: { rateScale: 4 }, latency: { '*': 5 } });
    expect(merged.delays.natGatewayPending).toBe(123);
    expect(merged.delays.instancePending).toBe(initial.delays.instancePending);
    expect(merged.throttling).toMatchObject({ enabled: true, rateScale: 4, capacityScale: 1 });
    const removed = await h.control<SimConfig>('PUT', '/_sim/config', { latency: { '*': null } });
    expect(removed.latency).toEqual({});

    await expect(h.control('PUT', '/_sim/config', { delays: { nope: 1 } })).rejects.toThrow(/400[\s\S]*delays\.nope/);
    await expect(h.control('PUT', '/_sim/config', { delayScale: -1 })).rejects.toThrow(/400/);
  });

  it('reads its startup config from CLUSTERFLOW_SIM_CONFIG', () => {
    const config = configFromEnv({ CLUSTERFLOW_SIM_CONFIG: JSON.stringify({ delayScale: 0.05, throttling: { rateScale: 10 } }) });
    expect(config.delayScale).toBe(0.05);
    expect(config.throttling.rateScale).toBe(10);
    expect(config.quotas).toEqual(defaultConfig().quotas);
    expect(configFromEnv({})).toEqual(defaultConfig());
    expect(() => configFromEnv({ CLUSTERFLOW_SIM_CONFIG: '{oops' })).toThrow(/not valid JSON/);
    expect(() => configFromEnv({ CLUSTERFLOW_SIM_CONFIG: '{"throttling":{"enabled":"yes"}}' })).toThrow(/throttling\.enabled/);
  });
});

describe('reset', () => {
  it('empties moto and the simulator state', async () => {
    await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }));
    await h.control('PUT', '/_sim/spot-prices', { region: 'us-east-1', availabilityZone: 'us-east-1a', instanceType: 'm5.large', price: 0.5 });
    await h.control('POST', '/_sim/reset');
    const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.7.0.0/16'] }] }));
    expect(vpcs.Vpcs).toEqual([]);
    const prices = await h.control<{ prices: unknown[] }>('GET', '/_sim/spot-prices');
    expect(prices.prices).toEqual([]);
    const stats = await h.stats();
    expect(stats.totals.calls).toBe(1); // only the DescribeVpcs above
  });
});

describe('stats', () => {
  it('counts calls per service:Action and tells whether anything mutated', async () => {
    await ec2.send(new DescribeVpcsCommand({}));
    await ec2.send(new DescribeVpcsCommand({}));
    await h.sts().send(new GetCallerIdentityCommand({}));
    await expect(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', DryRun: true }))).rejects.toMatchObject({ name: 'DryRunOperation' });
    let stats = await h.stats();
    expect(stats.actions['ec2:DescribeVpcs']).toMatchObject({ calls: 2, ok: 2, mutating: false });
    expect(stats.actions['sts:GetCallerIdentity']).toMatchObject({ calls: 1, ok: 1 });
    expect(stats.actions['ec2:CreateVpc']).toMatchObject({ calls: 1, errors: 1 });
    expect(stats.totals).toMatchObject({ calls: 4, mutating: 0, mutatingOk: 0 });

    await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    stats = await h.stats();
    expect(stats.actions['ec2:CreateVpc']).toMatchObject({ calls: 2, ok: 1, mutating: true });
    expect(stats.totals).toMatchObject({ mutating: 1, mutatingOk: 1 });

    const cleared = await h.control<{ totals: { calls: number } }>('DELETE', '/_sim/stats');
    expect(cleared.totals.calls).toBe(0);
    await ec2.send(new DescribeVpcsCommand({}));
    await h.control('POST', '/_sim/stats/reset');
    expect((await h.stats()).actions).toEqual({});
  });
});

describe('inventory', () => {
  it('lists live resources by type, filtered by tag, without terminated instances, deleted NAT gateways or defaults', async () => {
    await h.control('PUT', '/_sim/config', { delayScale: 1, delays: { natGatewayPending: 0, natGatewayDeleting: 0, instancePending: 0, instanceShuttingDown: 0 } });
    const mine = 'default/demo';
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tagged('vpc', mine) }));
    const vpcId = vpc.Vpc?.VpcId as string;
    const subnet = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a', TagSpecifications: tagged('subnet', mine) }),
    );
    const subnetId = subnet.Subnet?.SubnetId as string;
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagged('elastic-ip', mine) }));
    const nat = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId, TagSpecifications: tagged('natgateway', mine) }));
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'nodes', Description: 'nodes', VpcId: vpcId, TagSpecifications: tagged('security-group', mine) }));
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 2, MaxCount: 2, SubnetId: subnetId, TagSpecifications: tagged('instance', mine) }),
    );
    const [keep, gone] = (run.Instances ?? []).map((i) => i.InstanceId as string);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    await ec2.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: subnetId, TagSpecifications: tagged('instance', 'default/other') }));

    const elb = h.elb();
    await elb.send(
      new CreateLoadBalancerCommand({
        LoadBalancerName: 'demo-api',
        Listeners: [{ Protocol: 'TCP', LoadBalancerPort: 6443, InstancePort: 6443 }],
        Subnets: [subnetId],
        Tags: [{ Key: CLUSTER, Value: mine }],
      }),
    );
    await elb.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'demo-api', Instances: [{ InstanceId: keep }] }));
    const elbv2 = h.elbv2();
    const nlb = await elbv2.send(new CreateNlbCommand({ Name: 'demo-nlb', Type: 'network', Subnets: [subnetId], Tags: [{ Key: CLUSTER, Value: mine }] }));
    const tg = await elbv2.send(new CreateTargetGroupCommand({ Name: 'demo-tg', Protocol: 'TCP', Port: 6443, VpcId: vpcId, HealthCheckProtocol: 'TCP', Tags: [{ Key: CLUSTER, Value: mine }] }));
    const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn;
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: keep, Port: 6443 }] }));
    const listener = await elbv2.send(
      new CreateListenerCommand({ LoadBalancerArn: nlb.LoadBalancers?.[0]?.LoadBalancerArn, Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }], Tags: [{ Key: CLUSTER, Value: mine }] }),
    );
    // A target group no load balancer uses still shows: an orphan must be seen.
    const loose = await elbv2.send(new CreateTargetGroupCommand({ Name: 'loose-tg', Protocol: 'TCP', Port: 6443, VpcId: vpcId, Tags: [{ Key: CLUSTER, Value: mine }] }));
    await h.secrets().send(new CreateSecretCommand({ Name: 'clusterflow/default/demo/join', SecretString: 'x', Tags: [{ Key: CLUSTER, Value: mine }] }));
    const iam = h.iam();
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    for (const [name, tags] of [['demo-node', [{ Key: CLUSTER, Value: mine }]], ['someone-elses', [{ Key: CLUSTER, Value: 'default/other' }]]] as const) {
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust, Tags: [...tags] }));
      await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: [...tags] }));
      await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
    }

    const inv = await h.control<Inventory>('GET', `/_sim/inventory?tag=${encodeURIComponent(`${CLUSTER}=${mine}`)}`);
    expect(inv.regions).toEqual(['us-east-1']);
    expect(inv.vpcs.map((v) => v.id)).toEqual([vpcId]);
    expect(inv.subnets.map((s) => s.id)).toEqual([subnetId]);
    expect(inv.natGateways).toMatchObject([{ id: nat.NatGateway?.NatGatewayId, state: 'available', subnetId, allocationIds: [eip.AllocationId] }]);
    expect(inv.addresses.map((a) => a.allocationId)).toEqual([eip.AllocationId]);
    expect(inv.securityGroups.map((g) => g.id)).toEqual([sg.GroupId]);
    expect(inv.instances).toHaveLength(1);
    expect(inv.instances[0]).toMatchObject({ id: keep, state: 'running', availabilityZone: 'us-east-1a', subnetId, instanceType: 'm5.large', lifecycle: 'on-demand' });
    expect(inv.instances[0].tags[CLUSTER]).toBe(mine);
    expect(inv.loadBalancers.map((lb) => [lb.kind, lb.name]).sort()).toEqual([
      ['classic', 'demo-api'],
      ['network', 'demo-nlb'],
    ]);
    expect(inv.loadBalancers.find((lb) => lb.kind === 'classic')?.instances).toEqual([keep]);
    expect(inv.loadBalancers.find((lb) => lb.kind === 'network')?.arn).toBe(nlb.LoadBalancers?.[0]?.LoadBalancerArn);
    expect(inv.targetGroups.map((g) => ({ arn: g.arn, name: g.name, protocol: g.protocol, port: g.port, healthCheckProtocol: g.healthCheckProtocol, targets: g.targets.map((t) => t.id) }))).toEqual([
      { arn: tgArn, name: 'demo-tg', protocol: 'TCP', port: '6443', healthCheckProtocol: 'TCP', targets: [keep] },
      { arn: loose.TargetGroups?.[0]?.TargetGroupArn, name: 'loose-tg', protocol: 'TCP', port: '6443', healthCheckProtocol: 'TCP', targets: [] },
    ]);
    expect(inv.targetGroups[0].loadBalancerArns).toEqual([nlb.LoadBalancers?.[0]?.LoadBalancerArn]);
    expect(inv.listeners).toMatchObject([
      { arn: listener.Listeners?.[0]?.ListenerArn, loadBalancerArn: nlb.LoadBalancers?.[0]?.LoadBalancerArn, protocol: 'TCP', port: '6443', targetGroupArns: [tgArn], tags: { [CLUSTER]: mine } },
    ]);
    expect(inv.secrets.map((s) => s.name)).toEqual(['clusterflow/default/demo/join']);
    // IAM is global: listed once, not once per region.
    expect(inv.roles).toMatchObject([{ name: 'demo-node', arn: expect.stringContaining(':role/demo-node'), tags: { [CLUSTER]: mine } }]);
    expect(inv.instanceProfiles).toMatchObject([{ name: 'demo-node', roles: ['demo-node'], tags: { [CLUSTER]: mine } }]);

    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.NatGateway?.NatGatewayId }));
    const after = await h.control<Inventory>('GET', `/_sim/inventory?tag=${encodeURIComponent(`${CLUSTER}=${mine}`)}`);
    expect(after.natGateways).toEqual([]);

    const everything = await h.control<Inventory>('GET', '/_sim/inventory');
    expect(everything.instances).toHaveLength(2);
    expect(everything.vpcs.every((v) => !v.isDefault)).toBe(true);
    expect(everything.securityGroups.map((g) => g.name)).toEqual(['nodes']);
    const withDefaults = await h.control<Inventory>('GET', '/_sim/inventory?includeDefault=true');
    expect(withDefaults.vpcs.some((v) => v.isDefault)).toBe(true);
    expect(withDefaults.securityGroups.some((g) => g.name === 'default')).toBe(true);
  });

  it('answers health and unknown routes', async () => {
    expect(await h.control('GET', '/_sim/healthz')).toEqual({ sim: 'up', moto: 'up', node: process.version });
    await expect(h.control('GET', '/_sim/nope')).rejects.toThrow(/404/);
  });
});
