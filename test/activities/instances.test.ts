import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, DescribeVolumesCommand, Instance } from '@aws-sdk/client-ec2';
import { DescribeInstanceHealthCommand, DescribeLoadBalancersCommand, DescribeTagsCommand } from '@aws-sdk/client-elastic-load-balancing';
import { loadBalancerName } from '../../activities/load-balancer';
import type { Scope } from '../../activities/types';
import { createActivities } from '../../activities';
import { GENERATION_TAG } from '../../activities/instances';
import { ec2TagsOf, expectedTags, mockEnvironment, newScope, ownedBy, simOnly, useBackend } from './support';

/**
 * The API load balancer and instances against a real AWS stand-in (through the simulator,
 * states lag as on AWS: pending, status checks initializing, OutOfService).
 */
describe('load balancer and instance activities', () => {
  const aws = useBackend();
  let scope: Scope;
  let imageId: string;
  let subnets: { public: string; private: string };
  let groupId: string;

  beforeAll(async () => {
    scope = newScope('i');
    const { vpcId } = await aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.0.0.0/16' });
    await aws.run('ensureInternetGateway', { scope, key: 'igw', vpcId });
    const [pub, priv, sg, image] = await Promise.all([
      aws.run('ensureSubnet', { scope, key: 'subnet/public/us-east-1a', vpcId, cidr: '10.0.0.0/20', az: 'us-east-1a', public: true }),
      aws.run('ensureSubnet', { scope, key: 'subnet/private/us-east-1a', vpcId, cidr: '10.0.16.0/20', az: 'us-east-1a', public: false }),
      aws.run('ensureSecurityGroup', { scope, key: 'sg/nodes', vpcId, description: 'nodes', ingress: [{ protocol: 'tcp', fromPort: 6443, toPort: 6443, cidrs: ['0.0.0.0/0'] }] }),
      // moto's built-in Amazon Linux 2 image; the simulator keeps it.
      aws.run('resolveImage', { scope, owner: '137112412989', namePattern: 'amzn2-ami-hvm-*-x86_64-gp2' }),
    ]);
    subnets = { public: pub.subnetId, private: priv.subnetId };
    groupId = sg.groupId;
    imageId = image.imageId;
  });

  async function liveInstances(filterScope: Scope, key?: string): Promise<Instance[]> {
    const answer = await aws.ec2.send(
      new DescribeInstancesCommand({ Filters: [...ownedBy(filterScope, key), { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] }] }),
    );
    return (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  function nodeInput(key: string, extra: Record<string, unknown> = {}) {
    return { scope, key, subnetId: subnets.private, instanceType: 't3.medium', imageId, securityGroupIds: [groupId], userData: '#!/bin/bash\necho hello', ...extra };
  }

  it('names the load balancer within 32 characters, stable and distinct per cluster', () => {
    const long = { cluster: 'default/a-very-long-cluster-name-that-goes-on-and-on', clusterName: 'a-very-long-cluster-name-that-goes-on-and-on', extraTags: {} };
    const name = loadBalancerName(long, 'lb/api');
    expect(name.length).toBeLessThanOrEqual(32);
    expect(name).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
    expect(name.startsWith('a-very-long-cluster')).toBe(true);
    expect(loadBalancerName(long, 'lb/api')).toBe(name);
    expect(loadBalancerName({ ...long, cluster: 'other/a-very-long-cluster-name-that-goes-on-and-on' }, 'lb/api')).not.toBe(name);
    expect(loadBalancerName({ cluster: 'default/demo', clusterName: 'demo', extraTags: {} }, 'lb/api')).toMatch(/^demo-api-[0-9a-f]{8}$/);
  });

  it('ensureLoadBalancer makes one internet-facing TCP load balancer with a TCP health check; delete twice', async () => {
    const lbScope = newScope('lb');
    const input = { scope: lbScope, key: 'lb/api', subnetIds: [subnets.public], securityGroupIds: [groupId], port: 6443 };
    const first = await aws.run('ensureLoadBalancer', input);
    const second = await aws.run('ensureLoadBalancer', input);
    expect(second).toEqual(first);
    expect(first.name).toBe(loadBalancerName(lbScope.owner, 'lb/api'));
    expect(first.kind).toBe('classic-elb');
    expect(first.dnsName).toBeTruthy();

    const described = (await aws.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [first.name] }))).LoadBalancerDescriptions ?? [];
    expect(described).toHaveLength(1);
    const lb = described[0];
    expect(lb.Scheme).toBe('internet-facing');
    expect(lb.Subnets).toEqual([subnets.public]);
    expect(lb.SecurityGroups).toEqual([groupId]);
    expect(lb.HealthCheck?.Target).toBe('TCP:6443');
    expect(lb.ListenerDescriptions?.map((l) => l.Listener)).toEqual([
      expect.objectContaining({ Protocol: 'TCP', LoadBalancerPort: 6443, InstanceProtocol: 'TCP', InstancePort: 6443 }),
    ]);
    const tags = (await aws.elb.send(new DescribeTagsCommand({ LoadBalancerNames: [first.name] }))).TagDescriptions?.[0]?.Tags ?? [];
    expect(Object.fromEntries(tags.map((t) => [t.Key, t.Value]))).toEqual(expectedTags(lbScope, 'lb/api'));

    await aws.run('deleteLoadBalancer', { scope: lbScope, key: 'lb/api' });
    await aws.run('deleteLoadBalancer', { scope: lbScope, key: 'lb/api' });
    await aws.run('deleteLoadBalancer', { scope: newScope('lb'), key: 'lb/api' });
    await expect(aws.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [first.name] }))).rejects.toThrow(/does not exist/);
  });

  it('ensureInstance launches once, tags instance and volume, passes user data; list and terminate', async () => {
    const input = nodeInput('node/workers/0');
    const first = await aws.run('ensureInstance', input);
    const second = await aws.run('ensureInstance', input);
    expect(second.instanceId).toBe(first.instanceId);
    expect(first).toMatchObject({ key: 'node/workers/0', az: 'us-east-1a', subnetId: subnets.private, instanceType: 't3.medium', lifecycle: 'on-demand' });
    expect(first.privateIp).toMatch(/^10\.0\.(1[6-9]|2\d|3[01])\.\d+$/);
    expect((await liveInstances(scope, 'node/workers/0')).map((i) => i.InstanceId)).toEqual([first.instanceId]);

    expect(await ec2TagsOf(aws.ec2, first.instanceId)).toEqual({ ...expectedTags(scope, 'node/workers/0'), [GENERATION_TAG]: '0' });
    const volumes = (await aws.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [first.instanceId] }] }))).Volumes ?? [];
    expect(volumes.length).toBeGreaterThan(0);
    for (const volume of volumes) {
      expect(Object.fromEntries((volume.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject(expectedTags(scope, 'node/workers/0'));
    }
    const userData = await aws.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: first.instanceId, Attribute: 'userData' }));
    expect(Buffer.from(userData.UserData?.Value ?? '', 'base64').toString('utf8')).toBe('#!/bin/bash\necho hello');

    const ready = await aws.run('waitInstanceReady', { scope, instanceId: first.instanceId });
    expect(ready).toMatchObject({ instanceId: first.instanceId, state: 'running' });

    await aws.run('terminateInstance', { scope, key: 'node/workers/0' });
    expect(await liveInstances(scope, 'node/workers/0')).toEqual([]);
    await aws.run('terminateInstance', { scope, key: 'node/workers/0' });
    await aws.run('terminateInstance', { scope, key: 'node/never/0' });
    await expect(aws.run('waitInstanceReady', { scope, instanceId: first.instanceId })).rejects.toMatchObject({
      type: 'InstanceNotRunning',
      nonRetryable: true,
    });
  });

  simOnly('racing launches of one key (a retry after a lost response) give one instance', 'bare moto ignores ClientToken', async () => {
    const input = nodeInput('node/workers/race');
    const results = await Promise.all([1, 2, 3].map(() => aws.run('ensureInstance', input)));
    expect(new Set(results.map((r) => r.instanceId)).size).toBe(1);
    expect((await liveInstances(scope, 'node/workers/race')).map((i) => i.InstanceId)).toEqual([results[0].instanceId]);
  });

  simOnly('a launch whose answer was lost is found by the retry, not launched again', 'bare moto cannot lose an answer', async () => {
    // AWS made the instance, the client saw an error.
    await aws.configureSim({ faults: { 'ec2:RunInstances': { code: 'IncorrectState', httpStatus: 400, phase: 'after', count: 1 } } });
    try {
      const lost = nodeInput('node/workers/lost');
      await expect(aws.run('ensureInstance', lost)).rejects.toMatchObject({ type: 'IncorrectState', nonRetryable: false });
      const launched = await liveInstances(scope, 'node/workers/lost');
      expect(launched).toHaveLength(1);
      const retried = await aws.run('ensureInstance', lost);
      expect((await liveInstances(scope, 'node/workers/lost')).map((i) => i.InstanceId)).toEqual([launched[0].InstanceId]);
      expect(retried.instanceId).toBe(launched[0].InstanceId);
    } finally {
      await aws.configureSim({ faults: { 'ec2:RunInstances': null } });
    }
  });

  simOnly('a launch asked for again after its instance died is told so, by the instance’s current state', 'bare moto ignores ClientToken', async () => {
    const input = nodeInput('node/spot/gone');
    const first = await aws.run('ensureInstance', input);
    await aws.run('terminateInstance', { scope, key: 'node/spot/gone', generation: 0 });
    // EC2 may answer the repeated token with its first answer (pending): only a read by id tells.
    await expect(aws.run('ensureInstance', { ...input, recheck: true })).rejects.toMatchObject({ type: 'InstanceGone', nonRetryable: true });
    expect(await liveInstances(scope, 'node/spot/gone')).toEqual([]);
    expect(first.state).toBe('pending');
  });

  it('a new generation launches beside the old node; terminating one generation spares the other', async () => {
    const old = await aws.run('ensureInstance', nodeInput('node/cp/0'));
    const replacement = await aws.run('ensureInstance', nodeInput('node/cp/0', { generation: 1, instanceType: 't3.large' }));
    expect(replacement.instanceId).not.toBe(old.instanceId);
    expect(replacement.instanceType).toBe('t3.large');
    expect((await aws.run('ensureInstance', nodeInput('node/cp/0', { generation: 1, instanceType: 't3.large' }))).instanceId).toBe(replacement.instanceId);
    await aws.run('terminateInstance', { scope, key: 'node/cp/0', generation: 0 });
    expect((await liveInstances(scope, 'node/cp/0')).map((i) => i.InstanceId)).toEqual([replacement.instanceId]);
  });

  it('waits for running, status checks and InService behind the load balancer', async () => {
    const lb = await aws.run('ensureLoadBalancer', { scope, key: 'lb/api', kind: 'classic-elb', subnetIds: [subnets.public], securityGroupIds: [groupId], port: 6443 });
    const endpoint = { kind: lb.kind, name: lb.name };
    const node = await aws.run('ensureInstance', nodeInput('node/cp/1'));
    // The second call has the shape calls scheduled before endpoints had kinds took.
    await aws.run('registerWithLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] });
    await aws.run('registerWithLoadBalancer', { scope, loadBalancerName: lb.name, instanceIds: [node.instanceId] });
    const result = await aws.run('waitInstanceReady', { scope, instanceId: node.instanceId, endpoint });
    expect(await aws.run('waitInstanceReady', { scope, instanceId: node.instanceId, loadBalancerName: lb.name })).toMatchObject({ instanceId: node.instanceId });
    expect(result).toMatchObject({ instanceId: node.instanceId, state: 'running', key: 'node/cp/1' });
    const health = await aws.elb.send(new DescribeInstanceHealthCommand({ LoadBalancerName: lb.name }));
    expect(health.InstanceStates?.map((s) => [s.InstanceId, s.State])).toEqual([[node.instanceId, 'InService']]);

    await aws.run('deregisterFromLoadBalancer', { scope, endpoint, instanceIds: [node.instanceId] });
    await aws.run('deregisterFromLoadBalancer', { scope, loadBalancerName: lb.name, instanceIds: [node.instanceId] });
    const after = await aws.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [lb.name] }));
    expect(after.LoadBalancerDescriptions?.[0].Instances ?? []).toEqual([]);
    await aws.run('deregisterFromLoadBalancer', { scope, loadBalancerName: 'no-such-lb', instanceIds: [node.instanceId] });
    await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'classic-elb' });
  });

  simOnly('waitInstanceReady polls, heartbeating, while a new instance is pending', 'bare moto has no state lag to wait out', async () => {
    const node = await aws.run('ensureInstance', nodeInput('node/cp/2'));
    const { result, heartbeats } = await aws.runWatched('waitInstanceReady', { scope, instanceId: node.instanceId });
    expect(result).toMatchObject({ instanceId: node.instanceId, state: 'running', key: 'node/cp/2' });
    expect(heartbeats.length).toBeGreaterThan(0);
  });

  simOnly('waitInstanceReady gives up at its deadline, naming the instance and the failing check', 'bare moto cannot impair a status check', async () => {
    const node = await aws.run('ensureInstance', nodeInput('node/cp/impaired'));
    await aws.configureSim({ impairedStatus: { [node.instanceId]: 'instance' } });
    // The deadline is a worker setting, read once: a worker configured with 3 s.
    const impatient = createActivities({ ...aws.deps, config: { ...aws.deps.config, waitDeadlineS: 3 } });
    try {
      await expect(mockEnvironment().run(impatient.waitInstanceReady, { scope, instanceId: node.instanceId })).rejects.toMatchObject({
        type: 'WaitDeadlineExceeded',
        nonRetryable: true,
        message: expect.stringMatching(new RegExp(`^gave up waiting for instance ${node.instanceId} ready after 3 s: status checks: instance impaired, system \\w+$`)),
      });
    } finally {
      await aws.configureSim({ impairedStatus: { [node.instanceId]: null } });
    }
    await aws.run('terminateInstance', { scope, key: 'node/cp/impaired' });
  });

  it('launches every instance with IMDSv2 required, two hops unless told otherwise', async () => {
    const defaults = await aws.run('ensureInstance', nodeInput('node/imds/0'));
    const oneHop = await aws.run('ensureInstance', nodeInput('node/imds/1', { metadataHopLimit: 1 }));
    const [first] = await liveInstances(scope, 'node/imds/0');
    const [second] = await liveInstances(scope, 'node/imds/1');
    expect([first.InstanceId, second.InstanceId]).toEqual([defaults.instanceId, oneHop.instanceId]);
    expect(first.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 });
    expect(second.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 });
    await aws.run('terminateInstance', { scope, key: 'node/imds/0' });
    await aws.run('terminateInstance', { scope, key: 'node/imds/1' });
  });

  it('launches spot nodes with a price ceiling', async () => {
    const spot = await aws.run('ensureInstance', nodeInput('node/spot/0', { spotMaxPrice: '0.5' }));
    expect(spot.lifecycle).toBe('spot');
    const [described] = await liveInstances(scope, 'node/spot/0');
    expect(described.InstanceLifecycle).toBe('spot');
  });

  it('lists the cluster and sweeps every instance it owns, whatever the key, and nothing else', async () => {
    const other = newScope('x');
    const bystander = await aws.run('ensureInstance', { ...nodeInput('node/workers/0'), scope: other });
    const own = await aws.run('ensureInstance', nodeInput('node/sweep/0'));
    const listed = await aws.run('listClusterInstances', { scope });
    const live = await liveInstances(scope);
    expect(listed.map((i) => i.instanceId).sort()).toEqual(live.map((i) => i.InstanceId).sort());
    // Its own node and those the earlier tests left, under other keys.
    expect(listed.map((i) => i.instanceId)).toContain(own.instanceId);
    expect(listed.length).toBeGreaterThan(1);
    expect(listed.every((i) => i.key.startsWith('node/'))).toBe(true);

    const { terminated } = await aws.run('terminateClusterInstances', { scope });
    expect(terminated.sort()).toEqual(live.map((i) => i.InstanceId).sort());
    expect(await liveInstances(scope)).toEqual([]);
    expect(await aws.run('listClusterInstances', { scope })).toEqual([]);
    expect((await aws.run('terminateClusterInstances', { scope })).terminated).toEqual([]);
    expect((await liveInstances(other)).map((i) => i.InstanceId)).toEqual([bystander.instanceId]);
  });
});
