import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand,
  DescribeNatGatewaysCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  Instance,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand as DescribeClassicLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeLoadBalancersCommand as DescribeLoadBalancersV2Command } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AwsDeps, AwsSession, SessionWhere, withSession } from './aws-session';
import { classifyAwsError, isAwsError, isKeysRefused, isTransient, keysRefusedMessage } from './aws-errors';
import { findNewestImage, noImageMessage } from './images';

/**
 * Everything that would make a create fail late, checked up front: credentials, key pair,
 * image, instance types and the quotas the cluster draws on (vCPUs, Elastic IPs, VPCs, NAT
 * gateways, the API endpoint's load balancer). READ-ONLY (Get/Describe only):
 * the create's `runPreflight` activity and the API's dry run both call it. A failed check is
 * a result, not an error; only transient AWS errors (throttling, 5xx) escape, so Temporal
 * retries instead of reporting a false failure.
 *
 * The shapes below are the `runPreflight` activity's too (activities/types.ts re-exports them).
 */

export interface PreflightCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface PreflightInput {
  scope: SessionWhere;
  sshKeyName?: string;
  image: { owner: string; namePattern: string };
  needs: {
    elasticIps: number;
    vpcs: number;
    natGatewaysPerAz: Record<string, number>;
    onDemandVcpus: number;
    instanceTypes: string[];
    /** The API endpoint's load balancer (absent in inputs recorded before they were counted). */
    networkLoadBalancers?: number;
    classicLoadBalancers?: number;
  };
}

export interface PreflightResult {
  ok: boolean;
  checks: PreflightCheck[];
  /** The image the create will boot: the newest match, found once here. */
  imageId?: string;
}

export interface QuotaSpec {
  serviceCode: string;
  quotaCode: string;
  title: string;
  /** What AWS documents for an account that never asked for more. */
  documentedDefault: number;
}

export const QUOTAS = {
  onDemandStandardVcpus: { serviceCode: 'ec2', quotaCode: 'L-1216C47A', title: 'Running On-Demand Standard instances (vCPUs)', documentedDefault: 5 },
  elasticIps: { serviceCode: 'ec2', quotaCode: 'L-0263D0A3', title: 'EC2-VPC Elastic IPs', documentedDefault: 5 },
  vpcs: { serviceCode: 'vpc', quotaCode: 'L-F678F1CE', title: 'VPCs per Region', documentedDefault: 5 },
  natGatewaysPerAz: { serviceCode: 'vpc', quotaCode: 'L-FE5A380F', title: 'NAT gateways per Availability Zone', documentedDefault: 5 },
  networkLoadBalancers: { serviceCode: 'elasticloadbalancing', quotaCode: 'L-69A177A2', title: 'Network Load Balancers per Region', documentedDefault: 50 },
  classicLoadBalancers: { serviceCode: 'elasticloadbalancing', quotaCode: 'L-E9E9831D', title: 'Classic Load Balancers per Region', documentedDefault: 20 },
} satisfies Record<string, QuotaSpec>;

/** Families counted by L-1216C47A: A, C, D, H, I, M, R, T, Z. */
export function isStandardFamily(instanceType: string): boolean {
  return /^[acdhimrtz]/.test(instanceType);
}

interface QuotaAnswer {
  value: number;
  /** Said when the value is not the account's own (a default we assumed). */
  note?: string;
}

function errorText(error: unknown): string {
  const classified = classifyAwsError(error);
  return classified ? `${classified.code}: ${classified.message}` : (error as Error).message;
}

/** The account's applied quota, else AWS's default for it, else the documented default (and says so). */
export async function readQuota(quotas: ServiceQuotasClient, spec: QuotaSpec): Promise<QuotaAnswer> {
  const request = { ServiceCode: spec.serviceCode, QuotaCode: spec.quotaCode };
  let reason: string;
  try {
    const applied = await quotas.send(new GetServiceQuotaCommand(request));
    if (applied.Quota?.Value !== undefined) return { value: applied.Quota.Value };
    reason = 'GetServiceQuota returned no value';
  } catch (error) {
    // Throttled or AWS down: try again later rather than judge the account by a default.
    if (isTransient(error)) throw error;
    reason = errorText(error);
  }
  try {
    const fallback = await quotas.send(new GetAWSDefaultServiceQuotaCommand(request));
    if (fallback.Quota?.Value !== undefined) return { value: fallback.Quota.Value, note: `AWS default; the applied value was not available (${reason})` };
  } catch (error) {
    if (isTransient(error)) throw error;
    // Otherwise the same cause as above, most likely; the first reason is the informative one.
  }
  return { value: spec.documentedDefault, note: `assumed AWS's documented default: Service Quotas could not answer (${reason})` };
}

