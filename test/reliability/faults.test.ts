import { call } from '../support/http';
import { createAccount, NOTHING, THREE_AZ_INVENTORY, threeAzSpec, waitPhase } from '../support/clusters';
import { counts, inventory, resetSimStats, simStats } from '../support/sim-client';
import { useStack } from '../support/stack';

/**
 * AWS on a bad day: EC2's throttling buckets shrunk so a cluster's burst meets
 * RequestLimitExceeded, 10% of all calls failing with InternalError, and some RunInstances
 * and CreateNatGateway responses lost after AWS acted on them. Create and delete must still
 * converge to exactly the right inventory.
 */
jest.setTimeout(900000);

describe('reliability: throttling and injected faults', () => {
  const stack = useStack({
    sim: {
      delayScale: 0.2,
      throttling: { enabled: true, capacityScale: 0.1, rateScale: 0.5 },
      faults: {
        '*': { code: 'InternalError', rate: 0.1, httpStatus: 500, message: 'We encountered an internal error. Please try again.' },
        'ec2:RunInstances': { code: 'InternalError', rate: 0.3, httpStatus: 500, phase: 'after' },
        'ec2:CreateNatGateway': { code: 'InternalError', rate: 0.3, httpStatus: 500, phase: 'after' },
      },
    },
  });
  let api: string;
  let sim: string;
  let token: string;
  let accountId: string;

  beforeAll(async () => {
    ({ api, sim, token } = stack);
    // The account's own STS check may meet a fault too; the SDK retries it.
    accountId = await createAccount(api, token, 'faulty', { accessKeyId: 'AKIAFAULTTEST0000001', secretAccessKey: 'faultTestSecretKeyThatIsLongEnough01' });
    await resetSimStats(sim);
  });

  it('create and delete converge, and the faults really happened', async () => {
    const created = await call(api, 'POST', '/v1/clusters', { token, body: threeAzSpec('stormy', accountId) });
    expect(created.status).toBe(202);
    const status = await waitPhase(api, token, 'stormy', ['Running', 'Failed'], 600000);
    expect(status.lastError).toBeUndefined();
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/stormy'))).toEqual(THREE_AZ_INVENTORY);

    expect((await call(api, 'DELETE', '/v1/clusters/stormy', { token })).status).toBe(202);
    expect((await waitPhase(api, token, 'stormy', ['Deleted', 'Failed'], 600000)).phase).toBe('Deleted');
    expect(counts(await inventory(sim, 'clusterflow.io/cluster=default/stormy'))).toEqual(NOTHING);

    const stats = await simStats(sim);
    const sum = (field: 'throttled' | 'faulted') => Object.values(stats.actions).reduce((n, a) => n + ((a as unknown as Record<string, number>)[field] ?? 0), 0);
    expect(sum('faulted')).toBeGreaterThan(0);
    expect(sum('throttled')).toBeGreaterThan(0);
  });
});
