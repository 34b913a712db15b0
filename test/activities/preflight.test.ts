import { CreateKeyPairCommand, DescribeImagesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { findNewestImage } from '../../cloud/images';
import { createActivities } from '../../activities';
import type { PreflightInput, PreflightResult } from '../../activities/types';
import { newScope, REGION, simOnly, useBackend } from './support';
import { startRecorder } from './recorder';

const AMAZON_LINUX = { owner: '137112412989', namePattern: 'amzn2-ami-hvm-*-x86_64-gp2' };

function check(result: PreflightResult, name: string) {
  const found = result.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check named ${name} in ${JSON.stringify(result.checks)}`);
  return found;
}

describe('resolveImage and runPreflight', () => {
  const aws = useBackend();

  beforeAll(async () => {
    await aws.ec2.send(new CreateKeyPairCommand({ KeyName: 'ops-key' }));
  });

  it('resolveImage picks the newest matching image and fails clearly when none matches', async () => {
    const scope = newScope();
    const image = await aws.run('resolveImage', { scope, ...AMAZON_LINUX });
    const all = await aws.ec2.send(new DescribeImagesCommand({ Owners: [AMAZON_LINUX.owner], Filters: [{ Name: 'name', Values: [AMAZON_LINUX.namePattern] }] }));
    expect(all.Images?.length).toBeGreaterThan(0);
    // Newest by creation date; equal dates (moto stamps its images alike) go by the build date in the name.
    const newest = [...(all.Images ?? [])].sort(
      (a, b) => Date.parse(b.CreationDate ?? '0') - Date.parse(a.CreationDate ?? '0') || (b.Name ?? '').localeCompare(a.Name ?? ''),
    )[0];
    expect(image).toEqual({ imageId: newest.ImageId, name: newest.Name });
    expect(image.name).toMatch(/^amzn2-ami-hvm-.*-x86_64-gp2$/);
    await expect(aws.run('resolveImage', { scope, owner: '099720109477', namePattern: 'no-such-image-*' })).rejects.toMatchObject({
      message: `no AMI named no-such-image-* from owner 099720109477 in ${REGION}`,
      type: 'ImageNotFound',
      nonRetryable: true,
    });
  });

  // Every quota read ends in GetAWSDefaultServiceQuota on bare moto, which moto 5.2 has not
  // implemented: its HTTP 500 is, rightly, a transient error to preflight.
  const NO_QUOTAS = 'bare moto has no EC2 quotas and answers GetAWSDefaultServiceQuota with HTTP 500';

  simOnly('passes for a feasible cluster, using only read-only calls', NO_QUOTAS, async () => {
    const recorder = await startRecorder(aws.url);
    try {
      const recorded = createActivities({ ...aws.deps, config: { ...aws.deps.config, awsEndpointUrl: recorder.url } });
      const input: PreflightInput = {
        scope: newScope(),
        sshKeyName: 'ops-key',
        image: AMAZON_LINUX,
        needs: { elasticIps: 1, vpcs: 1, natGatewaysPerAz: { 'us-east-1a': 1 }, onDemandVcpus: 4, instanceTypes: ['t3.medium', 'm5.large'], networkLoadBalancers: 1 },
      };
      // Preflight neither heartbeats nor sleeps, so it runs without an activity context.
      const result = await recorded.runPreflight(input);
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.imageId).toBe((await aws.run('resolveImage', { scope: input.scope, ...AMAZON_LINUX })).imageId);
      expect(result.checks.map((c) => c.name).sort()).toEqual(
        ['credentials', 'ssh key pair', 'image', 'instance types', 'on-demand vCPU quota', 'Elastic IP quota', 'VPC quota', 'NAT gateway quota in us-east-1a', 'network load balancer quota'].sort(),
      );
      expect(check(result, 'network load balancer quota').message).toMatch(/^needs 1 network load balancer; 0 of 50 in use in us-east-1$/);
      expect(check(result, 'instance types').message).toBe('t3.medium (2 vCPUs), m5.large (2 vCPUs)');
      expect(check(result, 'Elastic IP quota').message).toMatch(/^needs 1 Elastic IP; 0 of 5 in use in us-east-1/);

      expect(recorder.actions).toEqual(expect.arrayContaining(['GetCallerIdentity', 'DescribeKeyPairs', 'DescribeImages', 'GetServiceQuota', 'DescribeAddresses']));
      const mutating = recorder.actions.filter((action) => !/^(Describe|Get|List)/.test(action));
      expect(mutating).toEqual([]);
    } finally {
      await recorder.stop();
    }
  });

  it('reports a missing key pair and image as failed checks, with remedies', async () => {
    const result = await aws.run('runPreflight', {
      scope: newScope(),
      sshKeyName: 'missing-key',
      image: { owner: '099720109477', namePattern: 'no-such-image-*' },
      needs: { elasticIps: 0, vpcs: 0, natGatewaysPerAz: {}, onDemandVcpus: 0, instanceTypes: [] },
    });
    expect(result.ok).toBe(false);
    expect(result.imageId).toBeUndefined();
    expect(check(result, 'credentials').ok).toBe(true);
    expect(check(result, 'ssh key pair')).toEqual({
      name: 'ssh key pair',
      ok: false,
      message: `key pair missing-key does not exist in ${REGION}: import it there (aws ec2 import-key-pair --key-name missing-key --region ${REGION}) or name another`,
    });
    expect(check(result, 'image')).toMatchObject({ ok: false, message: expect.stringContaining(`no AMI named no-such-image-* from owner 099720109477 in ${REGION}`) });
    // Needs of zero are not checked at all: no quota is read (instance types would draw on the vCPU quota).
    expect(result.checks.map((c) => c.name).sort()).toEqual(['credentials', 'image', 'instance types', 'ssh key pair']);
  });

  simOnly('reports an unknown instance type and short quotas, counting what is in use, with remedies', NO_QUOTAS, async () => {
    const scope = newScope();
    await aws.configureSim({ quotas: { elasticIps: 2, onDemandStandardVcpus: 4 } });
    await aws.run('ensureElasticIp', { scope, key: 'eip/existing' });
    // Someone else's running t3.medium (2 vCPUs) counts against the vCPU quota.
    const image = await aws.run('resolveImage', { scope, ...AMAZON_LINUX });
    const other = await aws.ec2.send(new RunInstancesCommand({ ImageId: image.imageId, InstanceType: 't3.medium', MinCount: 1, MaxCount: 1 }));
    try {
      const needs = { elasticIps: 2, vpcs: 0, natGatewaysPerAz: {}, onDemandVcpus: 3, instanceTypes: ['m5.large', 'm5.notatype'] };
      const result = await aws.run('runPreflight', { scope, image: AMAZON_LINUX, needs });
      expect(result.ok).toBe(false);
      expect(check(result, 'instance types')).toMatchObject({ ok: false, message: expect.stringContaining('m5.notatype') });
      expect(check(result, 'Elastic IP quota')).toEqual({
        name: 'Elastic IP quota',
        ok: false,
        message: `needs 2 Elastic IPs; 1 of 2 in use in ${REGION}: release some or raise quota L-0263D0A3 (EC2-VPC Elastic IPs)`,
      });
      expect(check(result, 'on-demand vCPU quota')).toEqual({
        name: 'on-demand vCPU quota',
        ok: false,
        message: `needs 3 on-demand standard vCPUs; 2 of 4 in use in ${REGION}: stop or terminate instances or raise quota L-1216C47A (Running On-Demand Standard instances (vCPUs))`,
      });
    } finally {
      await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [other.Instances![0].InstanceId!] }));
      await aws.configureSim({ quotas: { elasticIps: 5, onDemandStandardVcpus: 32 } });
      await aws.run('releaseElasticIp', { scope, key: 'eip/existing' });
    }
  });

  simOnly('counts the API endpoint’s load balancer against its kind’s quota, only load balancers of that kind in use', NO_QUOTAS, async () => {
    const scope = newScope();
    const { vpcId } = await aws.run('ensureVpc', { scope, key: 'vpc', cidr: '10.9.0.0/16' });
    const subnets = await Promise.all(
      ['us-east-1a', 'us-east-1b'].map((az, i) => aws.run('ensureSubnet', { scope, key: `subnet/public/${az}`, vpcId, cidr: `10.9.${i * 16}.0/20`, az, public: true })),
    );
    const { groupId } = await aws.run('ensureSecurityGroup', { scope, key: 'sg/lb', vpcId, description: 'lb', ingress: [] });
    const endpoint = { scope, key: 'lb/api', subnetIds: subnets.map((s) => s.subnetId), securityGroupIds: [groupId], port: 6443 };
    // One network and one classic load balancer in use; the quota allows one network load balancer.
    await aws.run('ensureLoadBalancer', { ...endpoint, kind: 'nlb' });
    await aws.run('ensureLoadBalancer', { ...endpoint, key: 'lb/other', kind: 'classic-elb' });
    await aws.configureSim({ quotas: { networkLoadBalancersPerRegion: 1 } });
    try {
      const needs = { elasticIps: 0, vpcs: 0, natGatewaysPerAz: {}, onDemandVcpus: 0, instanceTypes: [] };
      const network = await aws.run('runPreflight', { scope, image: AMAZON_LINUX, needs: { ...needs, networkLoadBalancers: 1 } });
      expect(network.ok).toBe(false);
      expect(check(network, 'network load balancer quota')).toEqual({
        name: 'network load balancer quota',
        ok: false,
        message: `needs 1 network load balancer; 1 of 1 in use in ${REGION}: delete unused ones or raise quota L-69A177A2 (Network Load Balancers per Region)`,
      });
      const classic = await aws.run('runPreflight', { scope, image: AMAZON_LINUX, needs: { ...needs, classicLoadBalancers: 1 } });
      expect(check(classic, 'classic load balancer quota')).toEqual({ name: 'classic load balancer quota', ok: true, message: `needs 1 classic load balancer; 1 of 20 in use in ${REGION}` });
      expect(classic.checks.map((c) => c.name)).not.toContain('network load balancer quota');
      // AWS refuses the create beyond the quota too, as the preflight said it would.
      await expect(aws.run('ensureLoadBalancer', { ...endpoint, key: 'lb/third', kind: 'nlb' })).rejects.toMatchObject({ message: expect.stringContaining('TooManyLoadBalancers') });
    } finally {
      await aws.configureSim({ quotas: { networkLoadBalancersPerRegion: 50 } });
      await aws.run('deleteLoadBalancer', { scope, key: 'lb/api', kind: 'nlb' });
      await aws.run('deleteLoadBalancer', { scope, key: 'lb/other', kind: 'classic-elb' });
    }
  });

  simOnly('assumes AWS’s documented default quota, and says so, when Service Quotas refuses to answer', 'bare moto cannot be made to refuse', async () => {
    // Not allowed (no servicequotas:Get* permission) is no transient error: preflight goes on.
    await aws.configureSim({ faults: { 'servicequotas:*': { code: 'AccessDeniedException', httpStatus: 400, message: 'not authorized to perform servicequotas:GetServiceQuota' } } });
    try {
      const needs = { elasticIps: 1, vpcs: 0, natGatewaysPerAz: {}, onDemandVcpus: 2, instanceTypes: [] };
      const result = await aws.run('runPreflight', { scope: newScope(), image: AMAZON_LINUX, needs });
      const assumed = ` [quota assumed AWS's documented default: Service Quotas could not answer (AccessDeniedException: not authorized to perform servicequotas:GetServiceQuota)]`;
      expect(check(result, 'Elastic IP quota')).toEqual({ name: 'Elastic IP quota', ok: true, message: `needs 1 Elastic IP; 0 of 5 in use in ${REGION}${assumed}` });
      expect(check(result, 'on-demand vCPU quota')).toEqual({ name: 'on-demand vCPU quota', ok: true, message: `needs 2 on-demand standard vCPUs; 0 of 5 in use in ${REGION}${assumed}` });
    } finally {
      await aws.configureSim({ faults: { 'servicequotas:*': null } });
    }
  });

  simOnly('leaves a quota it could not read because Service Quotas is down to a retry, not to a default', 'bare moto cannot be made to fail', async () => {
    await aws.configureSim({ faults: { 'servicequotas:*': { code: 'ServiceUnavailableException', rate: 1, httpStatus: 503, message: 'Service Quotas is unavailable' } } });
    try {
      const needs = { elasticIps: 1, vpcs: 0, natGatewaysPerAz: {}, onDemandVcpus: 0, instanceTypes: [] };
      await expect(aws.run('runPreflight', { scope: newScope(), image: AMAZON_LINUX, needs })).rejects.toMatchObject({
        type: 'ServiceUnavailableException',
        nonRetryable: false,
      });
    } finally {
      await aws.configureSim({ faults: { 'servicequotas:*': null } });
    }
  });

  simOnly('names the account and how to rotate its keys when AWS refuses them', 'only the simulator can revoke a key', async () => {
    const revoke = (status: string) =>
      fetch(`${aws.url}/_sim/credentials/AKIAIOSFODNN7EXAMPLE`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status }) });
    expect((await revoke('expired')).status).toBe(200);
    try {
      const scope = newScope();
      const result = await aws.run('runPreflight', { scope, image: AMAZON_LINUX, needs: { elasticIps: 0, vpcs: 0, natGatewaysPerAz: {}, onDemandVcpus: 0, instanceTypes: [] } });
      expect(result.ok).toBe(false);
      expect(check(result, 'credentials').message).toBe(
        `ExpiredToken: AWS refused the keys of cloud account ${scope.accountId} (The security token included in the request is expired): ` +
          `they are wrong, expired or revoked; rotate them with PATCH /v1/cloud-accounts/${scope.accountId}, then run the operation again`,
      );
    } finally {
      await revoke('active');
    }
  });

  it('fails for good when the cloud account does not exist', async () => {
    const scope = { ...newScope(), accountId: 'no-such-account' };
    await expect(aws.run('runPreflight', { scope, image: AMAZON_LINUX, needs: { elasticIps: 0, vpcs: 0, natGatewaysPerAz: {}, onDemandVcpus: 0, instanceTypes: [] } })).rejects.toMatchObject({
      type: 'CloudAccountNotFound',
      nonRetryable: true,
    });
  });
});

