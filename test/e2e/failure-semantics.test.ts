import { Client, Connection } from '@temporalio/client';
import type { ClusterSpec } from '../../common/cluster-spec';
import { eventuallyListed, NOTHING, waitOperation, waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { counts, inventory, isLive, putSimConfig } from '../support/sim-client';
import { useStack } from '../support/stack';
import { stackDataConverter } from '../support/stack-codec';

jest.setTimeout(600000);

const KEYS = { accessKeyId: 'AKIAFAILSEMANTICS001', secretAccessKey: 'failureSemanticsSecretKeyLongEnough01' };
const UNSUPPORTED = { code: 'Unsupported', message: 'The requested configuration is currently not supported. Please check the documentation for supported configurations.' };

/**
 * What a failed or cancelled operation leaves, judged by the simulator's inventory (IAM and
 * secrets included): a create rolls back unless asked to keep, a scale-up takes back what it
 * launched, and a retry converges on what exists.
 */
describe('failure semantics (end to end)', () => {
  // The entity keeps two operations in its log: older ones are read from Temporal's visibility.
  const stack = useStack({ sim: { delayScale: 0.2 }, env: { CLUSTERFLOW_OPERATION_LOG_LIMIT: '2' } });
  let api: string;
  let sim: string;
  let token: string;
  let accountId: string;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    const account = await call(api, 'POST', '/v1/cloud-accounts', { token, body: { name: 'failing', ...KEYS } });
    expect(account.status).toBe(201);
    accountId = account.body.id;
  });

  function smallSpec(name: string, vpcCidr: string): ClusterSpec {
    return {
      name,
      tags: { team: 'sre' },
      profile: { id: 'aws-default' },
      cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
        { name: 'workers', role: 'worker', size: 1, instanceType: 'm5.large', azs: ['us-east-1a'] },
      ],
    };
  }

  const owned = (name: string) => inventory(sim, `clusterflow.io/cluster=default/${name}`);
  const ONE_AZ = { vpcs: 1, subnets: 2, internetGateways: 1, natGateways: 1, addresses: 1, routeTables: 2, securityGroups: 4, instances: 3, loadBalancers: 1, targetGroups: 1, listeners: 1, secrets: 2, roles: 2, instanceProfiles: 2 };

  const operation = (name: string, id: string, states?: string[]) => waitOperation(api, token, name, id, states);

  it('rolls a failed create back completely, keeps the account in use, and a retry builds the cluster', async () => {
    await putSimConfig(sim, { faults: { 'ec2:RunInstances': { ...UNSUPPORTED, count: 1 } } });
    expect((await call(api, 'POST', '/v1/clusters', { token, body: smallSpec('rollback', '10.81.0.0/16') })).status).toBe(202);
    const create = await operation('rollback', 'op-1-create');
    expect(create.state).toBe('Failed');
    expect(create.error).toBe(`Unsupported: ${UNSUPPORTED.message}; rolled back: everything it had created was removed`);
    expect(create.rollback.progress.completed).toBe(create.rollback.progress.total);
    expect((await call(api, 'GET', '/v1/clusters/rollback', { token })).body.phase).toBe('Failed');
    expect(counts(await owned('rollback'))).toEqual(NOTHING);
    // The failed cluster still exists: its account cannot go from under it.
    expect((await call(api, 'DELETE', `/v1/cloud-accounts/${accountId}`, { token })).status).toBe(409);

    const retry = await call(api, 'POST', '/v1/clusters/rollback/operations/op-1-create/retry', { token });
    expect(retry).toMatchObject({ status: 202, body: { operationId: 'op-2-create' } });
    expect(await operation('rollback', 'op-2-create')).toMatchObject({ state: 'Succeeded', retryOf: 'op-1-create' });
    expect(counts(await owned('rollback'))).toEqual(ONE_AZ);
    expect((await call(api, 'POST', '/v1/clusters/rollback/operations/op-2-create/retry', { token })).status).toBe(409);
    expect((await call(api, 'POST', '/v1/clusters/rollback/operations/op-1-create/retry', { token })).status).toBe(422);
  });

  it('takes back what a failed scale-up launched, and its retry converges', async () => {
    const before = (await owned('rollback')).instances.filter(isLive).map((i) => i.id).sort();
    await putSimConfig(sim, { faults: { 'ec2:RunInstances': { ...UNSUPPORTED, count: 1 } } });
    const scale = await call(api, 'PATCH', '/v1/clusters/rollback/pools/workers', { token, body: { size: 3 } });
    expect(scale.status).toBe(202);
    const failed = await operation('rollback', scale.body.operationId);
    expect(failed.state).toBe('Failed');
    expect(failed.error).toMatch(new RegExp(`^Unsupported: .*; (what it had launched was terminated \\(node/workers/[12] i-\\w+\\)|it had launched no instance)$`));
    expect((await owned('rollback')).instances.filter(isLive).map((i) => i.id).sort()).toEqual(before);
    const status = (await call(api, 'GET', '/v1/clusters/rollback', { token })).body;
    expect(status.phase).toBe('Running');
    expect(status.pools.find((p: { name: string }) => p.name === 'workers').nodes).toHaveLength(1);

    const retry = await call(api, 'POST', `/v1/clusters/rollback/operations/${scale.body.operationId}/retry`, { token });
    expect(retry.status).toBe(202);
    expect(await operation('rollback', retry.body.operationId)).toMatchObject({ state: 'Succeeded', retryOf: scale.body.operationId });
    const workers = (await owned('rollback')).instances.filter((i) => isLive(i) && i.tags?.['clusterflow.io/resource']?.startsWith('node/workers/'));
    expect(workers.map((w) => w.tags!['clusterflow.io/resource']).sort()).toEqual(['node/workers/0', 'node/workers/1', 'node/workers/2']);

    // Four operations, two of them past the entity's log: all readable, page by page.
    const expected = [
      ['op-1-create', 'Failed'],
      ['op-2-create', 'Succeeded'],
      ['op-3-scale', 'Failed'],
      ['op-4-scale', 'Succeeded'],
    ];
    const listed = async () => (await call(api, 'GET', '/v1/clusters/rollback/operations', { token })).body as Array<{ id: string; state: string; error?: string }>;
    await eventuallyListed(async () => (await listed()).map((o) => `${o.id}:${o.state}`), expected.map(([id, state]) => `${id}:${state}`));
    expect((await listed())[0].error).toContain('Unsupported');
    const seen: string[][] = [];
    let next: string | undefined = '/v1/clusters/rollback/operations?limit=1';
    while (next) {
      const page = await call(api, 'GET', next, { token });
      expect(page.status).toBe(200);
      expect(page.body).toHaveLength(1);
      seen.unshift([page.body[0].id, page.body[0].state]);
      next = /<([^>]+)>; rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
    }
    expect(seen).toEqual(expected);
    expect(await call(api, 'GET', '/v1/clusters/rollback/operations?limit=0', { token })).toMatchObject({ status: 400, body: { details: [{ field: 'limit' }] } });
    expect(await call(api, 'GET', '/v1/clusters/rollback/operations?before=yesterday', { token })).toMatchObject({ status: 400, body: { details: [{ field: 'before' }] } });

    expect((await call(api, 'DELETE', '/v1/clusters/rollback', { token })).status).toBe(202);
    expect((await waitPhase(api, token, 'rollback', ['Deleted', 'Failed'])).phase).toBe('Deleted');
    expect(counts(await owned('rollback'))).toEqual(NOTHING);
  });

  it('keeps what a failed create made when asked to; a DELETE then removes it all', async () => {
    await putSimConfig(sim, { faults: { 'ec2:RunInstances': { ...UNSUPPORTED, count: 1 } } });
    expect((await call(api, 'POST', '/v1/clusters?keepOnFailure=true', { token, body: smallSpec('kept', '10.82.0.0/16') })).status).toBe(202);
    const create = await operation('kept', 'op-1-create');
    expect(create).toMatchObject({ state: 'Failed', error: `Unsupported: ${UNSUPPORTED.message}; what it created is kept (keepOnFailure): DELETE the cluster to remove it` });
    expect(create.rollback).toBeUndefined();
    const kept = counts(await owned('kept'));
    expect(kept).toMatchObject({ vpcs: 1, subnets: 2, natGateways: 1, loadBalancers: 1, targetGroups: 1, listeners: 1, secrets: 2, roles: 2 });
    expect((await call(api, 'DELETE', '/v1/clusters/kept', { token })).status).toBe(202);
    expect((await waitPhase(api, token, 'kept', ['Deleted', 'Failed'])).phase).toBe('Deleted');
    expect(counts(await owned('kept'))).toEqual(NOTHING);
  });

  it('waits for a CreateVpc that AWS answers after 45 s instead of sending it again: one VPC', async () => {
    await putSimConfig(sim, { latency: { 'ec2:CreateVpc': 45_000 } });
    try {
      expect((await call(api, 'POST', '/v1/clusters', { token, body: smallSpec('slowvpc', '10.84.0.0/16') })).status).toBe(202);
      expect(await operation('slowvpc', 'op-1-create')).toMatchObject({ state: 'Succeeded' });
    } finally {
      await putSimConfig(sim, { latency: { 'ec2:CreateVpc': null } });
    }
    // The step's first attempt waited for AWS's answer: none was started while its call ran
    // (the only way a second CreateVpc could be sent).
    const temporal = new Client({ connection: await Connection.connect({ address: stack.running.env.TEMPORAL_ADDRESS! }), dataConverter: stackDataConverter(stack) });
    try {
      const { events } = await temporal.workflow.getHandle('cluster/default/slowvpc/op-1-create').fetchHistory();
      const scheduled = (events ?? []).find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'ensureVpc');
      const started = (events ?? []).find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId));
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    } finally {
      await temporal.connection.close();
    }
    expect(counts(await owned('slowvpc'))).toEqual(ONE_AZ);
    const vpcs = (await inventory(sim)).vpcs.filter((v) => v.cidrBlock === '10.84.0.0/16');
    expect(vpcs).toHaveLength(1);
    expect((await call(api, 'DELETE', '/v1/clusters/slowvpc', { token })).status).toBe(202);
    expect((await waitPhase(api, token, 'slowvpc', ['Deleted', 'Failed'])).phase).toBe('Deleted');
    expect(counts(await owned('slowvpc'))).toEqual(NOTHING);
  });

  it('rolls back a create cancelled once its NAT gateway exists', async () => {
    const { delays } = (await (await fetch(`${sim}/_sim/config`)).json()) as { delays: Record<string, number> };
    // The NAT gateway stays pending until the cancel: the create cannot finish before it.
    await putSimConfig(sim, { delays: { natGatewayPending: 3_600_000 } });
    try {
      expect((await call(api, 'POST', '/v1/clusters', { token, body: smallSpec('cancelled', '10.83.0.0/16') })).status).toBe(202);
      const deadline = Date.now() + 120000;
      while ((await owned('cancelled')).natGateways.length === 0) {
        if (Date.now() > deadline) throw new Error('no NAT gateway was created');
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await call(api, 'POST', '/v1/clusters/cancelled/operations/op-1-create/cancel', { token })).status).toBe(202);
    } finally {
      await putSimConfig(sim, { delays: { natGatewayPending: delays.natGatewayPending } });
    }
    const create = await operation('cancelled', 'op-1-create', ['Cancelled', 'Failed', 'Succeeded']);
    expect(create).toMatchObject({ state: 'Cancelled', error: 'cancelled on request; rolled back: everything it had created was removed' });
    expect(counts(await owned('cancelled'))).toEqual(NOTHING);
    expect((await call(api, 'DELETE', '/v1/clusters/cancelled', { token })).status).toBe(202);
    expect((await waitPhase(api, token, 'cancelled', ['Deleted', 'Failed'])).phase).toBe('Deleted');
    expect((await call(api, 'DELETE', `/v1/cloud-accounts/${accountId}`, { token })).status).toBe(204);
  });
});
