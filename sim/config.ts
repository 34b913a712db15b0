/**
 * The simulator's settings: what PUT /_sim/config accepts (partial, merged) and what
 * GET /_sim/config returns (complete). CLUSTERFLOW_SIM_CONFIG carries the same shape.
 *
 * Defaults are AWS-like: throttling on with EC2's own bucket sizes, quotas at AWS's
 * defaults for a fresh account, and every delay a tenth of what the same transition
 * typically takes on AWS (short, non-zero, in proportion).
 */

/** Milliseconds each delayed transition takes before `delayScale` is applied. */
export interface Delays {
  /** RunInstances/StartInstances: `pending` → `running` (AWS: ~20 s). */
  instancePending: number;
  /** After `running`, DescribeInstanceStatus checks `initializing` → `ok` (AWS: ~2-3 min). */
  instanceStatusChecks: number;
  /** TerminateInstances: `shutting-down` → `terminated` (AWS: ~30-60 s). */
  instanceShuttingDown: number;
  /** StopInstances: `stopping` → `stopped` (AWS: ~30-60 s). */
  instanceStopping: number;
  /** CreateNatGateway: `pending` → `available` (AWS: ~1-2 min). */
  natGatewayPending: number;
  /** DeleteNatGateway: `deleting` → `deleted`; the Elastic IP stays associated until then (AWS: ~1 min). */
  natGatewayDeleting: number;
  /** Classic ELB: a registered, running instance is `OutOfService` → `InService` (AWS: interval × healthy threshold). */
  elbInstanceRegistration: number;
  /** ELBv2: a registered, running target is `initial` → `healthy` (AWS: ~30-90 s). */
  targetRegistration: number;
  /** ELBv2: a deregistered target is `draining` (AWS: deregistration delay, 300 s by default). */
  targetDeregistration: number;
}

export interface BucketSize {
  capacity: number;
  refillPerSecond: number;
}

export interface ThrottlingConfig {
  /** EC2 request throttling on or off. */
  enabled: boolean;
  /** Multiplies every bucket's refill rate (10 = ten times faster refill). */
  rateScale: number;
  /** Multiplies every bucket's capacity. */
  capacityScale: number;
  /**
   * Per-bucket overrides, keyed by EC2 action (`RunInstances`), by
   * `RunInstances#resource` for a resource bucket, or by a category
   * (`category:mutating`, `category:non-mutating`, `category:unfiltered`).
   */
  buckets: Record<string, BucketSize>;
}

export interface FaultRule {
  /** The AWS error code to answer, e.g. InsufficientInstanceCapacity, InternalError, ServiceUnavailable. */
  code: string;
  /** Probability 0..1 that a matching call fails (default 1). */
  rate?: number;
  /** Fail at most this many more calls, then stop (absent: no limit). Decremented as faults fire. */
  count?: number;
  /** HTTP status; defaults to what AWS uses for that code (5xx for server faults, 400 otherwise). */
  httpStatus?: number;
  message?: string;
  /**
   * `before` (default): the call fails without reaching moto. `after`: moto performs
   * the call and the client still sees the error (a lost response).
   */
  phase?: 'before' | 'after';
}

export interface QuotaValues {
  /** ec2 L-1216C47A Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, in vCPUs. */
  onDemandStandardVcpus: number;
  /** ec2 L-DB2E81BA Running On-Demand G and VT instances, in vCPUs. */
  onDemandGAndVtVcpus: number;
  /** ec2 L-34B43A08 All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests, in vCPUs. */
  spotStandardVcpus: number;
  /** ec2 L-0263D0A3 EC2-VPC Elastic IPs per region. */
  elasticIps: number;
  /** vpc L-F678F1CE VPCs per Region. */
  vpcsPerRegion: number;
  /** vpc L-FE5A380F NAT gateways per Availability Zone (pending, available and deleting count). */
  natGatewaysPerAz: number;
  /** vpc L-A4707A72 Internet gateways per Region. */
  internetGatewaysPerRegion: number;
  /** elasticloadbalancing L-69A177A2 Network Load Balancers per Region. */
  networkLoadBalancersPerRegion: number;
  /** elasticloadbalancing L-E9E9831D Classic Load Balancers per Region. */
  classicLoadBalancersPerRegion: number;
}

