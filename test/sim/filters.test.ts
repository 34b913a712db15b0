import {
  AllocateAddressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  paginateDescribeNatGateways,
  RunInstancesCommand,
  type EC2Client,
  type Filter,
  type ResourceType,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import { AMI, QUIET, useHarness } from './harness';

/** Feature 8: filters that moto drops (DescribeNatGateways tags) or cannot see (delayed states), honoured. */

const h = useHarness(QUIET);
let ec2: EC2Client;
beforeAll(() => {
  ec2 = h.ec2();
});

const CLUSTER = 'clusterflow.io/cluster';
const tagged = (type: ResourceType, cluster: string, extra: Record<string, string> = {}): TagSpecification[] => [
  { ResourceType: type, Tags: [{ Key: CLUSTER, Value: cluster }, ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value }))] },
];
const byTag = (value: string): Filter[] => [{ Name: `tag:${CLUSTER}`, Values: [value] }];

async function natGatewaysOf(filters: Filter[]): Promise<string[]> {
  const out = await ec2.send(new DescribeNatGatewaysCommand({ Filter: filters }));
  return (out.NatGateways ?? []).map((n) => n.NatGatewayId as string).sort();
}

it('DescribeNatGateways honours tag:Key, tag-key and tag-value filters, wildcards included', async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }));
  const nat = async (cluster?: string) => {
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const out = await ec2.send(
      new CreateNatGatewayCommand({
        SubnetId: subnet.Subnet?.SubnetId,
        AllocationId: eip.AllocationId,
        TagSpecifications: cluster ? tagged('natgateway', cluster, { Name: `nat-${cluster}` }) : undefined,
      }),
    );
    return out.NatGateway?.NatGatewayId as string;
  };
  const demo = await nat('default/demo');
  const other = await nat('default/other');
  const untagged = await nat();

  expect(await natGatewaysOf(byTag('default/demo'))).toEqual([demo]);
  expect(await natGatewaysOf(byTag('default/*'))).toEqual([demo, other].sort());
  expect(await natGatewaysOf([{ Name: 'tag-key', Values: [CLUSTER] }])).toEqual([demo, other].sort());
  expect(await natGatewaysOf([{ Name: 'tag-value', Values: ['nat-default/other'] }])).toEqual([other]);
  expect(await natGatewaysOf([...byTag('default/demo'), { Name: 'state', Values: ['available'] }])).toEqual([demo]);
  expect(await natGatewaysOf([...byTag('default/demo'), { Name: 'state', Values: ['deleted'] }])).toEqual([]);
  expect(await natGatewaysOf([{ Name: 'subnet-id', Values: [subnet.Subnet?.SubnetId as string] }])).toEqual([demo, other, untagged].sort());
  expect(await natGatewaysOf([])).toHaveLength(3);

  const paged: string[] = [];
  for await (const page of paginateDescribeNatGateways({ client: ec2, pageSize: 5 }, {})) paged.push(...(page.NatGateways ?? []).map((n) => n.NatGatewayId as string));
  expect(paged.sort()).toEqual([demo, other, untagged].sort());
});

it('tag filters work on every describe call an engine uses to find its resources', async () => {
  const mine = 'default/demo';
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tagged('vpc', mine) }));
  const other = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', TagSpecifications: tagged('vpc', 'default/other') }));
  const vpcId = vpc.Vpc?.VpcId as string;
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', TagSpecifications: tagged('subnet', mine) }));
  await ec2.send(new CreateSubnetCommand({ VpcId: other.Vpc?.VpcId, CidrBlock: '10.1.1.0/24' }));
  const igw = await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tagged('internet-gateway', mine) }));
  await ec2.send(new CreateInternetGatewayCommand({}));
  const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagged('elastic-ip', mine) }));
  await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const rt = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: tagged('route-table', mine) }));
  const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'nodes', Description: 'nodes', VpcId: vpcId, TagSpecifications: tagged('security-group', mine) }));
  const instance = await ec2.send(
    new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: subnet.Subnet?.SubnetId, TagSpecifications: tagged('instance', mine) }),
  );
  await ec2.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: subnet.Subnet?.SubnetId }));

  const f = byTag(mine);
  expect((await ec2.send(new DescribeVpcsCommand({ Filters: f }))).Vpcs?.map((v) => v.VpcId)).toEqual([vpcId]);
  expect((await ec2.send(new DescribeSubnetsCommand({ Filters: f }))).Subnets?.map((s) => s.SubnetId)).toEqual([subnet.Subnet?.SubnetId]);
  expect((await ec2.send(new DescribeInternetGatewaysCommand({ Filters: f }))).InternetGateways?.map((g) => g.InternetGatewayId)).toEqual([
    igw.InternetGateway?.InternetGatewayId,
  ]);
  expect((await ec2.send(new DescribeAddressesCommand({ Filters: f }))).Addresses?.map((a) => a.AllocationId)).toEqual([eip.AllocationId]);
  expect((await ec2.send(new DescribeRouteTablesCommand({ Filters: f }))).RouteTables?.map((r) => r.RouteTableId)).toEqual([rt.RouteTable?.RouteTableId]);
  expect((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: f }))).SecurityGroups?.map((g) => g.GroupId)).toEqual([sg.GroupId]);
  const instances = await ec2.send(new DescribeInstancesCommand({ Filters: [...f, { Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
  expect(instances.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([instance.Instances?.[0]?.InstanceId]);
  const keyOnly = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: [CLUSTER] }] }));
  expect(keyOnly.Reservations?.flatMap((r) => r.Instances ?? [])).toHaveLength(1);
});

it('DescribeInstances answers filters moto cannot evaluate (lifecycle, client token, reservation, state code)', async () => {
  const spot = await ec2.send(
    new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, ClientToken: 'tok-spot', InstanceMarketOptions: { MarketType: 'spot' } }),
  );
  const onDemand = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, ClientToken: 'tok-od' }));
  const ids = async (filters: Filter[]) =>
    (await ec2.send(new DescribeInstancesCommand({ Filters: filters }))).Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId) ?? [];
  expect(await ids([{ Name: 'instance-lifecycle', Values: ['spot'] }])).toEqual([spot.Instances?.[0]?.InstanceId]);
  expect(await ids([{ Name: 'client-token', Values: ['tok-od'] }])).toEqual([onDemand.Instances?.[0]?.InstanceId]);
  expect(await ids([{ Name: 'reservation-id', Values: [spot.ReservationId as string] }])).toEqual([spot.Instances?.[0]?.InstanceId]);
  expect((await ids([{ Name: 'instance-state-code', Values: ['16'] }])).sort()).toEqual([spot.Instances?.[0]?.InstanceId, onDemand.Instances?.[0]?.InstanceId].sort());
});
