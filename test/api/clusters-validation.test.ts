import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';
import { exampleSpec } from '../unit/fixtures';

/**
 * POST /v1/clusters refuses bad input before anything starts: 400 naming the field, 422 naming
 * the rule (the AWS-backed rules asked of a real moto). Temporal is not needed to refuse.
 */
describe('POST /v1/clusters validation', () => {
  let moto: RunningMoto;
  let api: ApiUnderTest;
  let base: string;
  let token: string;
  let accountId: string;

  beforeAll(async () => {
    moto = await startMoto();
    api = await startApi({ awsEndpoint: moto.url });
    ({ base, token } = api);
    const account = await call(base, 'POST', '/v1/cloud-accounts', {
      token,
      body: { name: 'acct', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    accountId = account.body.id;
  });

  afterAll(async () => {
    await api?.close();
    await moto?.stop();
  });

  function spec(mutate: (s: ReturnType<typeof exampleSpec>) => void = () => undefined) {
    const s = exampleSpec();
    s.cloud.accountId = accountId;
    mutate(s);
    return s;
  }

  async function post(body: unknown) {
    return call(base, 'POST', '/v1/clusters', { token, body });
  }

  /** The create and its dry run, which must refuse alike: a dry run that passes promises a create that does not fail on it. */
  async function postBoth(body: unknown) {
    const [created, dry] = [await post(body), await call(base, 'POST', '/v1/clusters?dryRun=true', { token, body })];
    expect({ status: dry.status, body: dry.body }).toEqual({ status: created.status, body: created.body });
    return created;
  }

  const fields = (r: { body: { details: Array<{ field: string }> } }) => r.body.details.map((d) => d.field);
  const rules = (r: { body: { details: Array<{ rule: string }> } }) => r.body.details.map((d) => d.rule);

  it('400: names malformed fields', async () => {
    const r = await post(
      spec((s) => {
        s.name = 'Not_A_Label';
        s.pools[1].capacity = { type: 'spot', maxPricePercent: 150 };
        (s.cloud.placement as { vpcCidr: string }).vpcCidr = '10.0.0.0';
        s.pools[0].azs = [];
      }),
    );
    expect(r.status).toBe(400);
    expect(fields(r)).toEqual(expect.arrayContaining(['name', 'pools.1.capacity.maxPricePercent', 'cloud.placement.vpcCidr', 'pools.0.azs']));
  });

  it('400: names the nested objects a body leaves out', async () => {
    const { cloud, profile, ...rest } = spec();
    const missing = await post(rest);
    expect(missing.status).toBe(400);
    expect(fields(missing)).toEqual(expect.arrayContaining(['cloud', 'profile']));
    const noPlacement = await post({ ...rest, profile, cloud: { ...cloud, placement: undefined } });
    expect(noPlacement.status).toBe(400);
    expect(fields(noPlacement)).toEqual(['cloud.placement']);
  });

  it('a dynamic placement without vpcCidr gets the default the OpenAPI document states', async () => {
    const doc = (await call(base, 'GET', '/docs-json')).body;
    expect(doc.components.schemas.PlacementDto.properties.vpcCidr.default).toBe('10.0.0.0/16');
    expect(doc.components.schemas.PlacementDto.required ?? []).not.toContain('vpcCidr');
    // The spec rules see the default: a pod CIDR inside 10.0.0.0/16 overlaps the VPC it names.
    const r = await postBoth(
      spec((s) => {
        s.cloud.placement = { type: 'dynamic' } as typeof s.cloud.placement;
        s.profile.overrides = { kubernetes: { podCIDR: '10.0.128.0/17' } };
      }),
    );
    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([{ field: 'profile.overrides.kubernetes.podCIDR', rule: 'pod-cidr-outside-vpc', message: 'the pod CIDR 10.0.128.0/17 overlaps the VPC CIDR 10.0.0.0/16' }]);
    // A value given is still judged: the default fills a gap, it does not loosen the rule.
    const bad = await post(spec((s) => ((s.cloud.placement as { vpcCidr?: unknown }).vpcCidr = null)));
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['cloud.placement.vpcCidr']);
  });

  it('422: a VPC CIDR must be a network', async () => {
    const r = await post(spec((s) => ((s.cloud.placement as { vpcCidr: string }).vpcCidr = '10.0.0.1/16')));
    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([expect.objectContaining({ field: 'cloud.placement.vpcCidr', rule: 'cidr' })]);
  });

  it('400: refuses reserved tag keys', async () => {
    const r = await post(spec((s) => (s.tags = { 'clusterflow.io/cluster': 'default/other' })));
    expect(r.status).toBe(400);
    expect(rules(r)).toEqual(['reserved-tag']);
  });

  it('400: refuses, create and dry run alike, the tags AWS would refuse halfway through a create', async () => {
    const tooMany = await postBoth(spec((s) => (s.tags = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`tag${i}`, 'v'])))));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details).toEqual([expect.objectContaining({ field: 'tags', rule: 'tag-count', message: expect.stringContaining('at most 45') })]);

    const cases: Array<[Record<string, string>, string, string]> = [
      [{ 'R&D': 'x' }, 'tags.R&D', 'tag-characters'],
      [{ team: 'a,b' }, 'tags.team', 'tag-characters'],
      [{ 'AWS:team': 'x' }, 'tags.AWS:team', 'aws-prefix'],
      [{ Name: 'mine' }, 'tags.Name', 'reserved-tag'],
      [{ 'kubernetes.io/cluster/demo': 'shared' }, 'tags.kubernetes.io/cluster/demo', 'reserved-tag'],
      [{ Team: 'a', team: 'b' }, 'tags.team', 'unique-tag-keys'],
      [{ ['k'.repeat(128)]: 'v' }, `tags.${'k'.repeat(128)}`, 'tag-key-length'],
    ];
    for (const [tags, field, rule] of cases) {
      const r = await postBoth(spec((s) => (s.tags = tags)));
      expect([tags, r.status, r.body.details]).toEqual([tags, 400, [expect.objectContaining({ field, rule })]]);
    }
  });

  it('422: refuses, create and dry run alike, bastion SSH CIDRs that are not networks', async () => {
    const r = await postBoth(spec((s) => (s.cloud.bastionSshCidrs = ['203.0.113.0/24', '300.1.1.1/40', '198.51.100.7/24'])));
    expect(r.status).toBe(422);
    expect(fields(r)).toEqual(['cloud.bastionSshCidrs.1', 'cloud.bastionSshCidrs.2']);
    expect(rules(r)).toEqual(['cidr', 'cidr']);
    expect(r.body.message).toContain('198.51.100.0/24');
    const tooMany = await postBoth(spec((s) => (s.cloud.bastionSshCidrs = Array.from({ length: 61 }, (_, i) => `10.0.${i}.0/24`))));
    expect(tooMany.status).toBe(400);
    expect(fields(tooMany)).toEqual(['cloud.bastionSshCidrs']);
  });

  it('400: refuses, create and dry run alike, an API endpoint type that is neither nlb nor classic, or not an object', async () => {
    const alb = await postBoth(spec((s) => (s.cloud.apiEndpoint = { type: 'alb' as 'nlb' })));
    expect(alb.status).toBe(400);
    expect(alb.body.details).toEqual([expect.objectContaining({ field: 'cloud.apiEndpoint.type', message: expect.stringContaining('must be "nlb" (a network load balancer) or "classic" (a classic ELB)') })]);
    const missing = await postBoth(spec((s) => (s.cloud.apiEndpoint = {} as { type: 'nlb' })));
    expect(missing.status).toBe(400);
    expect(fields(missing)).toEqual(['cloud.apiEndpoint.type']);
    const text = await postBoth(spec((s) => (s.cloud.apiEndpoint = 'nlb' as unknown as { type: 'nlb' })));
    expect(text.status).toBe(400);
    expect([...new Set(fields(text))]).toEqual(['cloud.apiEndpoint']);
    expect(text.body.message).toContain('apiEndpoint must be an object, e.g. {"type": "nlb"}');
  });

  it('400: a body nested past 32 levels is refused by rule, never a 500', async () => {
    const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
    for (const path of ['/v1/clusters', '/v1/clusters?dryRun=true', '/v1/cloud-accounts']) {
      const r = await call(base, 'POST', path, { token, raw: deep(20000) });
      expect([path, r.status, r.body]).toEqual([
        path,
        400,
        { statusCode: 400, error: 'Bad Request', message: expect.stringContaining('32 levels'), details: [expect.objectContaining({ field: 'body', rule: 'max-depth' })] },
      ]);
    }
    // Just inside the limit it is an ordinary, if strange, body: refused for its fields, not its depth.
    const inside = await call(base, 'POST', '/v1/clusters', { token, raw: `{"tags":${deep(31)}}` });
    expect(inside.status).toBe(400);
    expect(rules(inside)).not.toContain('max-depth');
    const overrides = await postBoth(spec((s) => (s.profile.overrides = JSON.parse(deep(40)))));
    expect(overrides.status).toBe(400);
    expect(rules(overrides)).toEqual(['max-depth']);
  });

  it('413: a body over 1 MB gets the contract’s error shape', async () => {
    const r = await call(base, 'POST', '/v1/clusters', { token, raw: JSON.stringify({ ...spec(), description: 'x'.repeat(1024 * 1024) }) });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: expect.stringContaining('larger than 1 MB'),
      details: [expect.objectContaining({ field: 'body', rule: 'max-size' })],
    });
  });

  it('odd bodies get a 4xx in the contract’s shape, never a 500', async () => {
    const json = (mutate: (s: ReturnType<typeof exampleSpec>) => void) => JSON.stringify(spec(mutate));
    const odd: string[] = [
      json((s) => (s.tags = { toString: 'y', hasOwnProperty: 'z', valueOf: '1', R: '&' })),
      json((s) => (s.tags = ['team'] as unknown as Record<string, string>)),
      json((s) => (s.cloud.bastionSshCidrs = [1, null] as unknown as string[])),
      json((s) => (s.profile.overrides = { kubernetes: { podCIDR: 7, serviceCIDR: '10.96.0.1/12' } })),
      '[]',
      '"spec"',
      'null',
    ];
    for (const raw of odd) {
      const r = await call(base, 'POST', '/v1/clusters?dryRun=true', { token, raw });
      expect([raw, r.status >= 400 && r.status < 500, Object.keys(r.body ?? {}).sort()]).toEqual([raw, true, ['details', 'error', 'message', 'statusCode']]);
    }
    // Keys that name Object.prototype's members are ordinary tags: only the bad one is named.
    expect(fields(await post(JSON.parse(odd[0])))).toEqual(['tags.R']);
  });

  it('400: "__proto__" and "constructor" keys, which would vanish or crash the mapping, are refused wherever they are', async () => {
    for (const [key, value] of [['__proto__', '"x"'], ['__proto__', '{"team":"x"}'], ['constructor', '"x"'], ['constructor', '{}']]) {
      const raw = JSON.stringify(spec()).replace('"tags":{', `"tags":{"${key}":${value},`);
      // JSON.parse keeps "__proto__" as an own key, and JSON.stringify writes it back out.
      const r = await postBoth(JSON.parse(raw));
      expect([key, value, r.status, r.body.details]).toEqual([key, value, 400, [expect.objectContaining({ field: 'body', rule: 'no-prototype-keys', message: expect.stringContaining(`tags has the key "${key}"`) })]]);
    }
    const nested = await call(base, 'POST', '/v1/cloud-accounts', { token, raw: '{"name":"a","x":[{"constructor":1}]}' });
    expect([nested.status, nested.body.details]).toEqual([400, [expect.objectContaining({ rule: 'no-prototype-keys', message: expect.stringContaining('x.0 has the key') })]]);
  });

  it('415: a charset the JSON parser does not read gets the contract’s shape', async () => {
    const response = await fetch(`${base}/v1/clusters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=latin1' },
      body: JSON.stringify(spec()),
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: expect.stringContaining('charset'),
      details: [expect.objectContaining({ field: 'body', rule: 'charset.unsupported' })],
    });
  });

  it('422: control-plane size must be 1, 3 or 5', async () => {
    const r = await post(spec((s) => (s.pools[0].size = 2)));
    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([expect.objectContaining({ field: 'pools.0.size', rule: 'control-plane-size' })]);
  });

  it('422: AZs must belong to the region and exist', async () => {
    const wrongRegion = await post(spec((s) => (s.pools[1].azs = ['us-west-2a'])));
    expect(wrongRegion.status).toBe(422);
    expect(rules(wrongRegion)).toEqual(['az-in-region']);
    const missing = await post(spec((s) => (s.pools[1].azs = ['us-east-1z'])));
    expect(missing.status).toBe(422);
    expect(missing.body.details).toEqual([expect.objectContaining({ field: 'pools.1.azs.0', rule: 'az-exists' })]);
  });

  it('422: instance types must be offered in every AZ of their pool', async () => {
    const r = await post(spec((s) => (s.pools[1].instanceType = 'zz9.large')));
    expect(r.status).toBe(422);
    expect(r.body.details).toEqual([expect.objectContaining({ field: 'pools.1.instanceType', rule: 'instance-type-offered' })]);
    expect(r.body.message).toContain('zz9.large is not offered in us-east-1a, us-east-1b');
  });

  it('422: the account and profile must exist and the overrides fit the profile', async () => {
    expect(rules(await post(spec((s) => (s.cloud.accountId = 'nope'))))).toEqual(['account-exists']);
    expect(rules(await post(spec((s) => (s.profile.id = 'nope'))))).toEqual(['profile-exists']);
    expect(rules(await post(spec((s) => (s.profile.overrides = { cilium: { x: 1 } })))) ).toEqual(['pack-in-profile']);
  });

  it('422: static placement needs subnets for every AZ used', async () => {
    const r = await post(
      spec((s) => (s.cloud.placement = { type: 'static', vpcId: 'vpc-0123456789abcdef0', subnets: [{ az: 'us-east-1a', publicSubnetId: 'subnet-0123456789abcdef0', privateSubnetId: 'subnet-0123456789abcdef1' }] })),
    );
    expect(r.status).toBe(422);
    expect(rules(r)).toEqual(['static-subnets-per-az', 'static-subnets-per-az']);
  });
});
