import * as net from 'node:net';
import { freePort } from '../../common/ports';
import { ApiUnderTest, startApi } from '../support/api-app';
import { call } from '../support/http';
import { RunningMoto, startMoto } from '../support/moto';

/**
 * A cluster's use of its cloud account is recorded before its entity is started, so the
 * account cannot be deleted while the start is under way; a start that fails gives it back.
 * Temporal here is a TCP port that accepts and never answers, until the test closes it.
 */
describe('cloud account usage around a cluster start', () => {
  let moto: RunningMoto;
  let api: ApiUnderTest;
  let base: string;
  let token: string;
  let silentTemporal: net.Server;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    moto = await startMoto();
    silentTemporal = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const temporalPort = await freePort();
    await new Promise<void>((resolve) => silentTemporal.listen(temporalPort, '127.0.0.1', resolve));
    api = await startApi({ awsEndpoint: moto.url, temporalAddress: `127.0.0.1:${temporalPort}` });
    ({ base, token } = api);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    silentTemporal?.close();
    await api?.close();
    await moto?.stop();
  });

  it('holds the account while the start is under way, and releases it when the start fails', async () => {
    const account = await call(base, 'POST', '/v1/cloud-accounts', {
      token,
      body: { name: 'usage', accessKeyId: 'AKIAUSAGEBEFORESTART', secretAccessKey: 'usageBeforeStartSecretKeyLongEnough01' },
    });
    expect(account).toMatchObject({ status: 201, body: { clusters: [] } });
    const id = account.body.id as string;
    const spec = {
      name: 'usage',
      profile: { id: 'aws-default' },
      cloud: { accountId: id, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.0.0.0/16' } },
      pools: [{ name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] }],
    };
    const creating = call(base, 'POST', '/v1/clusters', { token, body: spec });

    // The start is stuck on the silent Temporal: the claim must already be there.
    for (let seen = false; !seen; ) {
      const now = await call(base, 'GET', `/v1/cloud-accounts/${id}`, { token });
      seen = JSON.stringify(now.body.clusters) === JSON.stringify(['usage']);
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    expect(await call(base, 'DELETE', `/v1/cloud-accounts/${id}`, { token })).toMatchObject({ status: 409, body: { details: { clusters: ['usage'] } } });

    // Temporal goes away: the start fails, and the claim with it.
    silentTemporal.close();
    for (const socket of sockets) socket.destroy();
    expect((await creating).status).toBeGreaterThanOrEqual(500);
    expect((await call(base, 'GET', `/v1/cloud-accounts/${id}`, { token })).body.clusters).toEqual([]);
    expect((await call(base, 'DELETE', `/v1/cloud-accounts/${id}`, { token })).status).toBe(204);
  });
});
