import type { Credentials } from './credentials';
import { AwsError } from './errors';
import { callMoto } from './proxy';
import { child, items, parseXml, rootOf, text, type XmlNode } from './xml';

/**
 * The simulator's own calls to moto: to look things up (subnets, addresses, instances)
 * and to change moto's real state when a delayed transition completes (interrupt a spot
 * instance, release a deleted NAT gateway's Elastic IP). These calls bypass throttling,
 * faults and stats: they are the cloud's own bookkeeping, not a client's requests.
 */

const VERSIONS: Record<string, string> = {
  ec2: '2016-11-15',
  elb: '2012-06-01',
  elbv2: '2015-12-01',
  sts: '2011-06-15',
  iam: '2010-05-08',
};

const SIGNING: Record<string, string> = { elb: 'elasticloadbalancing', elbv2: 'elasticloadbalancing' };

export interface Caller {
  region: string;
  accessKeyId: string;
}

export class Moto {
  readonly url: URL;
  private readonly accounts = new Map<string, Promise<string>>();
  private readonly zones = new Map<string, Promise<string[]>>();

  constructor(
    url: string | URL,
    /** The accounts the simulator assigns keys to (credentials.ts): its own look-ups land where the caller's calls do. */
    private readonly credentials: Pick<Credentials, 'accountOf' | 'motoHeaders'> = { accountOf: () => undefined, motoHeaders: (_, headers) => headers },
  ) {
    this.url = new URL(url);
  }

  private headers(caller: Caller, signingName: string, extra: Record<string, string>): Record<string, string> {
    return this.credentials.motoHeaders(caller.accessKeyId, {
      authorization: `AWS4-HMAC-SHA256 Credential=${caller.accessKeyId}/20200101/${caller.region}/${signingName}/aws4_request, SignedHeaders=host, Signature=0`,
      host: this.url.host,
      ...extra,
    });
  }

  /** A query-protocol call; answers the response's root element, throws AwsError on an error answer. */
  async query(service: string, caller: Caller, action: string, params: Record<string, string> | URLSearchParams = {}): Promise<XmlNode> {
    const form = new URLSearchParams(params instanceof URLSearchParams ? params : Object.entries(params));
    form.set('Action', action);
    form.set('Version', VERSIONS[service] ?? '');
    const signingName = SIGNING[service] ?? service;
    const answer = await callMoto(
      this.url,
      { method: 'POST', path: '/', headers: this.headers(caller, signingName, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }) },
      Buffer.from(form.toString()),
    );
    const doc = parseXml(answer.body.toString('utf8'));
    if (answer.status >= 300) {
      const root = rootOf(doc);
      const error = child(child(root, 'Errors'), 'Error') ?? child(root, 'Error');
      throw new AwsError(text(error, 'Code') ?? 'InternalError', text(error, 'Message') ?? `moto answered ${answer.status}`, answer.status);
    }
    return rootOf(doc);
  }

  /** Every page of an EC2 Describe call: the entries of `setName` across NextToken pages. */
  async ec2All(caller: Caller, action: string, setName: string, params: Record<string, string> = {}): Promise<XmlNode[]> {
    const out: XmlNode[] = [];
    let token: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const root = await this.query('ec2', caller, action, token ? { ...params, NextToken: token } : params);
      out.push(...items(root, setName));
      token = text(root, 'nextToken') || undefined;
      if (!token) break;
    }
    return out;
  }

  /** A JSON-protocol call. */
  async json(signingName: string, target: string, caller: Caller, body: unknown): Promise<Record<string, unknown>> {
    const answer = await callMoto(
      this.url,
      {
        method: 'POST',
        path: '/',
        headers: this.headers(caller, signingName, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }),
      },
      Buffer.from(JSON.stringify(body)),
    );
    const parsed = (answer.body.length ? JSON.parse(answer.body.toString('utf8')) : {}) as Record<string, unknown>;
    if (answer.status >= 300) {
      const type = String(parsed.__type ?? 'InternalFailure').split('#').pop() as string;
      throw new AwsError(type, String(parsed.message ?? parsed.Message ?? ''), answer.status);
    }
    return parsed;
  }

  /** The account of an access key: the simulator's mapping, else moto's (cached until reset). */
  accountOf(accessKeyId: string): Promise<string> {
    const assigned = this.credentials.accountOf(accessKeyId);
    if (assigned) return Promise.resolve(assigned);
    let known = this.accounts.get(accessKeyId);
    if (!known) {
      known = this.query('sts', { region: 'us-east-1', accessKeyId }, 'GetCallerIdentity')
        .then((root) => text(child(root, 'GetCallerIdentityResult'), 'Account') ?? '123456789012')
        .catch(() => '123456789012');
      this.accounts.set(accessKeyId, known);
    }
    return known;
  }

  /** The Availability Zone names of a region, as moto knows them (cached). */
  zonesOf(region: string): Promise<string[]> {
    let known = this.zones.get(region);
    if (!known) {
      known = this.query('ec2', { region, accessKeyId: 'sim' }, 'DescribeAvailabilityZones').then((root) =>
        items(root, 'availabilityZoneInfo')
          .map((zone) => text(zone, 'zoneName') ?? '')
          .filter(Boolean)
          .sort(),
      );
      known.catch(() => this.zones.delete(region));
      this.zones.set(region, known);
    }
    return known;
  }

  async reset(): Promise<void> {
    const answer = await callMoto(this.url, { method: 'POST', path: '/moto-api/reset', headers: { host: this.url.host } }, Buffer.alloc(0));
    if (answer.status >= 300) throw new Error(`moto reset answered ${answer.status}`);
    this.accounts.clear();
  }

  async healthy(): Promise<boolean> {
    try {
      const answer = await callMoto(this.url, { method: 'GET', path: '/moto-api/', headers: { host: this.url.host } }, Buffer.alloc(0));
      return answer.status < 300;
    } catch {
      return false;
    }
  }
}
