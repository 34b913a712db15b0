import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AwsDeps, AwsSession, credentialsFor } from '../../cloud/aws-session';
import { SqliteStore } from '../../store/sqlite-store';
import { resolveSecretBox } from '../../common/data-dir';
import type { KeyView } from '../../sim/credentials';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';
import { startHarness, type Harness } from '../sim/harness';

/**
 * PATCH /v1/cloud-accounts/:id — key rotation. The API in-process on a real port; STS is the
 * simulator's (in front of a real moto), which can revoke a key or put it in another AWS
 * account. The worker's side is played by a second connection to the same store file, as the
 * worker process holds one: what it reads after a rotation is what a running cluster signs with.
 */
describe('cloud account key rotation', () => {
  let sim: Harness;
  let api: ApiUnderTest;
  let base: string;
  let token: string;
  let dataDir: string;
  let worker: AwsDeps;
  let id: string;

  const OLD = { accessKeyId: 'AKIAROTATEKEYOLD0001', secretAccessKey: 'old/Secret+Key/for/rotation/0000001' };
  const NEW = { accessKeyId: 'AKIAROTATEKEYNEW0002', secretAccessKey: 'new/Secret+Key/for/rotation/0000001', sessionToken: 'FwoGZXIvYXdzEBYaDnewSessionToken0001' };
  const NEWER = { accessKeyId: 'AKIAROTATEKEYNEW0003', secretAccessKey: 'newer/Secret+Key/for/rotation/00001' };
  const FOREIGN = { accessKeyId: 'AKIAOTHERACCOUNTKEY1', secretAccessKey: 'foreign/Secret+Key/for/rotation/001' };

  beforeAll(async () => {
    sim = await startHarness();
    api = await startApi({ awsEndpoint: sim.url });
    ({ base, token, dataDir } = api);
    const { config } = api;
    worker = { config, store: await SqliteStore.open(dataDir), secretBox: resolveSecretBox(config) };
    const created = await call(base, 'POST', '/v1/cloud-accounts', { token, body: { name: 'rotating', ...OLD } });
    expect(created.status).toBe(201);
    expect(created.body.awsAccountId).toBe('123456789012');
    id = created.body.id;
  });

  afterAll(async () => {
    await worker?.store.close();
    await api?.close();
    await sim?.stop();
  });

  function revoke(accessKeyId: string): Promise<KeyView> {
    return sim.control<KeyView>('PUT', `/_sim/credentials/${accessKeyId}`, { status: 'revoked' });
  }

  async function key(accessKeyId: string): Promise<KeyView | undefined> {
    return (await sim.control<{ credentials: KeyView[] }>('GET', '/_sim/credentials')).credentials.find((k) => k.accessKeyId === accessKeyId);
  }

  it('rotates to keys of the same AWS account: 200 with the new key masked and no secret; a session opened before signs its next call with them', async () => {
    // A long activity's session, opened with the old keys and still in use after the rotation.
    const session = new AwsSession(worker, { project: 'default', accountId: id }, 'us-east-1');
    try {
      await expect(session.ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
      await revoke(OLD.accessKeyId);
      await expect(session.ec2.send(new DescribeVpcsCommand({}))).rejects.toMatchObject({ name: 'AuthFailure' });

      const rotated = await call(base, 'PATCH', `/v1/cloud-accounts/${id}`, { token, body: NEW });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ id, name: 'rotating', accessKeyId: 'AKIA************0002', awsAccountId: '123456789012' });
      for (const secret of [NEW.secretAccessKey, NEW.sessionToken, OLD.secretAccessKey, NEW.accessKeyId]) expect(rotated.text).not.toContain(secret);
      expect((await call(base, 'GET', `/v1/cloud-accounts/${id}`, { token })).body.accessKeyId).toBe('AKIA************0002');

      await expect(session.ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
      expect(await key(OLD.accessKeyId)).toMatchObject({ refused: 1 });
      // STS's check of the new keys, then the session's call.
      expect(await key(NEW.accessKeyId)).toMatchObject({ status: 'active', calls: 2, refused: 0 });
      expect(await credentialsFor(worker, { project: 'default', accountId: id })).toEqual(NEW);
    } finally {
      session.close();
    }
  });

  it('replaces the whole sealed secret: a session token left out is gone, and no secret is in the store file in clear', async () => {
    const rotated = await call(base, 'PATCH', `/v1/cloud-accounts/${id}`, { token, body: NEWER });
    expect(rotated.status).toBe(200);
    expect(await credentialsFor(worker, { project: 'default', accountId: id })).toEqual({ ...NEWER, sessionToken: undefined });
    const files = fs.readdirSync(dataDir).filter((f) => f.startsWith('clusterflow.sqlite'));
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(dataDir, file));
      for (const secret of [OLD.secretAccessKey, NEW.secretAccessKey, NEW.sessionToken, NEWER.secretAccessKey]) expect(bytes.includes(secret)).toBe(false);
    }
  });

  it('refuses keys of another AWS account with 422 naming both account ids, and keeps the current keys', async () => {
    await sim.control('PUT', `/_sim/credentials/${FOREIGN.accessKeyId}`, { account: '210987654321' });
    const refused = await call(base, 'PATCH', `/v1/cloud-accounts/${id}`, { token, body: FOREIGN });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/^accessKeyId: these keys belong to AWS account 210987654321, not to AWS account 123456789012/);
    expect(refused.body.details).toEqual([expect.objectContaining({ field: 'accessKeyId', rule: 'same-aws-account' })]);
    expect(refused.text).not.toContain(FOREIGN.secretAccessKey);
    expect(await credentialsFor(worker, { project: 'default', accountId: id })).toEqual({ ...NEWER, sessionToken: undefined });
  });

  it('refuses keys STS rejects with 400 naming secretAccessKey, and keeps the current keys', async () => {
    const dead = { accessKeyId: 'AKIAROTATEDEADKEY001', secretAccessKey: 'dead/Secret+Key/for/rotation/00001' };
    await revoke(dead.accessKeyId);
    const refused = await call(base, 'PATCH', `/v1/cloud-accounts/${id}`, { token, body: dead });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([expect.objectContaining({ field: 'secretAccessKey', rule: 'sts', message: expect.stringMatching(/^InvalidClientTokenId: /) })]);
    expect((await credentialsFor(worker, { project: 'default', accountId: id })).accessKeyId).toBe(NEWER.accessKeyId);
  });

  it('answers 404 for an unknown account, without asking STS', async () => {
    const before = await key('AKIAROTATEUNKNOWN001');
    const r = await call(base, 'PATCH', '/v1/cloud-accounts/no-such-account', { token, body: { accessKeyId: 'AKIAROTATEUNKNOWN001', secretAccessKey: 'unknown/Secret+Key/00000001' } });
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('cloud account no-such-account not found');
    expect(before).toBeUndefined();
    expect(await key('AKIAROTATEUNKNOWN001')).toBeUndefined();
  });

  it('answers 400 naming each bad field and rule, and a malformed body', async () => {
    const r = await call(base, 'PATCH', `/v1/cloud-accounts/${id}`, { token, body: { accessKeyId: 'lower-case', sessionToken: '', name: 'renamed' } });
    expect(r.status).toBe(400);
    expect(r.body.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'accessKeyId', rule: 'matches' }),
        expect.objectContaining({ field: 'secretAccessKey', rule: 'isLength' }),
        expect.objectContaining({ field: 'sessionToken', rule: 'isLength' }),
        expect.objectContaining({ field: 'name', rule: 'whitelistValidation', message: 'name is not a known field' }),
      ]),
    );
    const malformed = await call(base, 'PATCH', `/v1/cloud-accounts/${id}`, { token, raw: '{"accessKeyId":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/^body: /);
    expect((await credentialsFor(worker, { project: 'default', accountId: id })).accessKeyId).toBe(NEWER.accessKeyId);
  });

  it('documents the route in the OpenAPI document, with each answer', async () => {
    const doc = (await call(base, 'GET', '/docs-json')).body;
    const patch = doc.paths['/v1/cloud-accounts/{id}'].patch;
    expect(patch.summary).toBe('Rotate the keys');
    expect(Object.keys(patch.responses).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '422', '502']);
    const schema = doc.components.schemas[patch.requestBody.content['application/json'].schema.$ref.split('/').pop()];
    expect(Object.keys(schema.properties).sort()).toEqual(['accessKeyId', 'secretAccessKey', 'sessionToken']);
    expect(schema.required.sort()).toEqual(['accessKeyId', 'secretAccessKey']);
  });
});
