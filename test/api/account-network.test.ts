import { CreateKeyPairCommand, CreateSubnetCommand, CreateTagsCommand, CreateVpcCommand, EC2Client, ModifySubnetAttributeCommand } from '@aws-sdk/client-ec2';
import { drawsOf, shapeOf } from '../../cloud/rate-limiter';
import { SqliteRateLimiter } from '../../cloud/sqlite-rate-limiter';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';

const KEYS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/**
 * GET /v1/cloud-accounts/:id/regions/:region/network: what the console's wizard picks a static
 * placement and a key pair from, read from a real moto with the account's keys, within the
 * request's project.
 */
describe('account network reads', () => {
  let moto: RunningMoto;
  let api: ApiUnderTest;
  let accountId: string;
  let ec2: EC2Client;

  beforeAll(async () => {
    moto = await startMoto();
    api = await startApi({ awsEndpoint: moto.url });
    const account = await call(api.base, 'POST', '/v1/cloud-accounts', { token: api.token, body: { name: 'acct', ...KEYS } });
    accountId = account.body.id;
    ec2 = new EC2Client({ region: 'eu-west-1', endpoint: moto.url, credentials: KEYS });
  });

  afterAll(async () => {
    ec2?.destroy();
    await api?.close();
    await moto?.stop();
  });

  it('answers the AZs, VPCs, subnets (public or not) and key pairs of the region', async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }))).Vpc!.VpcId!;
    await ec2.send(new CreateTagsCommand({ Resources: [vpc], Tags: [{ Key: 'Name', Value: 'shared' }] }));
    const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.77.0.0/24', AvailabilityZone: 'eu-west-1b' }))).Subnet!.SubnetId!;
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: pub, MapPublicIpOnLaunch: { Value: true } }));
    const priv = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.77.1.0/24', AvailabilityZone: 'eu-west-1b' }))).Subnet!.SubnetId!;
    await ec2.send(new CreateKeyPairCommand({ KeyName: 'ops-eu' }));

    const r = await call(api.base, 'GET', `/v1/cloud-accounts/${accountId}/regions/eu-west-1/network`, { token: api.token });
    expect(r.status).toBe(200);
    expect(r.body.region).toBe('eu-west-1');
    expect(r.body.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(r.body.vpcs).toContainEqual({ vpcId: vpc, cidrBlock: '10.77.0.0/16', name: 'shared', isDefault: false });
    const ours = r.body.subnets.filter((s: { vpcId: string }) => s.vpcId === vpc);
    expect(ours).toEqual([
      { subnetId: expect.any(String), vpcId: vpc, availabilityZone: 'eu-west-1b', cidrBlock: expect.any(String), public: expect.any(Boolean) },
      { subnetId: expect.any(String), vpcId: vpc, availabilityZone: 'eu-west-1b', cidrBlock: expect.any(String), public: expect.any(Boolean) },
    ]);
    const byId = Object.fromEntries(ours.map((s: { subnetId: string; public: boolean }) => [s.subnetId, s.public]));
    expect(byId).toEqual({ [pub]: true, [priv]: false });
    expect(r.body.keyPairs).toContain('ops-eu');
    // Another region is another answer: the key pair lives in eu-west-1 only.
    const us = await call(api.base, 'GET', `/v1/cloud-accounts/${accountId}/regions/us-east-1/network`, { token: api.token });
    expect(us.body.keyPairs).not.toContain('ops-eu');
    expect(us.body.availabilityZones).toContain('us-east-1a');
  });

  it('refuses a bad region (400 naming it), an unknown account and another project’s (404), no token (401)', async () => {
    const bad = await call(api.base, 'GET', `/v1/cloud-accounts/${accountId}/regions/Mars-1/network`, { token: api.token });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([{ field: 'region', rule: 'matches', message: 'region must be an AWS region name, e.g. us-east-1' }]);
    expect((await call(api.base, 'GET', '/v1/cloud-accounts/acct-nope/regions/us-east-1/network', { token: api.token })).status).toBe(404);
    expect((await call(api.base, 'POST', '/v1/projects', { token: api.token, body: { name: 'other' } })).status).toBe(201);
    const foreign = await call(api.base, 'GET', `/v1/cloud-accounts/${accountId}/regions/us-east-1/network`, { token: api.token, headers: { 'x-clusterflow-project': 'other' } });
    expect(foreign.status).toBe(404);
    expect((await call(api.base, 'GET', `/v1/cloud-accounts/${accountId}/regions/us-east-1/network`)).status).toBe(401);
  });

  it('draws from the EC2 request buckets the workers keep to: with the account’s spent in a region, it answers 503 there, and still reads another', async () => {
    // A worker of the same data dir has spent the account's DescribeVpcs tokens in ap-south-1 far ahead.
    const account = (await call(api.base, 'GET', `/v1/cloud-accounts/${accountId}`, { token: api.token })).body;
    expect(account.awsAccountId).toMatch(/^\d{12}$/);
    const worker = new SqliteRateLimiter(api.dataDir);
    const spend = drawsOf(account.awsAccountId, 'ap-south-1', shapeOf('DescribeVpcs', { MaxResults: 1000 }), api.config.awsRateShare).map((draw) => ({ ...draw, tokens: 10_000 }));
    expect(await worker.reserve(spend, Infinity)).toBeGreaterThan(60_000);
    worker.close();

    const spent = await call(api.base, 'GET', `/v1/cloud-accounts/${accountId}/regions/ap-south-1/network`, { token: api.token });
    expect({ status: spent.status, message: spent.body.message }).toEqual({
      status: 503,
      message:
        "could not read the account's network in ap-south-1 from AWS: the account's EC2 request rate in ap-south-1 is spent for the moment (Clusterflow keeps to its share of AWS's request buckets), so the call was not sent; try again in a few seconds",
    });
    expect((await call(api.base, 'GET', `/v1/cloud-accounts/${accountId}/regions/eu-west-1/network`, { token: api.token })).status).toBe(200);
  });
});