describe('findNewestImage ordering', () => {
  /** A stand-in EC2 client answering DescribeImages with fixed images. */
  function ec2With(images: Array<{ ImageId: string; Name: string; CreationDate?: string }>): EC2Client {
    return { send: async () => ({ Images: images }) } as unknown as EC2Client;
  }

  it('takes the newest creation date, whatever the names say', async () => {
    const ec2 = ec2With([
      { ImageId: 'ami-1', Name: 'ubuntu-jammy-22.04-amd64-server-20240901', CreationDate: '2024-09-01T10:00:00.000Z' },
      { ImageId: 'ami-2', Name: 'ubuntu-jammy-22.04-amd64-server-20240101', CreationDate: '2024-10-01T10:00:00.000Z' },
      { ImageId: 'ami-3', Name: 'ubuntu-jammy-22.04-amd64-server-20230101', CreationDate: '2023-01-01T10:00:00.000Z' },
    ]);
    expect(await findNewestImage(ec2, 'o', 'p')).toEqual({ imageId: 'ami-2', name: 'ubuntu-jammy-22.04-amd64-server-20240101' });
  });

  it('breaks a tie by the build date in the name, and finds nothing in an empty answer', async () => {
    const at = '2024-09-01T10:00:00.000Z';
    const ec2 = ec2With([
      { ImageId: 'ami-9', Name: 'img-20240101', CreationDate: at },
      { ImageId: 'ami-1', Name: 'img-20240301', CreationDate: at },
    ]);
    expect((await findNewestImage(ec2, 'o', 'p'))?.imageId).toBe('ami-1');
    expect(await findNewestImage(ec2With([]), 'o', 'p')).toBeUndefined();
  });
});