function noun(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** "needs 3 Elastic IPs; 4 of 5 in use in us-east-1: release some or raise quota L-0263D0A3" */
export function quotaCheck(
  name: string,
  spec: QuotaSpec,
  quota: QuotaAnswer,
  usage: { needed: number; inUse: number; what: string; where: string; release: string },
): PreflightCheck {
  const ok = usage.inUse + usage.needed <= quota.value;
  let message = `needs ${usage.needed} ${usage.what}; ${usage.inUse} of ${quota.value} in use in ${usage.where}`;
  if (!ok) message += `: ${usage.release} or raise quota ${spec.quotaCode} (${spec.title})`;
  if (quota.note) message += ` [quota ${quota.note}]`;
  return { name, ok, message };
}

/**
 * Runs one check; a non-retryable AWS error (e.g. a missing IAM permission) fails just
 * that check with AWS's words, a transient one is rethrown for Temporal to retry.
 */
async function attempt(name: string, body: () => Promise<PreflightCheck | PreflightCheck[]>): Promise<PreflightCheck[]> {
  try {
    const result = await body();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    const classified = classifyAwsError(error);
    if (!classified || classified.retryable) throw error;
    return [{ name, ok: false, message: `could not check: ${classified.code}: ${classified.message}` }];
  }
}

async function runningOnDemand(ec2: EC2Client): Promise<Instance[]> {
  const found: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const answer = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }], NextToken, MaxResults: 1000 }),
    );
    for (const reservation of answer.Reservations ?? []) found.push(...(reservation.Instances ?? []));
    NextToken = answer.NextToken;
  } while (NextToken);
  return found.filter((instance) => instance.InstanceLifecycle !== 'spot');
}

async function vcpusOf(ec2: EC2Client, types: string[]): Promise<Map<string, number>> {
  const vcpus = new Map<string, number>();
  const unique = [...new Set(types)];
  for (let i = 0; i < unique.length; i += 100) {
    const answer = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: unique.slice(i, i + 100) as _InstanceType[] }));
    for (const type of answer.InstanceTypes ?? []) vcpus.set(type.InstanceType!, type.VCpuInfo?.DefaultVCpus ?? 0);
  }
  return vcpus;
}

function checkCredentials(session: AwsSession): Promise<PreflightCheck> {
  return session.sts.send(new GetCallerIdentityCommand({})).then(
    (who) => ({ name: 'credentials', ok: true, message: `authenticated as ${who.Arn} (account ${who.Account})` }),
    (error) => {
      const classified = classifyAwsError(error);
      if (classified?.retryable) throw error;
      const message = isKeysRefused(error) && classified ? keysRefusedMessage(classified.code, classified.message, session.accountId) : `the cloud account's keys do not work: ${errorText(error)}`;
      return { name: 'credentials', ok: false, message };
    },
  );
}

async function checkKeyPair(ec2: EC2Client, keyName: string, region: string): Promise<PreflightCheck> {
  const name = 'ssh key pair';
  try {
    await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }));
    return { name, ok: true, message: `key pair ${keyName} exists in ${region}` };
  } catch (error) {
    if (!isAwsError(error, 'InvalidKeyPair.NotFound')) throw error;
    return {
      name,
      ok: false,
      message: `key pair ${keyName} does not exist in ${region}: import it there (aws ec2 import-key-pair --key-name ${keyName} --region ${region}) or name another`,
    };
  }
}