export interface SpotConfig {
  /**
   * Default spot price as a fraction of the on-demand price, before a per-AZ offset of
   * up to +0.06 (so AZs differ, deterministically). AWS's long-run spot discount for
   * these families is 60-70 %.
   */
  defaultDiscountFraction: number;
}

export interface SimConfig {
  delays: Delays;
  /** Multiplies every delay (0 = immediate, like bare moto). */
  delayScale: number;
  /** Added latency in ms, keyed `service:Action`, `service:*` or `*` (most specific wins). */
  latency: Record<string, number>;
  throttling: ThrottlingConfig;
  /** Injected faults keyed `service:Action`, `service:*` or `*` (most specific wins). */
  faults: Record<string, FaultRule>;
  quotas: QuotaValues;
  /** Quota enforcement on or off (the Service Quotas API answers either way). */
  enforceQuotas: boolean;
  spot: SpotConfig;
  /**
   * Instances whose status checks fail once running, by instance id: `instance` (the
   * instance's own check) or `system` (AWS's side). Their checks read `impaired`.
   */
  impairedStatus: Record<string, 'instance' | 'system'>;
}

export function defaultConfig(): SimConfig {
  return {
    delays: {
      instancePending: 2000,
      instanceStatusChecks: 15000,
      instanceShuttingDown: 4000,
      instanceStopping: 4000,
      natGatewayPending: 9000,
      natGatewayDeleting: 6000,
      elbInstanceRegistration: 9000,
      targetRegistration: 6000,
      targetDeregistration: 30000,
    },
    delayScale: 1,
    latency: {},
    throttling: { enabled: true, rateScale: 1, capacityScale: 1, buckets: {} },
    faults: {},
    impairedStatus: {},
    // AWS's defaults for a fresh account, except the vCPU quotas, which AWS sets per
    // account (5 for some brand-new accounts, 32 or more for most): 32 lets a 3+3 node
    // m5.large cluster with a bastion start, and a test can lower it.
    quotas: {
      onDemandStandardVcpus: 32,
      onDemandGAndVtVcpus: 8,
      spotStandardVcpus: 32,
      elasticIps: 5,
      vpcsPerRegion: 5,
      natGatewaysPerAz: 5,
      internetGatewaysPerRegion: 5,
      networkLoadBalancersPerRegion: 50,
      classicLoadBalancersPerRegion: 20,
    },
    enforceQuotas: true,
    spot: { defaultDiscountFraction: 0.32 },
  };
}

export class ConfigError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonNegative(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`${path} must be a non-negative number`);
  }
  return value;
}

function mergeNumbers<T extends object>(path: string, target: T, patch: unknown): void {
  if (!isObject(patch)) throw new ConfigError(`${path} must be an object`);
  const record = target as unknown as Record<string, number>;
  for (const [key, value] of Object.entries(patch)) {
    if (!(key in record)) throw new ConfigError(`${path}.${key} is not a setting`);
    record[key] = nonNegative(`${path}.${key}`, value);
  }
}

function mergeMap<V>(path: string, target: Record<string, V>, patch: unknown, check: (p: string, v: unknown) => V): void {
  if (!isObject(patch)) throw new ConfigError(`${path} must be an object`);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else target[key] = check(`${path}.${key}`, value);
  }
}

