import {
  AllocateAddressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNatGatewayCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeVpcsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ListServiceQuotasCommand, NoSuchResourceException } from '@aws-sdk/client-service-quotas';
import { AMI, QUIET, useHarness } from './harness';

/** Feature 9: Service Quotas answers the EC2 and VPC quotas, and the simulator enforces them. */

const h = useHarness(QUIET);
let ec2: EC2Client;
beforeAll(() => {
  ec2 = h.ec2();
});

describe('Service Quotas', () => {
  it('answers the quotas a preflight reads, with AWS quota codes and the configured values', async () => {
    const quotas = h.quotas();
    const vcpu = await quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' }));
    expect(vcpu.Quota).toMatchObject({
      ServiceCode: 'ec2',
      QuotaCode: 'L-1216C47A',
      QuotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
      Value: 32,
      Adjustable: true,
    });
    expect(vcpu.Quota?.QuotaArn).toBe('arn:aws:servicequotas:us-east-1:123456789012:ec2/L-1216C47A');

    await h.control('PUT', '/_sim/config', { quotas: { elasticIps: 7 } });
    const eip = await quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-0263D0A3' }));
    expect(eip.Quota?.Value).toBe(7);
    const eipDefault = await quotas.send(new GetAWSDefaultServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-0263D0A3' }));
    expect(eipDefault.Quota?.Value).toBe(5);

    const vpc = await quotas.send(new ListServiceQuotasCommand({ ServiceCode: 'vpc' }));
    const byCode = Object.fromEntries((vpc.Quotas ?? []).map((q) => [q.QuotaCode, q.Value]));
    expect(byCode).toMatchObject({ 'L-F678F1CE': 5, 'L-FE5A380F': 5, 'L-A4707A72': 5 });

    await expect(quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-00000000' }))).rejects.toBeInstanceOf(NoSuchResourceException);
  });
});

describe('enforcement', () => {
  it('AllocateAddress fails with AddressLimitExceeded past the Elastic IP quota', async () => {
    await h.control('PUT', '/_sim/config', { quotas: { elasticIps: 2 } });
    await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await expect(ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).rejects.toMatchObject({
      name: 'AddressLimitExceeded',
      message: 'The maximum number of addresses has been reached.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('holds under concurrency: five parallel allocations against a quota of 3 give 3', async () => {
    await h.control('PUT', '/_sim/config', { quotas: { elasticIps: 3 } });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
  });

  it('RunInstances fails with VcpuLimitExceeded when running and pending on-demand vCPUs would pass the quota', async () => {
    await h.control('PUT', '/_sim/config', { quotas: { onDemandStandardVcpus: 8 } });
    const launch = (type: 'm5.large' | 'm5.xlarge' | 't3.micro', count = 1, spot = false) =>
      ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          InstanceType: type,
          MinCount: count,
          MaxCount: count,
          InstanceMarketOptions: spot ? { MarketType: 'spot' } : undefined,
        }),
      );
    const first = await launch('m5.xlarge'); // 4 vCPUs
    await launch('m5.large', 2); // 4 more: 8 of 8
    await expect(launch('t3.micro')).rejects.toMatchObject({ name: 'VcpuLimitExceeded', message: expect.stringContaining('vCPU limit of 8') });
    await launch('m5.large', 1, true); // spot counts against the spot quota, not this one

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.Instances?.[0]?.InstanceId as string] }));
    await launch('m5.large', 2); // terminated instances free their vCPUs
  });

  it('launches as many as the quota allows between MinCount and MaxCount, as EC2 does', async () => {
    await h.control('PUT', '/_sim/config', { quotas: { onDemandStandardVcpus: 6 } });
    const out = await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 5 }));
    expect(out.Instances).toHaveLength(3);
    const all = await ec2.send(new DescribeInstancesCommand({}));
    expect(all.Reservations?.flatMap((r) => r.Instances ?? [])).toHaveLength(3);
  });

  it('CreateVpc fails with VpcLimitExceeded (the default VPC counts)', async () => {
    const existing = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
    await h.control('PUT', '/_sim/config', { quotas: { vpcsPerRegion: existing + 1 } });
    await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    await expect(ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).rejects.toMatchObject({ name: 'VpcLimitExceeded' });
    // Per region: another region has its own.
    await h.ec2({ region: 'eu-west-1' }).send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
  });

  it('CreateNatGateway fails with NatGatewayLimitExceeded per AZ; deleting gateways still count', async () => {
    await h.control('PUT', '/_sim/config', { quotas: { natGatewaysPerAz: 1 }, delayScale: 1, delays: { natGatewayPending: 0, natGatewayDeleting: 60000 } });
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const subnetA = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }));
    const subnetB = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'us-east-1b' }));
    const nat = async (subnet: string | undefined) => {
      const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      return ec2.send(new CreateNatGatewayCommand({ SubnetId: subnet, AllocationId: eip.AllocationId }));
    };
    const first = await nat(subnetA.Subnet?.SubnetId);
    await expect(nat(subnetA.Subnet?.SubnetId)).rejects.toMatchObject({ name: 'NatGatewayLimitExceeded' });
    await nat(subnetB.Subnet?.SubnetId);
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: first.NatGateway?.NatGatewayId }));
    await expect(nat(subnetA.Subnet?.SubnetId)).rejects.toMatchObject({ name: 'NatGatewayLimitExceeded' });
  });

  it('CreateInternetGateway fails with InternetGatewayLimitExceeded; enforcement can be switched off', async () => {
    const count = async () => {
      const { InternetGateways } = await ec2.send(new DescribeInternetGatewaysCommand({}));
      return InternetGateways?.length ?? 0;
    };
    await h.control('PUT', '/_sim/config', { quotas: { internetGatewaysPerRegion: (await count()) + 1 } });
    await ec2.send(new CreateInternetGatewayCommand({}));
    await expect(ec2.send(new CreateInternetGatewayCommand({}))).rejects.toMatchObject({ name: 'InternetGatewayLimitExceeded' });
    await h.control('PUT', '/_sim/config', { enforceQuotas: false });
    await ec2.send(new CreateInternetGatewayCommand({}));
  });
});
