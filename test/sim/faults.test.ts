import { CreateVpcCommand, DescribeVpcsCommand, EC2ServiceException, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { ListRolesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { GetServiceQuotaCommand, TooManyRequestsException } from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { latencyFor } from '../../sim/faults';
import type { AwsCall } from '../../sim/protocol';
import { AMI, QUIET, useHarness } from './harness';

/** Feature 6: injected faults in each protocol's wire shape, and added latency. */

const h = useHarness(QUIET);

type SdkError = Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; $fault?: string; $retryable?: unknown };

async function failure(p: Promise<unknown>): Promise<SdkError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: SdkError) => e,
  );
}

it('EC2: InsufficientInstanceCapacity reaches the SDK as that error, a retryable 500', async () => {
  await h.control('PUT', '/_sim/config', { faults: { 'ec2:RunInstances': { code: 'InsufficientInstanceCapacity' } } });
  const error = await failure(h.ec2({ maxAttempts: 2 }).send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1 })));
  expect(error).toBeInstanceOf(EC2ServiceException);
  expect(error.name).toBe('InsufficientInstanceCapacity');
  expect(error.message).toContain('m5.large');
  expect(error.$metadata?.httpStatusCode).toBe(500);
  expect(error.$fault).toBe('server');
  expect(error.$metadata?.attempts).toBe(2); // the SDK retried it, as it retries any 5xx
  expect((await h.stats()).actions['ec2:RunInstances']).toMatchObject({ calls: 2, faulted: 2, ok: 0 });
});

it('a fault with a count fails that many calls, then the SDK retry succeeds', async () => {
  await h.control('PUT', '/_sim/config', { faults: { 'ec2:*': { code: 'InternalError', count: 2 } } });
  const out = await h.ec2({ maxAttempts: 3 }).send(new DescribeVpcsCommand({}));
  expect(out.$metadata.attempts).toBe(3);
  expect(out.Vpcs?.length).toBeGreaterThan(0);
  const config = await h.control<{ faults: Record<string, unknown> }>('GET', '/_sim/config');
  expect(config.faults).toEqual({}); // used up
  expect((await h.stats()).actions['ec2:DescribeVpcs']).toMatchObject({ calls: 3, faulted: 2, ok: 1 });
});

it('an `after` fault performs the call and still fails it (a lost response)', async () => {
  await h.control('PUT', '/_sim/config', { faults: { 'ec2:CreateVpc': { code: 'ServiceUnavailable', phase: 'after', count: 1 } } });
  const ec2 = h.ec2();
  const error = await failure(ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' })));
  expect(error.name).toBe('ServiceUnavailable');
  expect(error.$metadata?.httpStatusCode).toBe(503);
  const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.42.0.0/16'] }] }));
  expect(vpcs.Vpcs).toHaveLength(1);
});

it('ELB, IAM and STS errors come in the query protocol <ErrorResponse> shape', async () => {
  await h.control('PUT', '/_sim/config', {
    faults: {
      'elb:DescribeLoadBalancers': { code: 'Throttling', message: 'Rate exceeded' },
      'iam:ListRoles': { code: 'NoSuchEntity', message: 'no such role' },
      'sts:GetCallerIdentity': { code: 'InternalFailure', httpStatus: 500 },
    },
  });
  const elb = await failure(h.elb().send(new DescribeLoadBalancersCommand({})));
  expect(elb.name).toBe('Throttling');
  expect(elb.message).toBe('Rate exceeded');
  expect(elb.$metadata?.httpStatusCode).toBe(400);

  const iam = await failure(h.iam().send(new ListRolesCommand({})));
  expect(iam).toBeInstanceOf(NoSuchEntityException); // the SDK mapped the awsQueryError code to the modelled exception
  expect(iam.message).toBe('no such role');

  const sts = await failure(h.sts().send(new GetCallerIdentityCommand({})));
  expect(sts.name).toBe('InternalFailure');
  expect(sts.$fault).toBe('server');

  const raw = await fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: 'Action=ListRoles&Version=2010-05-08',
  });
  expect(raw.status).toBe(400);
  expect(await raw.text()).toMatch(/^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>NoSuchEntity<\/Code>/);
});

it('JSON-protocol services get {"__type", "message"} errors the SDK maps to their exceptions', async () => {
  await h.control('PUT', '/_sim/config', {
    faults: {
      'secretsmanager:GetSecretValue': { code: 'ResourceNotFoundException', message: 'Secrets Manager can’t find the specified secret.' },
      'servicequotas:*': { code: 'TooManyRequestsException' },
    },
  });
  const secret = await failure(h.secrets().send(new GetSecretValueCommand({ SecretId: 'x' })));
  expect(secret).toBeInstanceOf(ResourceNotFoundException);
  expect(secret.message).toContain('can’t find');
  const quota = await failure(h.quotas().send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' })));
  expect(quota).toBeInstanceOf(TooManyRequestsException);
});

it('a rate of 0 never fires, and faults are scoped to their action', async () => {
  await h.control('PUT', '/_sim/config', { faults: { 'ec2:DescribeVpcs': { code: 'InternalError', rate: 0 }, 'ec2:CreateVpc': { code: 'InternalError' } } });
  const ec2 = h.ec2();
  for (let i = 0; i < 5; i++) await ec2.send(new DescribeVpcsCommand({}));
  await ec2.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
  await h.control('PUT', '/_sim/config', { faults: { 'ec2:CreateVpc': null } });
  await ec2.send(new CreateVpcCommand({ CidrBlock: '10.43.0.0/16' }));
  const stats = await h.stats();
  expect(stats.totals.faulted).toBe(0);
});

it('adds the configured latency to the configured action only, the most specific entry winning', async () => {
  await h.control('PUT', '/_sim/config', { latency: { 'ec2:DescribeVpcs': 400, 'ec2:*': 50 } });
  const config = await h.control<{ latency: Record<string, number> }>('GET', '/_sim/config');
  expect(config.latency).toEqual({ 'ec2:DescribeVpcs': 400, 'ec2:*': 50 });
  // What the pipeline waits before each call (read from the running simulator's config).
  const wait = (service: string, action: string) => latencyFor(h.sim.config, { service, action } as AwsCall);
  expect(wait('ec2', 'DescribeVpcs')).toBe(400);
  expect(wait('ec2', 'DescribeSubnets')).toBe(50);
  expect(wait('iam', 'ListRoles')).toBe(0);
});

it('rejects a malformed fault', async () => {
  await expect(h.control('PUT', '/_sim/config', { faults: { 'ec2:RunInstances': { rate: 2, code: 'X' } } })).rejects.toThrow(/faults\.ec2:RunInstances\.rate/);
  await expect(h.control('PUT', '/_sim/config', { faults: { 'ec2:RunInstances': { rate: 0.5 } } })).rejects.toThrow(/code/);
});
