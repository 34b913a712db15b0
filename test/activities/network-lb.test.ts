import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { networkLbNames } from '../../activities/api-endpoint';
import type { ApiEndpointInfo, Scope } from '../../activities/types';
import { endpointPartKeys } from '../../common/api-endpoint';
import { expectedTags, newScope, simOnly, useBackend } from './support';

/**
 * The network load balancer driver against a real AWS stand-in (through the simulator, a
 * registered target is `initial` before it is `healthy`, as on AWS): what it makes is read
 * back from the cloud itself, never from the driver's answer.
 */
describe('network load balancer API endpoint', () => {
  const aws = useBackend();
  let vpcId: string;
  let publicSubnets: string[];
  let privateSubnet: string;
  let groupId: string;
  let imageId: string;
  const PARTS = endpointPartKeys('lb/api');

  beforeAll(async () => {
    const scope = newScope('net');
    ({ vpcId } = await aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.1.0.0/16' }));
    await aws.run('ensureInternetGateway', { scope, key: 'igw', vpcId });
    const [a, b, priv, sg, image] = await Promise.all([
      aws.run('ensureSubnet', { scope, key: 'subnet/public/us-east-1a', vpcId, cidr: '10.1.128.0/20', az: 'us-east-1a', public: true }),
      aws.run('ensureSubnet', { scope, key: 'subnet/public/us-east-1b', vpcId, cidr: '10.1.144.0/20', az: 'us-east-1b', public: true }),
      aws.run('ensureSubnet', { scope, key: 'subnet/private/us-east-1a', vpcId, cidr: '10.1.0.0/20', az: 'us-east-1a', public: false }),
      aws.run('ensureSecurityGroup', { scope, key: 'sg/lb', vpcId, description: 'lb', ingress: [{ protocol: 'tcp', fromPort: 6443, toPort: 6443, cidrs: ['0.0.0.0/0'] }] }),
      aws.run('resolveImage', { scope, owner: '137112412989', namePattern: 'amzn2-ami-hvm-*-x86_64-gp2' }),
    ]);
    publicSubnets = [a.subnetId, b.subnetId];
    privateSubnet = priv.subnetId;
    groupId = sg.groupId;
    imageId = image.imageId;
  });

  function input(scope: Scope) {
    return { scope, key: 'lb/api', kind: 'nlb' as const, subnetIds: publicSubnets, securityGroupIds: [groupId], port: 6443 };
  }

  async function tagsOf(arn: string): Promise<Record<string, string>> {
    const answer = await aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
    return Object.fromEntries((answer.TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
  }

  /** The load balancers and target groups of the scope's names, as the cloud lists them. */
  async function listed(scope: Scope): Promise<{ loadBalancers: string[]; targetGroups: string[] }> {
    const names = networkLbNames(scope.owner, 'lb/api');
    const loadBalancers = ((await aws.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).filter((lb) => lb.LoadBalancerName === names.loadBalancer);
    const targetGroups = ((await aws.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).filter((tg) => tg.TargetGroupName === names.targetGroup);
    return { loadBalancers: loadBalancers.map((lb) => lb.LoadBalancerArn!), targetGroups: targetGroups.map((tg) => tg.TargetGroupArn!) };
  }

  it('names the load balancer and target group within 32 characters, apart, stable and distinct per project', () => {
    const long = { cluster: 'default/a-very-long-cluster-name-that-goes-on-and-on', clusterName: 'a-very-long-cluster-name-that-goes-on-and-on', extraTags: {} };
    const names = networkLbNames(long, 'lb/api');
    for (const name of [names.loadBalancer, names.targetGroup]) {
      expect(name.length).toBeLessThanOrEqual(32);
      // Target group names also may not hold two hyphens in a row.
      expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
    expect(names.targetGroup).not.toBe(names.loadBalancer);
    expect(networkLbNames(long, 'lb/api')).toEqual(names);
    const other = networkLbNames({ ...long, cluster: 'other/a-very-long-cluster-name-that-goes-on-and-on' }, 'lb/api');
    expect(other.loadBalancer).not.toBe(names.loadBalancer);
    expect(other.targetGroup).not.toBe(names.targetGroup);
  });

  it('ensure twice makes one network load balancer, target group and listener, cross-zone, all tagged', async () => {
    const scope = newScope('nlb');
    const first = await aws.run('ensureLoadBalancer', input(scope));
    const second = await aws.run('ensureLoadBalancer', input(scope));
    expect(second).toEqual(first);
    const names = networkLbNames(scope.owner, 'lb/api');
    expect(first).toMatchObject({ kind: 'nlb', name: names.loadBalancer });

    const { loadBalancers, targetGroups } = await listed(scope);
    expect(loadBalancers).toEqual([first.loadBalancerArn]);
    expect(targetGroups).toEqual([first.targetGroupArn]);

    const lb = (await aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [names.loadBalancer] }))).LoadBalancers![0];
    expect(lb).toMatchObject({ Type: 'network', Scheme: 'internet-facing', VpcId: vpcId, DNSName: first.dnsName });
    expect((lb.AvailabilityZones ?? []).map((az) => az.SubnetId).sort()).toEqual([...publicSubnets].sort());
    expect(lb.SecurityGroups).toEqual([groupId]);
    const lbAttributes = (await aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Attributes ?? [];
    expect(lbAttributes.find((a) => a.Key === 'load_balancing.cross_zone.enabled')?.Value).toBe('true');

    const tg = (await aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [names.targetGroup] }))).TargetGroups![0];
    expect(tg).toMatchObject({ Protocol: 'TCP', Port: 6443, VpcId: vpcId, TargetType: 'instance', HealthCheckProtocol: 'TCP', HealthCheckPort: 'traffic-port', HealthCheckEnabled: true });
    const tgAttributes = (await aws.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes ?? [];
    expect(tgAttributes.find((a) => a.Key === 'preserve_client_ip.enabled')?.Value).toBe('false');

    const listeners = (await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners.map((l) => ({ arn: l.ListenerArn, protocol: l.Protocol, port: l.Port, to: l.DefaultActions?.map((a) => `${a.Type} ${a.TargetGroupArn}`) }))).toEqual([
      { arn: first.listenerArn, protocol: 'TCP', port: 6443, to: [`forward ${tg.TargetGroupArn}`] },
    ]);

    expect(await tagsOf(lb.LoadBalancerArn!)).toEqual(expectedTags(scope, 'lb/api'));
    expect(await tagsOf(tg.TargetGroupArn!)).toEqual(expectedTags(scope, PARTS.targetGroup));
    expect(await tagsOf(first.listenerArn!)).toEqual(expectedTags(scope, PARTS.listener));

    await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'nlb' });
  });

  it('registers and deregisters control-plane instances; the ready wait waits for a healthy target', async () => {
    const scope = newScope('nlbm');
    const info = await aws.run('ensureLoadBalancer', input(scope));
    const endpoint = { kind: info.kind, name: info.name, targetGroupArn: info.targetGroupArn };
    const node = await aws.run('ensureInstance', { scope, key: 'node/cp/0', subnetId: privateSubnet, instanceType: 't3.medium', imageId, securityGroupIds: [groupId] });
    await aws.run('registerWithLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] });
    await aws.run('registerWithLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] });
    const ready = await aws.run('waitInstanceReady', { scope, instanceId: node.instanceId, endpoint });
    expect(ready).toMatchObject({ instanceId: node.instanceId, state: 'running' });
    const health = await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: info.targetGroupArn }));
    expect(health.TargetHealthDescriptions?.map((d) => `${d.Target?.Id} ${d.Target?.Port} ${d.TargetHealth?.State}`)).toEqual([`${node.instanceId} 6443 healthy`]);

    await aws.run('deregisterFromLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] });
    await aws.run('deregisterFromLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] });
    const after = await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: info.targetGroupArn, Targets: [{ Id: node.instanceId }] }));
    expect(['draining', 'unused']).toContain(after.TargetHealthDescriptions?.[0]?.TargetHealth?.State);

    await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'nlb' });
    // The endpoint gone: deregistering is done, registering fails for good.
    await aws.run('deregisterFromLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] });
    await expect(aws.run('registerWithLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] })).rejects.toMatchObject({ type: 'TargetGroupNotFound', nonRetryable: true });
    // An instance that will never run again is never waited for.
    await aws.run('terminateInstance', { scope, key: 'node/cp/0', generation: 0 });
    await expect(aws.run('registerWithLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] })).rejects.toMatchObject({ type: 'TargetNotRunning', nonRetryable: true });
  });

  simOnly('registers a just-launched instance once it runs, which AWS requires of ELBv2 targets', 'bare moto runs instances at once', async () => {
    const scope = newScope('nlbp');
    const info = await aws.run('ensureLoadBalancer', input(scope));
    const endpoint = { kind: info.kind, name: info.name, targetGroupArn: info.targetGroupArn };
    await aws.configureSim({ delayScale: 1 });
    try {
      const node = await aws.run('ensureInstance', { scope, key: 'node/cp/0', subnetId: privateSubnet, instanceType: 't3.medium', imageId, securityGroupIds: [groupId] });
      // The cloud refuses a pending instance, as AWS does...
      await expect(aws.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: info.targetGroupArn, Targets: [{ Id: node.instanceId }] }))).rejects.toMatchObject({
        Code: 'InvalidTarget',
        message: expect.stringContaining('not in a running state'),
      });
      // ...so the driver waits for it to run, heartbeating, then registers it.
      const { heartbeats } = await aws.runWatched('registerWithLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] });
      expect(heartbeats.length).toBeGreaterThan(0);
      const health = await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: info.targetGroupArn }));
      expect(health.TargetHealthDescriptions?.map((d) => d.Target?.Id)).toEqual([node.instanceId]);
      await aws.run('terminateInstance', { scope, key: 'node/cp/0', generation: 0 });
    } finally {
      await aws.configureSim({ delayScale: 0.1 });
    }
    await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'nlb' });
  });

  it('delete twice removes listener, load balancer and target group', async () => {
    const scope = newScope('nlbd');
    const info = await aws.run('ensureLoadBalancer', input(scope));
    await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'nlb' });
    await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'nlb' });
    expect(await listed(scope)).toEqual({ loadBalancers: [], targetGroups: [] });
    const listeners = await aws.elbv2.send(new DescribeListenersCommand({ ListenerArns: [info.listenerArn!] })).then(
      (answer) => answer.Listeners ?? [],
      () => [],
    );
    expect(listeners).toEqual([]);
  });

  it('adopts only its own: a same-named load balancer or target group of someone else fails for good and survives the delete', async () => {
    const scope = newScope('nlbx');
    const names = networkLbNames(scope.owner, 'lb/api');
    const foreignTg = await aws.elbv2.send(new CreateTargetGroupCommand({ Name: names.targetGroup, Protocol: 'TCP', Port: 6443, VpcId: vpcId, Tags: [{ Key: 'owner', Value: 'someone-else' }] }));
    const foreignLb = await aws.elbv2.send(new CreateLoadBalancerCommand({ Name: names.loadBalancer, Type: 'network', Subnets: publicSubnets, Tags: [{ Key: 'owner', Value: 'someone-else' }] }));
    try {
      await expect(aws.run('ensureLoadBalancer', input(scope))).rejects.toMatchObject({ type: 'LoadBalancerNameTaken', nonRetryable: true });
      await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'nlb' });
      expect(await listed(scope)).toEqual({ loadBalancers: [foreignLb.LoadBalancers![0].LoadBalancerArn], targetGroups: [foreignTg.TargetGroups![0].TargetGroupArn] });
    } finally {
      await aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: foreignLb.LoadBalancers![0].LoadBalancerArn }));
      await aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: foreignTg.TargetGroups![0].TargetGroupArn }));
    }
  });

  simOnly('a lost answer to each create is not made twice: the next attempt finds what the first made', 'bare moto cannot lose a response', async () => {
    const scope = newScope('nlbl');
    const lost = { code: 'InternalError', httpStatus: 500, rate: 1, count: 1, phase: 'after' };
    let info: ApiEndpointInfo | undefined;
    let failures = 0;
    await aws.configureSim({ faults: { 'elbv2:CreateLoadBalancer': { ...lost }, 'elbv2:CreateTargetGroup': { ...lost }, 'elbv2:CreateListener': { ...lost } } });
    try {
      // As Temporal would: attempt after attempt until one succeeds.
      for (let attempt = 0; attempt < 5 && !info; attempt++) {
        info = await aws.run('ensureLoadBalancer', input(scope)).catch(() => {
          failures++;
          return undefined;
        });
      }
    } finally {
      await aws.configureSim({ faults: {} });
    }
    expect(failures).toBe(3);
    expect(info).toMatchObject({ kind: 'nlb' });
    expect(await listed(scope)).toEqual({ loadBalancers: [info!.loadBalancerArn], targetGroups: [info!.targetGroupArn] });
    expect(((await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: info!.loadBalancerArn }))).Listeners ?? []).map((l) => l.ListenerArn)).toEqual([info!.listenerArn]);
    await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'nlb' });
    expect(await listed(scope)).toEqual({ loadBalancers: [], targetGroups: [] });
  });
});
