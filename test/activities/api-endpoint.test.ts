import type { AwsDeps } from '../../cloud/aws-session';
import { API_ENDPOINT_DRIVERS, ApiEndpointDriver, ApiEndpointDrivers, endpointDriver } from '../../activities/api-endpoint';
import { classicElb } from '../../activities/api-endpoint/classic-elb';
import { networkLb } from '../../activities/api-endpoint/network-lb';
import { loadBalancerActivities } from '../../activities/load-balancer';
import type { ApiEndpointKind, Scope } from '../../activities/types';
import type { CloudAccountRecord } from '../../store/store';

/**
 * The endpoint activities only resolve the endpoint and hand over to its kind's driver: fake
 * drivers record what reaches them. No AWS: a session looks its account up in the store (one
 * that has it, here) and makes its clients on first use, and the fakes use none.
 */
describe('API endpoint registry', () => {
  const scope: Scope = { accountId: 'acct', region: 'us-east-1', owner: { cluster: 'default/demo', clusterName: 'demo', extraTags: {} } };
  const account: CloudAccountRecord = { id: 'acct', project: 'default', name: 'acct', accessKeyId: 'AKIA', sealedSecret: 'sealed', createdAt: '2026-01-01T00:00:00.000Z' };
  const deps = { store: { getCloudAccount: async (project: string, id: string) => (project === account.project && id === account.id ? account : undefined) } } as unknown as AwsDeps;
  // A second kind the union does not have yet: what a new driver file would add.
  const OTHER = 'other-kind' as ApiEndpointKind;

  function fake(kind: ApiEndpointKind, calls: string[]): ApiEndpointDriver {
    return {
      kind,
      ensure: async (_session, input) => {
        calls.push(`${kind} ensure ${input.key}`);
        return { kind, name: `${kind}-name`, dnsName: `${kind}.example` };
      },
      register: async (_session, endpoint, ids) => void calls.push(`${kind} register ${endpoint.name} ${ids.join(',')}`),
      deregister: async (_session, endpoint, ids) => void calls.push(`${kind} deregister ${endpoint.name} ${ids.join(',')}`),
      health: async (_session, endpoint, id) => (calls.push(`${kind} health ${endpoint.name} ${id}`), { ready: true, status: 'ok' }),
      delete: async (_session, owner, key) => void calls.push(`${kind} delete ${owner.cluster} ${key}`),
    };
  }

  function withFakes() {
    const calls: string[] = [];
    const drivers = Object.fromEntries([fake('classic-elb', calls), fake(OTHER, calls)].map((d) => [d.kind, d])) as ApiEndpointDrivers;
    return { calls, activities: loadBalancerActivities(deps, drivers) };
  }

  it('dispatches each call to the driver of the endpoint’s kind', async () => {
    const { calls, activities } = withFakes();
    const info = await activities.ensureLoadBalancer({ scope, key: 'lb/api', kind: OTHER, subnetIds: ['s'], securityGroupIds: ['g'], port: 6443 });
    expect(info).toEqual({ kind: OTHER, name: `${OTHER}-name`, dnsName: `${OTHER}.example` });
    await activities.registerWithLoadBalancer({ scope, endpoint: { kind: OTHER, name: 'x' }, instanceIds: ['i-1'] });
    await activities.deregisterFromLoadBalancer({ scope, endpoint: { kind: 'classic-elb', name: 'y' }, instanceIds: ['i-2'] });
    await activities.deleteLoadBalancer({ scope, key: 'lb/api', kind: OTHER });
    expect(calls).toEqual([`${OTHER} ensure lb/api`, `${OTHER} register x i-1`, 'classic-elb deregister y i-2', `${OTHER} delete default/demo lb/api`]);
  });

  it('takes inputs of the old shape as a classic ELB', async () => {
    const { calls, activities } = withFakes();
    const info = await activities.ensureLoadBalancer({ scope, key: 'lb/api', subnetIds: ['s'], securityGroupIds: ['g'], port: 6443 });
    expect(info.kind).toBe('classic-elb');
    await activities.registerWithLoadBalancer({ scope, loadBalancerName: 'demo-api-1234', instanceIds: ['i-1'] });
    await activities.deregisterFromLoadBalancer({ scope, loadBalancerName: 'demo-api-1234', instanceIds: ['i-1'] });
    await activities.deleteLoadBalancer({ scope, key: 'lb/api' });
    expect(calls).toEqual([
      'classic-elb ensure lb/api',
      'classic-elb register demo-api-1234 i-1',
      'classic-elb deregister demo-api-1234 i-1',
      'classic-elb delete default/demo lb/api',
    ]);
  });

  it('asks no driver for an empty member list, and refuses an unknown kind or no endpoint for good', async () => {
    const { calls, activities } = withFakes();
    await activities.registerWithLoadBalancer({ scope, endpoint: { kind: OTHER, name: 'x' }, instanceIds: [] });
    expect(calls).toEqual([]);
    await expect(activities.registerWithLoadBalancer({ scope, instanceIds: ['i-1'] })).rejects.toMatchObject({ type: 'ApiEndpointMissing', nonRetryable: true });
    expect(() => endpointDriver('alb' as ApiEndpointKind)).toThrow(expect.objectContaining({ type: 'UnknownApiEndpointKind', nonRetryable: true }));
  });

  it('registers the classic ELB and the network load balancer as the drivers of their kinds', () => {
    expect(endpointDriver('classic-elb')).toBe(classicElb);
    expect(endpointDriver('nlb')).toBe(networkLb);
    for (const [kind, driver] of Object.entries(API_ENDPOINT_DRIVERS)) expect(driver.kind).toBe(kind);
  });
});