async function checkInstanceTypes(ec2: EC2Client, types: string[], region: string): Promise<PreflightCheck> {
  const name = 'instance types';
  const unique = [...new Set(types)];
  if (unique.length === 0) return { name, ok: true, message: 'no instance types requested' };
  try {
    const vcpus = await vcpusOf(ec2, unique);
    const missing = unique.filter((type) => !vcpus.has(type));
    if (missing.length > 0) return { name, ok: false, message: `not offered in ${region}: ${missing.join(', ')}` };
    return { name, ok: true, message: unique.map((type) => `${type} (${vcpus.get(type)} vCPUs)`).join(', ') };
  } catch (error) {
    if (!isAwsError(error, 'InvalidInstanceType')) throw error;
    return { name, ok: false, message: `${errorText(error)} (region ${region})` };
  }
}

/**
 * The vCPUs of one instance per entry. A type AWS does not know counts as 0 here: the
 * instance-types check reports it.
 */
async function vcpusNeeded(ec2: EC2Client, types: string[]): Promise<number> {
  const known = new Map<string, number>();
  for (const type of new Set(types)) {
    try {
      for (const [name, count] of await vcpusOf(ec2, [type])) known.set(name, count);
    } catch (error) {
      if (!isAwsError(error, 'InvalidInstanceType')) throw error;
    }
  }
  return types.reduce((sum, type) => sum + (known.get(type) ?? 0), 0);
}

async function checkVcpus(session: AwsSession, input: PreflightInput): Promise<PreflightCheck> {
  const spec = QUOTAS.onDemandStandardVcpus;
  const [quota, running] = await Promise.all([readQuota(session.quotas, spec), runningOnDemand(session.ec2)]);
  const standard = running.filter((instance) => isStandardFamily(instance.InstanceType ?? ''));
  // needs.instanceTypes holds one entry per instance to launch; their vCPUs add up, unless
  // the caller gave the total itself.
  const vcpus = await vcpusOf(session.ec2, standard.map((instance) => instance.InstanceType!));
  const inUse = standard.reduce((sum, instance) => sum + (vcpus.get(instance.InstanceType!) ?? 0), 0);
  const needed = input.needs.onDemandVcpus > 0 ? input.needs.onDemandVcpus : await vcpusNeeded(session.ec2, input.needs.instanceTypes.filter(isStandardFamily));
  return quotaCheck('on-demand vCPU quota', spec, quota, {
    needed,
    inUse,
    what: 'on-demand standard vCPUs',
    where: input.scope.region,
    release: 'stop or terminate instances',
  });
}

async function checkElasticIps(session: AwsSession, input: PreflightInput): Promise<PreflightCheck> {
  const spec = QUOTAS.elasticIps;
  const [quota, addresses] = await Promise.all([
    readQuota(session.quotas, spec),
    session.ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'domain', Values: ['vpc'] }] })),
  ]);
  return quotaCheck('Elastic IP quota', spec, quota, {
    needed: input.needs.elasticIps,
    inUse: addresses.Addresses?.length ?? 0,
    what: noun(input.needs.elasticIps, 'Elastic IP'),
    where: input.scope.region,
    release: 'release some',
  });
}

async function checkVpcs(session: AwsSession, input: PreflightInput): Promise<PreflightCheck> {
  const spec = QUOTAS.vpcs;
  const [quota, vpcs] = await Promise.all([readQuota(session.quotas, spec), session.ec2.send(new DescribeVpcsCommand({}))]);
  return quotaCheck('VPC quota', spec, quota, {
    needed: input.needs.vpcs,
    // The default VPC counts against the quota like any other.
    inUse: vpcs.Vpcs?.length ?? 0,
    what: noun(input.needs.vpcs, 'VPC'),
    where: input.scope.region,
    release: 'delete unused VPCs',
  });
}

async function checkNatGateways(session: AwsSession, input: PreflightInput): Promise<PreflightCheck[]> {
  const spec = QUOTAS.natGatewaysPerAz;
  const wanted = Object.entries(input.needs.natGatewaysPerAz).filter(([, n]) => n > 0);
  if (wanted.length === 0) return [];
  const [quota, nats] = await Promise.all([
    readQuota(session.quotas, spec),
    // AWS counts pending, available and deleting gateways against the quota.
    session.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['pending', 'available', 'deleting'] }] })),
  ]);
  const counted = (nats.NatGateways ?? []).filter((nat) => ['pending', 'available', 'deleting'].includes(nat.State ?? ''));
  const subnetIds = [...new Set(counted.map((nat) => nat.SubnetId!).filter(Boolean))];
  const azOfSubnet = new Map<string, string>();
  if (subnetIds.length > 0) {
    const subnets = await session.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: subnetIds }] }));
    for (const subnet of subnets.Subnets ?? []) azOfSubnet.set(subnet.SubnetId!, subnet.AvailabilityZone!);
  }
  return wanted.map(([az, needed]) =>
    quotaCheck(`NAT gateway quota in ${az}`, spec, quota, {
      needed,
      inUse: counted.filter((nat) => azOfSubnet.get(nat.SubnetId!) === az).length,
      what: noun(needed, 'NAT gateway'),
      where: az,
      release: 'delete unused NAT gateways',
    }),
  );
}

