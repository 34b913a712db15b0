import * as http from 'node:http';

/**
 * Recognises which AWS service and action a request is, from the request alone, the way
 * AWS's front door does: the SigV4 credential scope names the signing service and region,
 * `Action` names the operation for the query protocols (EC2, ELB, IAM, STS), and
 * `X-Amz-Target` names it for the JSON protocols (Pricing, Service Quotas, Secrets Manager).
 */

/** How the service speaks, and therefore how its errors must look on the wire. */
export type WireProtocol = 'ec2' | 'query' | 'json' | 'rest';

export interface AwsCall {
  /** Short service name used in stats and config keys: ec2, elb, elbv2, iam, sts, pricing, servicequotas, secretsmanager, … */
  service: string;
  /** The SigV4 signing name (credential scope service). */
  signingName: string;
  action: string;
  region: string;
  accessKeyId: string;
  protocol: WireProtocol;
  /** Query-protocol parameters (body form fields and URL query), in order. */
  params: URLSearchParams;
  /** JSON-protocol body. */
  json: Record<string, unknown>;
  /** The JSON protocol's target prefix, e.g. AWSPriceListService. */
  targetPrefix?: string;
  /** Query-protocol API version, e.g. 2016-11-15. */
  version?: string;
  /** `service:Action`, the key of stats, faults and latency. */
  key: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

interface Scope {
  accessKeyId: string;
  region: string;
  signingName: string;
}

function scopeOf(req: http.IncomingMessage, url: URL): Scope | undefined {
  const auth = req.headers.authorization;
  const match = (auth && CREDENTIAL.exec(auth)) || CREDENTIAL.exec(`Credential=${url.searchParams.get('X-Amz-Credential') ?? ''}`);
  if (!match) return undefined;
  return { accessKeyId: match[1], region: match[3], signingName: match[4] };
}

/** Query protocols whose signing name alone does not say which API it is. */
function serviceName(signingName: string, version: string | undefined): string {
  if (signingName === 'elasticloadbalancing') return version === '2015-12-01' ? 'elbv2' : 'elb';
  return signingName;
}

/** Targets of JSON services that sign without a scope we can read (rare), by prefix. */
const TARGET_PREFIX_SERVICE: Record<string, string> = {
  AWSPriceListService: 'pricing',
  ServiceQuotasV20190624: 'servicequotas',
  secretsmanager: 'secretsmanager',
};

export function recognise(req: http.IncomingMessage, body: Buffer): AwsCall | undefined {
  const url = new URL(req.url ?? '/', 'http://sim.local');
  const scope = scopeOf(req, url);
  const contentType = String(req.headers['content-type'] ?? '');
  const target = req.headers['x-amz-target'];

  if (typeof target === 'string' && target.includes('.')) {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    const action = target.slice(dot + 1);
    let json: Record<string, unknown> = {};
    if (body.length) {
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
      } catch {
        /* a malformed body reaches the service, which says so */
      }
    }
    const signingName = scope?.signingName ?? TARGET_PREFIX_SERVICE[prefix] ?? prefix.toLowerCase();
    const service = serviceName(signingName, undefined);
    return {
      service,
      signingName,
      action,
      region: scope?.region ?? 'us-east-1',
      accessKeyId: scope?.accessKeyId ?? 'anonymous',
      protocol: 'json',
      params: new URLSearchParams(),
      json,
      targetPrefix: prefix,
      key: `${service}:${action}`,
    };
  }