function checkFault(path: string, value: unknown): FaultRule {
  if (!isObject(value)) throw new ConfigError(`${path} must be an object`);
  const allowed = new Set(['code', 'rate', 'count', 'httpStatus', 'message', 'phase']);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new ConfigError(`${path}.${key} is not a fault setting`);
  }
  if (typeof value.code !== 'string' || !value.code) throw new ConfigError(`${path}.code must be an AWS error code`);
  const rule: FaultRule = { code: value.code };
  if (value.rate !== undefined) {
    const rate = nonNegative(`${path}.rate`, value.rate);
    if (rate > 1) throw new ConfigError(`${path}.rate must be between 0 and 1`);
    rule.rate = rate;
  }
  if (value.count !== undefined) rule.count = Math.floor(nonNegative(`${path}.count`, value.count));
  if (value.httpStatus !== undefined) {
    const status = nonNegative(`${path}.httpStatus`, value.httpStatus);
    if (status < 400 || status > 599) throw new ConfigError(`${path}.httpStatus must be 4xx or 5xx`);
    rule.httpStatus = status;
  }
  if (value.message !== undefined) {
    if (typeof value.message !== 'string') throw new ConfigError(`${path}.message must be a string`);
    rule.message = value.message;
  }
  if (value.phase !== undefined) {
    if (value.phase !== 'before' && value.phase !== 'after') throw new ConfigError(`${path}.phase must be "before" or "after"`);
    rule.phase = value.phase;
  }
  return rule;
}

function checkBucket(path: string, value: unknown): BucketSize {
  if (!isObject(value)) throw new ConfigError(`${path} must be {capacity, refillPerSecond}`);
  return {
    capacity: nonNegative(`${path}.capacity`, value.capacity),
    refillPerSecond: nonNegative(`${path}.refillPerSecond`, value.refillPerSecond),
  };
}

function checkBoolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`${path} must be true or false`);
  return value;
}

/**
 * Applies a partial config onto a copy of `base`: nested objects merge, `null` removes a
 * latency or fault entry or a bucket override. Throws ConfigError naming the bad field.
 */
export function mergeConfig(base: SimConfig, patch: unknown): SimConfig {
  if (!isObject(patch)) throw new ConfigError('the config must be a JSON object');
  const next = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'delays':
        mergeNumbers('delays', next.delays, value);
        break;
      case 'delayScale':
        next.delayScale = nonNegative('delayScale', value);
        break;
      case 'latency':
        mergeMap('latency', next.latency, value, nonNegative);
        break;
      case 'throttling': {
        if (!isObject(value)) throw new ConfigError('throttling must be an object');
        for (const [k, v] of Object.entries(value)) {
          if (k === 'enabled') next.throttling.enabled = checkBoolean('throttling.enabled', v);
          else if (k === 'rateScale') next.throttling.rateScale = nonNegative('throttling.rateScale', v);
          else if (k === 'capacityScale') next.throttling.capacityScale = nonNegative('throttling.capacityScale', v);
          else if (k === 'buckets') mergeMap('throttling.buckets', next.throttling.buckets, v, checkBucket);
          else throw new ConfigError(`throttling.${k} is not a setting`);
        }
        break;
      }
      case 'faults':
        mergeMap('faults', next.faults, value, checkFault);
        break;
      case 'impairedStatus':
        mergeMap('impairedStatus', next.impairedStatus, value, (path, check) => {
          if (check !== 'instance' && check !== 'system') throw new ConfigError(`${path} must be "instance" or "system"`);
          return check;
        });
        break;
      case 'quotas':
        mergeNumbers('quotas', next.quotas, value);
        break;
      case 'enforceQuotas':
        next.enforceQuotas = checkBoolean('enforceQuotas', value);
        break;
      case 'spot':
        mergeNumbers('spot', next.spot, value);
        break;
      default:
        throw new ConfigError(`${key} is not a setting`);
    }
  }
  return next;
}

/** The initial config: defaults, then CLUSTERFLOW_SIM_CONFIG (JSON, same shape as PUT /_sim/config). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SimConfig {
  const raw = env.CLUSTERFLOW_SIM_CONFIG;
  if (!raw) return defaultConfig();
  let parsed: Json;
  try {
    parsed = JSON.parse(raw) as Json;
  } catch (error) {
    throw new ConfigError(`CLUSTERFLOW_SIM_CONFIG is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return mergeConfig(defaultConfig(), parsed);
  } catch (error) {
    throw new ConfigError(`CLUSTERFLOW_SIM_CONFIG: ${(error as Error).message}`);
  }
}

/** A delay after `delayScale`. */
export function delayOf(config: SimConfig, name: keyof Delays): number {
  return config.delays[name] * config.delayScale;
}
