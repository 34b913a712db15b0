import { defaultConfig, type QuotaValues } from './config';
import { AwsError, jsonResponse, type WireResponse } from './errors';
import type { Caller } from './moto';
import { vcpusOf } from './pricing/catalog';
import type { AwsCall } from './protocol';
import type { Sim } from './sim';
import { child, items, text, type XmlNode } from './xml';

/**
 * The EC2 and VPC quotas a cluster runs into: answered by Service Quotas (GetServiceQuota,
 * ListServiceQuotas, GetAWSDefaultServiceQuota, ListAWSDefaultServiceQuotas) from the live
 * config, and enforced on the calls that consume them with the error codes EC2 uses.
 * Quota codes and names are AWS's (Service Quotas console, services `ec2` and `vpc`).
 */

type QuotaService = 'ec2' | 'vpc' | 'elasticloadbalancing';

interface QuotaDefinition {
  serviceCode: QuotaService;
  quotaCode: string;
  quotaName: string;
  setting: keyof QuotaValues;
}

export const QUOTAS: QuotaDefinition[] = [
  { serviceCode: 'ec2', quotaCode: 'L-1216C47A', quotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances', setting: 'onDemandStandardVcpus' },
  { serviceCode: 'ec2', quotaCode: 'L-DB2E81BA', quotaName: 'Running On-Demand G and VT instances', setting: 'onDemandGAndVtVcpus' },
  { serviceCode: 'ec2', quotaCode: 'L-34B43A08', quotaName: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests', setting: 'spotStandardVcpus' },
  { serviceCode: 'ec2', quotaCode: 'L-0263D0A3', quotaName: 'EC2-VPC Elastic IPs', setting: 'elasticIps' },
  { serviceCode: 'vpc', quotaCode: 'L-F678F1CE', quotaName: 'VPCs per Region', setting: 'vpcsPerRegion' },
  { serviceCode: 'vpc', quotaCode: 'L-FE5A380F', quotaName: 'NAT gateways per Availability Zone', setting: 'natGatewaysPerAz' },
  { serviceCode: 'vpc', quotaCode: 'L-A4707A72', quotaName: 'Internet gateways per Region', setting: 'internetGatewaysPerRegion' },
  { serviceCode: 'elasticloadbalancing', quotaCode: 'L-69A177A2', quotaName: 'Network Load Balancers per Region', setting: 'networkLoadBalancersPerRegion' },
  { serviceCode: 'elasticloadbalancing', quotaCode: 'L-E9E9831D', quotaName: 'Classic Load Balancers per Region', setting: 'classicLoadBalancersPerRegion' },
];

const SERVICE_NAMES: Record<QuotaService, string> = {
  ec2: 'Amazon Elastic Compute Cloud (Amazon EC2)',
  vpc: 'Amazon Virtual Private Cloud (Amazon VPC)',
  elasticloadbalancing: 'Elastic Load Balancing (ELB)',
};

function render(def: QuotaDefinition, value: number, region: string, account: string): Record<string, unknown> {
  return {
    ServiceCode: def.serviceCode,
    ServiceName: SERVICE_NAMES[def.serviceCode],
    QuotaArn: `arn:aws:servicequotas:${region}:${account}:${def.serviceCode}/${def.quotaCode}`,
    QuotaCode: def.quotaCode,
    QuotaName: def.quotaName,
    Value: value,
    Unit: 'None',
    Adjustable: true,
    GlobalQuota: false,
    QuotaAppliedAtLevel: 'ACCOUNT',
  };
}

/** Service Quotas for `ec2`, `vpc` and `elasticloadbalancing`; undefined means "not ours, let moto answer". */
export function handleServiceQuotas(sim: Sim, call: AwsCall, account: string): WireResponse | undefined {
  const serviceCode = call.json.ServiceCode;
  if (!Object.prototype.hasOwnProperty.call(SERVICE_NAMES, String(serviceCode))) return undefined;
  const defaults = defaultConfig().quotas;
  const applied = call.action === 'GetServiceQuota' || call.action === 'ListServiceQuotas';
  const valueOf = (def: QuotaDefinition): number => (applied ? sim.config.quotas[def.setting] : defaults[def.setting]);
  const ours = QUOTAS.filter((q) => q.serviceCode === serviceCode);
  switch (call.action) {
    case 'GetServiceQuota':
    case 'GetAWSDefaultServiceQuota': {
      const def = ours.find((q) => q.quotaCode === call.json.QuotaCode);
      if (!def) {
        if (serviceCode === 'vpc') return undefined;
        throw new AwsError('NoSuchResourceException', 'The request failed because the specified resource does not exist.');
      }
      return jsonResponse({ Quota: render(def, valueOf(def), call.region, account) });
    }
    case 'ListServiceQuotas':
    case 'ListAWSDefaultServiceQuotas': {
      const code = call.json.QuotaCode;
      const list = ours.filter((q) => code === undefined || q.quotaCode === code);
      return jsonResponse({ Quotas: list.map((def) => render(def, valueOf(def), call.region, account)) });
    }
    default:
      return undefined;
  }
}

// ---- enforcement -------------------------------------------------------------------------

export type VcpuClass = 'standard' | 'g-vt' | 'other';

/** The instance family's letters: m5.large → m, g4dn.xlarge → g, vt1.3xlarge → vt, inf2 → inf. */
export function vcpuClassOf(instanceType: string): VcpuClass {
  const family = /^([a-z]+)/.exec(instanceType.split('.')[0] ?? '')?.[1] ?? '';
  if (family === 'g' || family === 'vt') return 'g-vt';
  if (['a', 'c', 'd', 'h', 'i', 'm', 'r', 't', 'z'].includes(family)) return 'standard';
  return 'other';
}

const motoVcpus = new Map<string, Promise<number>>();

/** vCPUs of a type: from the price list, else from moto's instance type data, else 2. */
export async function vcpus(sim: Sim, caller: Caller, instanceType: string): Promise<number> {
  const known = vcpusOf(instanceType);
  if (known !== undefined) return known;
  let cached = motoVcpus.get(instanceType);
  if (!cached) {
    cached = sim.moto
      .query('ec2', caller, 'DescribeInstanceTypes', { 'InstanceType.1': instanceType })
      .then((root) => Number(text(child(items(root, 'instanceTypeSet')[0], 'vCpuInfo'), 'defaultVCpus')) || 2)
      .catch(() => 2);
    motoVcpus.set(instanceType, cached);
  }
  return cached;
}

export function instanceNodes(reservations: XmlNode[]): XmlNode[] {
  return reservations.flatMap((reservation) => items(reservation, 'instancesSet'));
}

/**
 * How many instances of `instanceType` the vCPU quota still allows in the caller's region
 * (Infinity when it is not enforced or no quota covers the type), counting the vCPUs of
 * pending and running instances of the same class and market.
 */
export async function instancesAllowed(sim: Sim, caller: Caller, instanceType: string, spot: boolean): Promise<{ allowed: number; limit: number; code: string }> {
  const unlimited = { allowed: Infinity, limit: Infinity, code: '' };
  if (!sim.config.enforceQuotas) return unlimited;
  const klass = vcpuClassOf(instanceType);
  let limit: number;
  let code: string;
  if (spot) {
    if (klass !== 'standard') return unlimited;
    limit = sim.config.quotas.spotStandardVcpus;
    code = 'MaxSpotInstanceCountExceeded';
  } else if (klass === 'standard') {
    limit = sim.config.quotas.onDemandStandardVcpus;
    code = 'VcpuLimitExceeded';
  } else if (klass === 'g-vt') {
    limit = sim.config.quotas.onDemandGAndVtVcpus;
    code = 'VcpuLimitExceeded';
  } else {
    return unlimited;
  }
  const reservations = await sim.moto.ec2All(caller, 'DescribeInstances', 'reservationSet');
  let used = 0;
  for (const node of instanceNodes(reservations)) {
    const state = text(child(node, 'instanceState'), 'name') ?? '';
    if (state !== 'pending' && state !== 'running') continue;
    const isSpot = text(node, 'instanceLifecycle') === 'spot';
    const type = text(node, 'instanceType') ?? '';
    if (isSpot !== spot || vcpuClassOf(type) !== klass) continue;
    used += await vcpus(sim, caller, type);
  }
  const each = await vcpus(sim, caller, instanceType);
  return { allowed: Math.max(0, Math.floor((limit - used) / each)), limit, code };
}

export function vcpuLimitError(code: string, limit: number): AwsError {
  if (code === 'MaxSpotInstanceCountExceeded') return new AwsError(code, 'Max spot instance count exceeded');
  return new AwsError(
    code,
    `You have requested more vCPU capacity than your current vCPU limit of ${limit} allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.`,
  );
}