  const params = new URLSearchParams(url.search);
  if (contentType.includes('application/x-www-form-urlencoded') || (req.method === 'POST' && body.length && !contentType)) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
  }
  const action = params.get('Action');
  if (action) {
    const version = params.get('Version') ?? undefined;
    const signingName = scope?.signingName ?? 'unknown';
    const service = serviceName(signingName, version);
    return {
      service,
      signingName,
      action,
      region: scope?.region ?? 'us-east-1',
      accessKeyId: scope?.accessKeyId ?? 'anonymous',
      protocol: signingName === 'ec2' ? 'ec2' : 'query',
      params,
      json: {},
      version,
      key: `${service}:${action}`,
    };
  }

  if (!scope) return undefined;
  // A REST service (S3, Lambda, …): the sim has nothing to add, but counts and can fault it.
  const restAction = `${req.method ?? 'GET'} ${url.pathname}`;
  const restService = serviceName(scope.signingName, undefined);
  return {
    service: restService,
    signingName: scope.signingName,
    action: restAction,
    region: scope.region,
    accessKeyId: scope.accessKeyId,
    protocol: 'rest',
    params,
    json: {},
    key: `${restService}:${restAction}`,
  };
}

const READ_PREFIXES = ['Describe', 'Get', 'List', 'Search', 'Lookup', 'BatchGet', 'Check', 'Validate', 'Preview'];

/** Whether a call can change anything (EC2 DryRun calls cannot). */
export function isMutating(call: AwsCall): boolean {
  if (call.protocol === 'rest') return !call.action.startsWith('GET ') && !call.action.startsWith('HEAD ');
  if (call.params.get('DryRun') === 'true') return false;
  if (call.service === 'pricing') return false;
  return !READ_PREFIXES.some((prefix) => call.action.startsWith(prefix));
}

// ---------------------------------------------------------------------------------------
// Query-protocol parameter helpers (EC2 flattens lists as Name.N, ELB as Name.member.N)

/** Values of a flattened list: `InstanceId.1`, `InstanceId.2`, … (or `Name.member.N`). */
export function listParam(params: URLSearchParams, name: string): string[] {
  const out: Array<[number, string]> = [];
  const direct = new RegExp(`^${name.replace(/\./g, '\\.')}\\.(?:member\\.)?(\\d+)$`);
  for (const [key, value] of params) {
    const m = direct.exec(key);
    if (m) out.push([Number(m[1]), value]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

export interface QueryFilter {
  name: string;
  values: string[];
}

/** EC2 `Filter.N.Name` / `Filter.N.Value.M`. */
export function filtersOf(params: URLSearchParams): QueryFilter[] {
  const byIndex = new Map<number, QueryFilter>();
  const get = (i: number): QueryFilter => {
    let f = byIndex.get(i);
    if (!f) {
      f = { name: '', values: [] };
      byIndex.set(i, f);
    }
    return f;
  };
  const valueIndex = new Map<number, Array<[number, string]>>();
  for (const [key, value] of params) {
    let m = /^Filter\.(\d+)\.Name$/.exec(key);
    if (m) {
      get(Number(m[1])).name = value;
      continue;
    }
    m = /^Filter\.(\d+)\.Value\.(\d+)$/.exec(key);
    if (m) {
      const i = Number(m[1]);
      get(i);
      const list = valueIndex.get(i) ?? [];
      list.push([Number(m[2]), value]);
      valueIndex.set(i, list);
    }
  }
  for (const [i, list] of valueIndex) get(i).values = list.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
}

/** A copy of `params` without the filters `drop` selects, renumbered from 1. */
export function withoutFilters(params: URLSearchParams, drop: (name: string) => boolean): URLSearchParams {
  const kept = filtersOf(params).filter((f) => !drop(f.name));
  const out = new URLSearchParams();
  for (const [key, value] of params) if (!key.startsWith('Filter.')) out.append(key, value);
  kept.forEach((f, i) => {
    out.append(`Filter.${i + 1}.Name`, f.name);
    f.values.forEach((v, j) => out.append(`Filter.${i + 1}.Value.${j + 1}`, v));
  });
  return out;
}

/** Parameters that identify a request's intent, for ClientToken comparison: all but the token. */
export function fingerprint(params: URLSearchParams, ignore: string[] = ['ClientToken']): string {
  return [...params]
    .filter(([k]) => !ignore.includes(k))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}