/** Every load balancer of the region the quota of `kind` counts (ELBv2 lists network, application and gateway ones together). */
async function loadBalancersInUse(session: AwsSession, kind: 'network' | 'classic'): Promise<number> {
  let count = 0;
  let Marker: string | undefined;
  do {
    if (kind === 'network') {
      const answer = await session.elbv2.send(new DescribeLoadBalancersV2Command({ Marker, PageSize: 400 }));
      count += (answer.LoadBalancers ?? []).filter((lb) => lb.Type === 'network').length;
      Marker = answer.NextMarker;
    } else {
      const answer = await session.elb.send(new DescribeClassicLoadBalancersCommand({ Marker, PageSize: 400 }));
      count += answer.LoadBalancerDescriptions?.length ?? 0;
      Marker = answer.NextMarker;
    }
  } while (Marker);
  return count;
}

async function checkLoadBalancers(session: AwsSession, input: PreflightInput, kind: 'network' | 'classic'): Promise<PreflightCheck> {
  const spec = kind === 'network' ? QUOTAS.networkLoadBalancers : QUOTAS.classicLoadBalancers;
  const needed = (kind === 'network' ? input.needs.networkLoadBalancers : input.needs.classicLoadBalancers) ?? 0;
  const [quota, inUse] = await Promise.all([readQuota(session.quotas, spec), loadBalancersInUse(session, kind)]);
  return quotaCheck(`${kind} load balancer quota`, spec, quota, {
    needed,
    inUse,
    what: noun(needed, `${kind} load balancer`),
    where: input.scope.region,
    release: 'delete unused ones',
  });
}

/** Every check for a create of `input`'s needs, with the account's keys. */
export async function runPreflight(deps: AwsDeps, input: PreflightInput): Promise<PreflightResult> {
  return withSession(deps, input.scope, async (session) => {
    const credentials = await checkCredentials(session);
    // Without working keys every other check would only repeat the same failure.
    if (!credentials.ok) return { ok: false, checks: [credentials] };

    const region = input.scope.region;
    const { image, needs } = input;
    let imageId: string | undefined;
    const groups = await Promise.all([
      input.sshKeyName ? attempt('ssh key pair', () => checkKeyPair(session.ec2, input.sshKeyName!, region)) : [],
      attempt('image', async () => {
        const found = await findNewestImage(session.ec2, image.owner, image.namePattern);
        imageId = found?.imageId;
        return found
          ? { name: 'image', ok: true, message: `${found.imageId} (${found.name})` }
          : { name: 'image', ok: false, message: `${noImageMessage(image.owner, image.namePattern, region)}: check the profile's image owner and name pattern` };
      }),
      attempt('instance types', () => checkInstanceTypes(session.ec2, needs.instanceTypes, region)),
      needs.onDemandVcpus > 0 || needs.instanceTypes.length > 0 ? attempt('on-demand vCPU quota', () => checkVcpus(session, input)) : [],
      needs.elasticIps > 0 ? attempt('Elastic IP quota', () => checkElasticIps(session, input)) : [],
      needs.vpcs > 0 ? attempt('VPC quota', () => checkVpcs(session, input)) : [],
      attempt('NAT gateway quota', () => checkNatGateways(session, input)),
      (needs.networkLoadBalancers ?? 0) > 0 ? attempt('network load balancer quota', () => checkLoadBalancers(session, input, 'network')) : [],
      (needs.classicLoadBalancers ?? 0) > 0 ? attempt('classic load balancer quota', () => checkLoadBalancers(session, input, 'classic')) : [],
    ]);
    const checks = [credentials, ...groups.flat()];
    return { ok: checks.every((check) => check.ok), checks, imageId };
  });
}
