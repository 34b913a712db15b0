import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DisassociateRouteTableCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import type { Scope } from '../../activities/types';
import { ec2TagsOf, expectedTags, newScope, ownedBy, simOnly, useBackend } from './support';
import { armHold, releaseHold, waitParked } from '../support/sim-holds';

/**
 * The network activities against a real AWS stand-in: each ensure twice gives one resource
 * with every tag; each delete twice, and a delete of what never existed, succeed.
 */
describe('network activities', () => {
  const aws = useBackend();

  async function vpcOf(scope: Scope): Promise<string> {
    return (await aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.0.0.0/16' })).vpcId;
  }

  it('ensureVpc is idempotent, tags the VPC and turns DNS on; deleteVpc twice removes it', async () => {
    const scope = newScope();
    const first = await aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.0.0.0/16' });
    const second = await aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.0.0.0/16' });
    expect(second.vpcId).toBe(first.vpcId);
    const vpcs = await aws.ec2.send(new DescribeVpcsCommand({ Filters: ownedBy(scope, 'vpc') }));
    expect(vpcs.Vpcs?.map((v) => v.VpcId)).toEqual([first.vpcId]);
    expect(vpcs.Vpcs?.[0].CidrBlock).toBe('10.0.0.0/16');
    expect(await ec2TagsOf(aws.ec2, first.vpcId)).toEqual(expectedTags(scope, 'vpc'));
    const hostnames = await aws.ec2.send(new DescribeVpcAttributeCommand({ VpcId: first.vpcId, Attribute: 'enableDnsHostnames' }));
    expect(hostnames.EnableDnsHostnames?.Value).toBe(true);

    await expect(aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.1.0.0/16' })).rejects.toMatchObject({
      type: 'VpcCidrMismatch',
      nonRetryable: true,
    });

    await aws.run('deleteVpc', { scope, key: 'vpc' });
    await aws.run('deleteVpc', { scope, key: 'vpc' });
    expect((await aws.ec2.send(new DescribeVpcsCommand({ Filters: ownedBy(scope) }))).Vpcs).toEqual([]);
    await aws.run('deleteVpc', { scope: newScope(), key: 'vpc' });
  });

  it('an AWS error reaches the operator as "<Code>: <message>", retryable only when it can pass', async () => {
    const scope = newScope();
    const missingVpc = await aws.run('ensureSubnet', { scope, key: 'subnet/public/us-east-1a', vpcId: 'vpc-0000000000000dead', cidr: '10.0.0.0/20', az: 'us-east-1a', public: true }).catch((e: unknown) => e);
    // Right after a create AWS may not see the VPC yet: worth retrying.
    expect(missingVpc).toMatchObject({ type: 'InvalidVpcID.NotFound', nonRetryable: false, message: expect.stringMatching(/^InvalidVpcID\.NotFound: .*vpc-0000000000000dead/) });
    const badCidr = await aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.0.0.0/8' }).catch((e: unknown) => e);
    expect(badCidr).toMatchObject({ type: 'InvalidVpc.Range', nonRetryable: true, message: expect.stringMatching(/^InvalidVpc\.Range: .*10\.0\.0\.0\/8/) });
  });

  it('ensureSubnet is idempotent, tags the role and maps public IPs only on public subnets', async () => {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    const pub = { scope, key: 'subnet/public/us-east-1a', vpcId, cidr: '10.0.0.0/20', az: 'us-east-1a', public: true };
    const priv = { scope, key: 'subnet/private/us-east-1a', vpcId, cidr: '10.0.16.0/20', az: 'us-east-1a', public: false };
    const [a, b] = await Promise.all([aws.run('ensureSubnet', pub), aws.run('ensureSubnet', priv)]);
    expect((await aws.run('ensureSubnet', pub)).subnetId).toBe(a.subnetId);
    expect((await aws.run('ensureSubnet', priv)).subnetId).toBe(b.subnetId);

    const subnets = (await aws.ec2.send(new DescribeSubnetsCommand({ Filters: ownedBy(scope) }))).Subnets ?? [];
    expect(subnets.map((s) => s.SubnetId).sort()).toEqual([a.subnetId, b.subnetId].sort());
    const byId = Object.fromEntries(subnets.map((s) => [s.SubnetId, s]));
    expect(byId[a.subnetId].MapPublicIpOnLaunch).toBe(true);
    expect(byId[b.subnetId].MapPublicIpOnLaunch).toBe(false);
    expect(byId[a.subnetId].AvailabilityZone).toBe('us-east-1a');
    expect(await ec2TagsOf(aws.ec2, a.subnetId)).toEqual({ ...expectedTags(scope, pub.key), 'kubernetes.io/role/elb': '1' });
    expect(await ec2TagsOf(aws.ec2, b.subnetId)).toEqual({ ...expectedTags(scope, priv.key), 'kubernetes.io/role/internal-elb': '1' });

    for (const key of [pub.key, priv.key, pub.key, 'subnet/never/made']) await aws.run('deleteSubnet', { scope, key });
    await aws.run('deleteSubnet', { scope, key: priv.key });
    expect((await aws.ec2.send(new DescribeSubnetsCommand({ Filters: ownedBy(scope) }))).Subnets).toEqual([]);
  });

  it('ensureInternetGateway creates and attaches once; delete detaches and deletes, twice', async () => {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    const first = await aws.run('ensureInternetGateway', { scope, key: 'igw', vpcId });
    const second = await aws.run('ensureInternetGateway', { scope, key: 'igw', vpcId });
    expect(second.internetGatewayId).toBe(first.internetGatewayId);
    const gateways = (await aws.ec2.send(new DescribeInternetGatewaysCommand({ Filters: ownedBy(scope) }))).InternetGateways ?? [];
    expect(gateways.map((g) => g.InternetGatewayId)).toEqual([first.internetGatewayId]);
    expect(gateways[0].Attachments?.map((a) => a.VpcId)).toEqual([vpcId]);
    expect(await ec2TagsOf(aws.ec2, first.internetGatewayId)).toEqual(expectedTags(scope, 'igw'));

    await aws.run('deleteInternetGateway', { scope, key: 'igw' });
    await aws.run('deleteInternetGateway', { scope, key: 'igw' });
    expect((await aws.ec2.send(new DescribeInternetGatewaysCommand({ Filters: ownedBy(scope) }))).InternetGateways).toEqual([]);
    await aws.run('deleteVpc', { scope, key: 'vpc' });
  });

  it('ensureElasticIp allocates one tagged address; release twice frees it', async () => {
    const scope = newScope();
    const key = 'eip/nat/us-east-1a';
    const first = await aws.run('ensureElasticIp', { scope, key });
    const second = await aws.run('ensureElasticIp', { scope, key });
    expect(second).toEqual(first);
    expect(first.publicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const addresses = (await aws.ec2.send(new DescribeAddressesCommand({ Filters: ownedBy(scope) }))).Addresses ?? [];
    expect(addresses.map((a) => a.AllocationId)).toEqual([first.allocationId]);
    expect(addresses[0].Domain).toBe('vpc');
    expect(await ec2TagsOf(aws.ec2, first.allocationId)).toEqual(expectedTags(scope, key));

    await aws.run('releaseElasticIp', { scope, key });
    await aws.run('releaseElasticIp', { scope, key });
    await aws.run('releaseElasticIp', { scope, key: 'eip/never' });
    expect((await aws.ec2.send(new DescribeAddressesCommand({ Filters: ownedBy(scope) }))).Addresses).toEqual([]);
  });

  /** A scope with a VPC, internet gateway, public subnet and Elastic IP: what a NAT gateway needs. */
  async function natPrerequisites() {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    await aws.run('ensureInternetGateway', { scope, key: 'igw', vpcId });
    const { subnetId } = await aws.run('ensureSubnet', { scope, key: 'subnet/public/us-east-1a', vpcId, cidr: '10.0.0.0/20', az: 'us-east-1a', public: true });
    const { allocationId } = await aws.run('ensureElasticIp', { scope, key: 'eip/nat/us-east-1a' });
    return { scope, subnetId, allocationId };
  }

  it('NAT gateway: one per key, waits until available, delete waits until deleted', async () => {
    const { scope, subnetId, allocationId } = await natPrerequisites();
    const input = { scope, key: 'nat/us-east-1a', subnetId, allocationId };

    const a = await aws.run('ensureNatGateway', input);
    const b = await aws.run('ensureNatGateway', input);
    expect(b.natGatewayId).toBe(a.natGatewayId);
    await aws.run('waitNatGatewayAvailable', { scope, natGatewayId: a.natGatewayId });
    const nats = (await aws.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'subnet-id', Values: [subnetId] }] }))).NatGateways ?? [];
    expect(nats.map((n) => [n.NatGatewayId, n.State])).toEqual([[a.natGatewayId, 'available']]);
    expect(nats[0].NatGatewayAddresses?.[0]?.AllocationId).toBe(allocationId);
    expect(await ec2TagsOf(aws.ec2, a.natGatewayId)).toEqual(expectedTags(scope, 'nat/us-east-1a'));

    await aws.run('deleteNatGateway', { scope, key: 'nat/us-east-1a' });
    const after = (await aws.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [a.natGatewayId] }))).NatGateways ?? [];
    expect(after.map((n) => n.State)).toEqual(['deleted']);
    await aws.run('deleteNatGateway', { scope, key: 'nat/us-east-1a' });
    await aws.run('deleteNatGateway', { scope, key: 'nat/never' });
    // Deleted means the address is free again.
    await aws.run('releaseElasticIp', { scope, key: 'eip/nat/us-east-1a' });
    expect((await aws.ec2.send(new DescribeAddressesCommand({ Filters: ownedBy(scope) }))).Addresses).toEqual([]);
  });

  simOnly('racing NAT gateway ensures give one gateway, and the wait polls while it is pending', 'bare moto ignores ClientToken and has no pending state', async () => {
    const { scope, subnetId, allocationId } = await natPrerequisites();
    const input = { scope, key: 'nat/us-east-1a', subnetId, allocationId };
    // Two attempts racing (a retry after a lost response): the ClientToken makes them one gateway.
    const [a, b] = await Promise.all([aws.run('ensureNatGateway', input), aws.run('ensureNatGateway', input)]);
    expect(b.natGatewayId).toBe(a.natGatewayId);
    const nats = (await aws.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'subnet-id', Values: [subnetId] }] }))).NatGateways ?? [];
    expect(nats.map((n) => n.NatGatewayId)).toEqual([a.natGatewayId]);
    // The simulator keeps a new gateway pending for a while: the activity must have polled.
    const { heartbeats } = await aws.runWatched('waitNatGatewayAvailable', { scope, natGatewayId: a.natGatewayId });
    expect(heartbeats.length).toBeGreaterThan(0);
    // Everything goes again: the account's VPC quota is small and the other tests need theirs.
    await aws.run('deleteNatGateway', { scope, key: 'nat/us-east-1a' });
    await aws.run('releaseElasticIp', { scope, key: 'eip/nat/us-east-1a' });
    await aws.run('deleteSubnet', { scope, key: 'subnet/public/us-east-1a' });
    await aws.run('deleteInternetGateway', { scope, key: 'igw' });
    await aws.run('deleteVpc', { scope, key: 'vpc' });
  });

  it('ensureRouteTable routes and associates idempotently, replaces a changed route; delete disassociates', async () => {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    const { internetGatewayId } = await aws.run('ensureInternetGateway', { scope, key: 'igw', vpcId });
    const { subnetId } = await aws.run('ensureSubnet', { scope, key: 'subnet/public/us-east-1a', vpcId, cidr: '10.0.0.0/20', az: 'us-east-1a', public: true });
    const input = { scope, key: 'rtb/public', vpcId, routes: [{ destinationCidr: '0.0.0.0/0', gatewayId: internetGatewayId }], subnetIds: [subnetId] };
    const first = await aws.run('ensureRouteTable', input);
    const second = await aws.run('ensureRouteTable', input);
    expect(second.routeTableId).toBe(first.routeTableId);

    const tables = (await aws.ec2.send(new DescribeRouteTablesCommand({ Filters: ownedBy(scope) }))).RouteTables ?? [];
    expect(tables.map((t) => t.RouteTableId)).toEqual([first.routeTableId]);
    const routes = tables[0].Routes?.filter((r) => r.DestinationCidrBlock === '0.0.0.0/0') ?? [];
    expect(routes.map((r) => r.GatewayId)).toEqual([internetGatewayId]);
    expect(tables[0].Associations?.filter((a) => !a.Main).map((a) => a.SubnetId)).toEqual([subnetId]);
    expect(await ec2TagsOf(aws.ec2, first.routeTableId)).toEqual(expectedTags(scope, 'rtb/public'));

    // The default route moves to a NAT gateway: replaced in place, not duplicated.
    const { allocationId } = await aws.run('ensureElasticIp', { scope, key: 'eip/nat/us-east-1a' });
    const { natGatewayId } = await aws.run('ensureNatGateway', { scope, key: 'nat/us-east-1a', subnetId, allocationId });
    await aws.run('ensureRouteTable', { ...input, routes: [{ destinationCidr: '0.0.0.0/0', natGatewayId }] });
    const moved = (await aws.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [first.routeTableId] }))).RouteTables![0];
    expect(moved.Routes?.filter((r) => r.DestinationCidrBlock === '0.0.0.0/0').map((r) => r.NatGatewayId)).toEqual([natGatewayId]);

    await aws.run('deleteRouteTable', { scope, key: 'rtb/public' });
    await aws.run('deleteRouteTable', { scope, key: 'rtb/public' });
    await aws.run('deleteRouteTable', { scope, key: 'rtb/never' });
    expect((await aws.ec2.send(new DescribeRouteTablesCommand({ Filters: ownedBy(scope) }))).RouteTables).toEqual([]);
    await aws.run('deleteNatGateway', { scope, key: 'nat/us-east-1a' });
  });

  it('security groups: rules added once, groups referencing each other delete in any order', async () => {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    const bastion = { scope, key: 'sg/bastion', vpcId, description: 'bastion', ingress: [{ protocol: 'tcp' as const, fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0'] }] };
    const { groupId: bastionId } = await aws.run('ensureSecurityGroup', bastion);
    expect((await aws.run('ensureSecurityGroup', bastion)).groupId).toBe(bastionId);

    const nodes = {
      scope,
      key: 'sg/nodes',
      vpcId,
      description: 'nodes',
      ingress: [
        { protocol: 'tcp' as const, fromPort: 22, toPort: 22, sourceGroupIds: [bastionId] },
        { protocol: '-1' as const, fromPort: 0, toPort: 0, cidrs: ['10.0.0.0/16'] },
      ],
    };
    const { groupId: nodesId } = await aws.run('ensureSecurityGroup', nodes);
    // Bastion now also accepts from nodes: the two groups reference each other.
    await aws.run('ensureSecurityGroup', { ...bastion, ingress: [...bastion.ingress, { protocol: 'tcp', fromPort: 22, toPort: 22, sourceGroupIds: [nodesId] }] });
    await aws.run('ensureSecurityGroup', nodes);

    const groups = (await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: ownedBy(scope) }))).SecurityGroups ?? [];
    expect(groups.map((g) => g.GroupId).sort()).toEqual([bastionId, nodesId].sort());
    const nodesGroup = groups.find((g) => g.GroupId === nodesId)!;
    const ssh = nodesGroup.IpPermissions?.filter((p) => p.FromPort === 22) ?? [];
    expect(ssh.flatMap((p) => p.UserIdGroupPairs?.map((pair) => pair.GroupId) ?? [])).toEqual([bastionId]);
    expect(nodesGroup.IpPermissions?.filter((p) => p.IpProtocol === '-1').flatMap((p) => p.IpRanges?.map((r) => r.CidrIp))).toEqual(['10.0.0.0/16']);
    const bastionSsh = groups.find((g) => g.GroupId === bastionId)!.IpPermissions?.filter((p) => p.FromPort === 22) ?? [];
    expect(bastionSsh.flatMap((p) => p.IpRanges?.map((r) => r.CidrIp) ?? [])).toEqual(['0.0.0.0/0']);
    expect(bastionSsh.flatMap((p) => p.UserIdGroupPairs?.map((pair) => pair.GroupId) ?? [])).toEqual([nodesId]);
    expect(await ec2TagsOf(aws.ec2, nodesId)).toEqual(expectedTags(scope, 'sg/nodes'));

    // Bastion first, although nodes still references it.
    await aws.run('deleteSecurityGroup', { scope, key: 'sg/bastion' });
    // AWS refuses to delete a group another group's rule references (moto does not check):
    // the nodes group's grant to the bastion went first; its other rules stay.
    const remaining = (await aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [nodesId] }))).SecurityGroups![0];
    expect(remaining.IpPermissions?.flatMap((p) => p.UserIdGroupPairs?.map((pair) => pair.GroupId) ?? [])).toEqual([]);
    expect(remaining.IpPermissions?.flatMap((p) => p.IpRanges?.map((r) => r.CidrIp) ?? [])).toEqual(['10.0.0.0/16']);
    await aws.run('deleteSecurityGroup', { scope, key: 'sg/nodes' });
    await aws.run('deleteSecurityGroup', { scope, key: 'sg/nodes' });
    await aws.run('deleteSecurityGroup', { scope, key: 'sg/never' });
    expect((await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: ownedBy(scope) }))).SecurityGroups).toEqual([]);
    await aws.run('deleteVpc', { scope, key: 'vpc' });
  });

  simOnly('deleteSecurityGroup waits out DependencyViolation, heartbeating each round', 'bare moto cannot be made to fail', async () => {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    await aws.run('ensureSecurityGroup', { scope, key: 'sg/busy', vpcId, description: 'busy', ingress: [] });
    // AWS answers DependencyViolation twice (an ENI letting go): the delete waits it out.
    await aws.configureSim({ faults: { 'ec2:DeleteSecurityGroup': { code: 'DependencyViolation', count: 2 } } });
    try {
      const { heartbeats } = await aws.runWatched('deleteSecurityGroup', { scope, key: 'sg/busy' });
      expect(heartbeats).toEqual([expect.objectContaining({ round: 1 }), expect.objectContaining({ round: 2 })]);
      expect((await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: ownedBy(scope) }))).SecurityGroups).toEqual([]);
    } finally {
      await aws.configureSim({ faults: { 'ec2:DeleteSecurityGroup': null } });
    }
    await aws.run('deleteVpc', { scope, key: 'vpc' });
  });
  simOnly('a create AWS gives no token for is sent once: when its answer is lost, the next attempt finds it by tag', 'bare moto cannot lose an answer', async () => {
    const scope = newScope();
    const vpcLost = await aws.configureSim({ faults: { 'ec2:CreateVpc': { code: 'InternalError', httpStatus: 500, phase: 'after', count: 1 } } }).then(() =>
      aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.0.0.0/16' }).catch((e: unknown) => e),
    );
    // The SDK would resend a 500 by itself (a second VPC); the activity fails instead, retryably.
    expect(vpcLost).toMatchObject({ type: 'InternalError', nonRetryable: false });
    const vpcId = await vpcOf(scope);
    const count = async (what: string, describe: () => Promise<unknown[] | undefined>) => [what, (await describe())?.length];
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['ec2:CreateInternetGateway', 'ensureInternetGateway', { scope, key: 'igw', vpcId }],
      ['ec2:AllocateAddress', 'ensureElasticIp', { scope, key: 'eip/lost' }],
      ['ec2:CreateSubnet', 'ensureSubnet', { scope, key: 'subnet/public/us-east-1a', vpcId, cidr: '10.0.0.0/20', az: 'us-east-1a', public: true }],
      ['ec2:CreateRouteTable', 'ensureRouteTable', { scope, key: 'rtb/lost', vpcId, routes: [], subnetIds: [] }],
      ['ec2:CreateSecurityGroup', 'ensureSecurityGroup', { scope, key: 'sg/lost', vpcId, description: 'lost answer', ingress: [] }],
    ];
    try {
      for (const [action, activity, input] of cases) {
        await aws.configureSim({ faults: { [action]: { code: 'InternalError', httpStatus: 500, phase: 'after', count: 1 } } });
        const run = aws.run as (name: string, input: unknown) => Promise<unknown>;
        await expect(run(activity, input)).rejects.toMatchObject({ type: 'InternalError', nonRetryable: false });
        await run(activity, input);
      }
    } finally {
      await aws.configureSim({ faults: Object.fromEntries(cases.map(([action]) => [action, null])) });
    }
    const filters = { Filters: ownedBy(scope) };
    expect(
      await Promise.all([
        count('vpcs', async () => (await aws.ec2.send(new DescribeVpcsCommand(filters))).Vpcs),
        count('internet gateways', async () => (await aws.ec2.send(new DescribeInternetGatewaysCommand(filters))).InternetGateways),
        count('addresses', async () => (await aws.ec2.send(new DescribeAddressesCommand(filters))).Addresses),
        count('subnets', async () => (await aws.ec2.send(new DescribeSubnetsCommand(filters))).Subnets),
        count('route tables', async () => (await aws.ec2.send(new DescribeRouteTablesCommand(filters))).RouteTables),
        count('security groups', async () => (await aws.ec2.send(new DescribeSecurityGroupsCommand(filters))).SecurityGroups),
      ]),
    ).toEqual([
      ['vpcs', 1],
      ['internet gateways', 1],
      ['addresses', 1],
      ['subnets', 1],
      ['route tables', 1],
      ['security groups', 1],
    ]);
    await aws.run('releaseElasticIp', { scope, key: 'eip/lost' });
    await aws.run('deleteRouteTable', { scope, key: 'rtb/lost' });
    await aws.run('deleteSecurityGroup', { scope, key: 'sg/lost' });
    await aws.run('deleteSubnet', { scope, key: 'subnet/public/us-east-1a' });
    await aws.run('deleteInternetGateway', { scope, key: 'igw' });
    await aws.run('deleteVpc', { scope, key: 'vpc' });
  });
  simOnly('moves a subnet from another route table of the cluster', 'bare moto answers a second association of a subnet as if it were the first', async () => {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    const { subnetId } = await aws.run('ensureSubnet', { scope, key: 'subnet/private/us-east-1a', vpcId, cidr: '10.0.16.0/20', az: 'us-east-1a', public: false });
    try {
      const first = await aws.run('ensureRouteTable', { scope, key: 'rtb/first', vpcId, routes: [], subnetIds: [subnetId] });
      // AWS refuses a second association of the subnet (Resource.AlreadyAssociated): it is moved instead.
      const second = await aws.run('ensureRouteTable', { scope, key: 'rtb/second', vpcId, routes: [], subnetIds: [subnetId] });
      const holders = (await aws.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }))).RouteTables ?? [];
      expect(holders.map((t) => t.RouteTableId)).toEqual([second.routeTableId]);
      expect(second.routeTableId).not.toBe(first.routeTableId);
    } finally {
      for (const key of ['rtb/first', 'rtb/second']) await aws.run('deleteRouteTable', { scope, key });
      await aws.run('deleteSubnet', { scope, key: 'subnet/private/us-east-1a' });
      await aws.run('deleteVpc', { scope, key: 'vpc' });
    }
  });

  simOnly("a subnet held by someone else's route table fails for good, naming the holder", 'bare moto answers a second association of a subnet as if it were the first', async () => {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    const { subnetId } = await aws.run('ensureSubnet', { scope, key: 'subnet/private/us-east-1b', vpcId, cidr: '10.0.32.0/20', az: 'us-east-1b', public: false });
    const foreign = (await aws.ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    const { AssociationId } = await aws.ec2.send(new AssociateRouteTableCommand({ RouteTableId: foreign, SubnetId: subnetId }));
    try {
      await expect(aws.run('ensureRouteTable', { scope, key: 'rtb/private/us-east-1b', vpcId, routes: [], subnetIds: [subnetId] })).rejects.toMatchObject({
        type: 'SubnetAssociatedElsewhere',
        nonRetryable: true,
        message: `${subnetId} is associated with route table ${foreign}, which is not cluster ${scope.owner.cluster}'s`,
      });
      const holders = (await aws.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }))).RouteTables ?? [];
      expect(holders.map((t) => t.RouteTableId)).toEqual([foreign]);
    } finally {
      await aws.run('deleteRouteTable', { scope, key: 'rtb/private/us-east-1b' });
      await aws.ec2.send(new DisassociateRouteTableCommand({ AssociationId })).catch(() => undefined);
      await aws.ec2.send(new DeleteRouteTableCommand({ RouteTableId: foreign }));
      await aws.run('deleteSubnet', { scope, key: 'subnet/private/us-east-1b' });
      await aws.run('deleteVpc', { scope, key: 'vpc' });
    }
  });

  simOnly('an Internet gateway attached elsewhere between look-up and attach fails for good, naming the VPC', 'holds park a call inside AWS', async () => {
    const scope = newScope();
    // Two VPCs at once, beside those other tests leave behind.
    await aws.configureSim({ quotas: { vpcsPerRegion: 50 } });
    const vpcId = await vpcOf(scope);
    let other: string | undefined;
    // Our attach is under way when someone attaches the cluster's gateway to another VPC.
    try {
      other = (await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!.VpcId!;
      const hold = await armHold(aws.url, 'ec2:AttachInternetGateway', { withValue: vpcId });
      const ensured = aws.run('ensureInternetGateway', { scope, key: 'igw', vpcId }).catch((e: unknown) => e);
      await waitParked(aws.url, hold);
      const gatewayId = (await aws.ec2.send(new DescribeInternetGatewaysCommand({ Filters: ownedBy(scope, 'igw') }))).InternetGateways![0].InternetGatewayId!;
      await aws.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: other }));
      await releaseHold(aws.url, hold);
      expect(await ensured).toMatchObject({
        type: 'InternetGatewayAttachedElsewhere',
        nonRetryable: true,
        message: `${gatewayId} (igw) is attached to ${other}, not ${vpcId}`,
      });
    } finally {
      await aws.run('deleteInternetGateway', { scope, key: 'igw' });
      if (other) await aws.ec2.send(new DeleteVpcCommand({ VpcId: other }));
      await aws.run('deleteVpc', { scope, key: 'vpc' });
      await aws.configureSim({ quotas: { vpcsPerRegion: 5 } });
    }
  });

  it('a subnet CIDR held by someone else\'s subnet fails for good, naming the holder', async () => {
    const scope = newScope();
    const vpcId = await vpcOf(scope);
    const foreign = (await aws.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.32.0/20', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    await expect(aws.run('ensureSubnet', { scope, key: 'subnet/private/us-east-1b', vpcId, cidr: '10.0.32.0/20', az: 'us-east-1b', public: false })).rejects.toMatchObject({
      type: 'SubnetCidrTaken',
      nonRetryable: true,
      message: `10.0.32.0/20 in ${vpcId} is taken by ${foreign}, which is not subnet/private/us-east-1b of cluster ${scope.owner.cluster}`,
    });
    await aws.ec2.send(new DeleteSubnetCommand({ SubnetId: foreign }));
    await aws.run('deleteVpc', { scope, key: 'vpc' });
  });
});
