import { INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApiApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { freePort } from '../../common/ports';
import { call } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';
import { exampleSpec } from '../unit/fixtures';

/**
 * POST /v1/clusters refuses bad input before anything starts: 400 naming the field, 422 naming
 * the rule (the AWS-backed rules asked of a real moto). Temporal is not needed to refuse.
 */
describe('POST /v1/clusters validation', () => {
  let moto: RunningMoto;
  let app: INestApplication;
  let base: string;
  let token: string;
  let dataDir: string;
  let accountId: string;

  beforeAll(async () => {
    moto = await startMoto();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-cv-'));
    const config = loadConfig({ CLUSTERFLOW_DATA_DIR: dataDir, AWS_ENDPOINT_URL: moto.url, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    ({ app, token } = await createApiApp(config, ['error']));
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    const account = await call(base, 'POST', '/v1/cloud-accounts', {
      token,
      body: { name: 'acct', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    accountId = account.body.id;
  });

  afterAll(async () => {
    await app?.close();
    await moto?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
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
    expect(rules(await post(spec((s) => (s.profile.overrides = { cilium: { x: 1 } })))) ).toEqual(['profile-resolves']);
  });

  it('422: static placement needs subnets for every AZ used', async () => {
    const r = await post(
      spec((s) => (s.cloud.placement = { type: 'static', vpcId: 'vpc-0123456789abcdef0', subnets: [{ az: 'us-east-1a', publicSubnetId: 'subnet-0123456789abcdef0', privateSubnetId: 'subnet-0123456789abcdef1' }] })),
    );
    expect(r.status).toBe(422);
    expect(rules(r)).toEqual(['static-subnets-per-az', 'static-subnets-per-az']);
  });
});
