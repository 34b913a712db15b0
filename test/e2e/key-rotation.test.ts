import { Client, Connection } from '@temporalio/client';
import type { ClusterSpec } from '../../common/cluster-spec';
import type { KeyView } from '../../sim/credentials';
import { waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { armHold, releaseHold, waitParked } from '../support/sim-holds';
import { resetSimStats, simStats } from '../support/sim-client';
import { useStack } from '../support/stack';

jest.setTimeout(300000);

const FIRST = { accessKeyId: 'AKIAKEYROTATION00001', secretAccessKey: 'keyRotationFirstSecretLongEnough0001' };
const SECOND = { accessKeyId: 'AKIAKEYROTATION00002', secretAccessKey: 'keyRotationSecondSecretLongEnough002', sessionToken: 'keyRotationSessionToken0002' };
const THIRD = { accessKeyId: 'AKIAKEYROTATION00003', secretAccessKey: 'keyRotationThirdSecretLongEnough0003' };
const SECRETS = [FIRST.secretAccessKey, SECOND.secretAccessKey, SECOND.sessionToken, THIRD.secretAccessKey];

interface Task {
  name: string;
  state: string;
  message?: string;
}

/**
 * Key rotation against the real stack (API and worker are separate processes sharing the
 * store): keys the simulator stops accepting, PATCH /v1/cloud-accounts/:id, and a running
 * cluster that carries on with the new keys.
 */
describe('cloud account key rotation (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 } });
  let api: string;
  let sim: string;
  let token: string;
  let accountId: string;
  let temporal: Client;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` }) });
    const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name: 'rotating', ...FIRST } });
    expect(account.status).toBe(201);
    accountId = account.body.id;
  });

  afterAll(async () => {
    await temporal?.connection.close();
  });

  async function setKey(accessKeyId: string, change: unknown): Promise<KeyView> {
    const response = await fetch(`${sim}/_sim/credentials/${accessKeyId}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(change) });
    if (!response.ok) throw new Error(`sim credentials: ${response.status} ${await response.text()}`);
    return (await response.json()) as KeyView;
  }

  async function key(accessKeyId: string): Promise<KeyView | undefined> {
    const { credentials } = (await (await fetch(`${sim}/_sim/credentials`)).json()) as { credentials: KeyView[] };
    return credentials.find((k) => k.accessKeyId === accessKeyId);
  }

  async function operation(cluster: string, id: string, until: (op: { state: string; tasks: Task[] }) => boolean) {
    const deadline = Date.now() + 240000;
    for (;;) {
      const op = await call(api, 'GET', `/v1/clusters/${cluster}/operations/${id}`, { token });
      if (until(op.body)) return op;
      if (Date.now() > deadline) throw new Error(`operation ${id} never got there: ${op.text}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function rotate(keys: typeof FIRST): Promise<void> {
    const rotated = await call(api, 'PATCH', `/v1/cloud-accounts/${accountId}`, { token, body: keys });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ id: accountId, awsAccountId: '123456789012' });
  }

  it('a create whose keys are rotated while it waits for its node finishes with the new keys', async () => {
    // The node's readiness wait polls with one session for the whole wait: park its first
    // status check, the only AWS call the create has under way then.
    const hold = await armHold(sim, 'ec2:DescribeInstanceStatus');
    const spec: ClusterSpec = {
      name: 'rot',
      profile: { id: 'aws-default' },
      cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: '10.80.0.0/16' } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
        { name: 'workers', role: 'worker', size: 0, instanceType: 'm5.large', azs: ['us-east-1a'] },
      ],
    };
    const created = await call(api, 'POST', '/v1/clusters', { token, body: spec });
    expect(created.status).toBe(202);
    await waitParked(sim, hold, 240000);
    // No other step under way (the bastion may still be launching): nothing else signs a call meanwhile.
    await operation('rot', created.body.operationId, (op) => op.tasks.every((t) => t.name.startsWith('node/') || t.state !== 'Running'));

    await setKey(FIRST.accessKeyId, { status: 'revoked' });
    await rotate(SECOND);
    await releaseHold(sim, hold);

    const status = await waitPhase(api, token, 'rot', ['Running', 'Failed']);
    expect(status.lastError).toBeUndefined();
    expect(status.phase).toBe('Running');
    // Nothing signed with the revoked key reached AWS after the rotation; the new one did the rest.
    expect(await key(FIRST.accessKeyId)).toMatchObject({ status: 'revoked', refused: 0 });
    expect((await key(SECOND.accessKeyId))?.calls).toBeGreaterThan(1);
  });

  it('an operation whose keys AWS refuses fails at once saying to rotate them; after a rotation the next one succeeds', async () => {
    await setKey(SECOND.accessKeyId, { status: 'expired' });
    await resetSimStats(sim);
    const scale = await call(api, 'PATCH', '/v1/clusters/rot/pools/workers', { token, body: { size: 1 } });
    expect(scale.status).toBe(202);
    const failed = await operation('rot', scale.body.operationId, (op) => ['Failed', 'Succeeded', 'Cancelled'].includes(op.state));
    expect(failed.body.state).toBe('Failed');
    const image = failed.body.tasks.find((t: Task) => t.name === 'image');
    expect(image).toMatchObject({ state: 'Failed' });
    expect(image.message).toBe(
      `RequestExpired: AWS refused the keys of cloud account ${accountId} (Request has expired.): they are wrong, expired or revoked; ` +
        `rotate them with PATCH /v1/cloud-accounts/${accountId}, then run the operation again`,
    );
    for (const secret of SECRETS) expect(failed.text).not.toContain(secret);

    // Not retried, by the SDK or by Temporal: one DescribeImages reached AWS, from the activity's first attempt.
    expect((await simStats(sim)).actions['ec2:DescribeImages']).toMatchObject({ calls: 1 });
    const history = await temporal.workflow.getHandle(`cluster/default/rot/${scale.body.operationId}`).fetchHistory();
    const events = history.events ?? [];
    const starts = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    const failures = events.filter((e) => e.activityTaskFailedEventAttributes).map((e) => e.activityTaskFailedEventAttributes!.failure?.applicationFailureInfo);
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.every((attempt) => attempt === 1)).toBe(true);
    expect(failures.length).toBe(starts.length);
    for (const failure of failures) expect(failure).toMatchObject({ type: 'RequestExpired', nonRetryable: true });

    // The cluster is not stuck: new keys, and the same operation goes through.
    await rotate(THIRD);
    const again = await call(api, 'PATCH', '/v1/clusters/rot/pools/workers', { token, body: { size: 1 } });
    expect(again.status).toBe(202);
    const done = await operation('rot', again.body.operationId, (op) => ['Failed', 'Succeeded', 'Cancelled'].includes(op.state));
    expect(done.body.state).toBe('Succeeded');
    const status = await call(api, 'GET', '/v1/clusters/rot', { token });
    expect(status.body.pools.find((p: { name: string }) => p.name === 'workers').nodes).toHaveLength(1);
    expect(await key(SECOND.accessKeyId)).toMatchObject({ status: 'expired' });
    expect((await key(THIRD.accessKeyId))?.calls).toBeGreaterThan(1);
  });
});
