import { ApplicationFailure } from '@temporalio/common';
import { endpointOf, LEGACY_API_ENDPOINT_KIND } from '../common/api-endpoint';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { API_ENDPOINT_DRIVERS, ApiEndpointDrivers, endpointDriver } from './api-endpoint';
import type { ApiEndpointInfo, ApiEndpointKind, ApiEndpointMembers, ApiEndpointRef, EnsureApiEndpointInput, Keyed } from './types';

// The classic ELB's naming is still imported from here by its tests and by earlier callers.
export { loadBalancerName } from './api-endpoint';

export interface DeleteApiEndpointInput extends Keyed {
  /** Absent in calls scheduled before endpoints had kinds: a classic ELB. */
  kind?: ApiEndpointKind;
}

function membersEndpoint(input: ApiEndpointMembers): ApiEndpointRef {
  const endpoint = endpointOf(input);
  if (!endpoint) throw ApplicationFailure.nonRetryable('the request names no API endpoint', 'ApiEndpointMissing');
  return endpoint;
}

/**
 * The cluster's API endpoint, whatever its kind (activities/api-endpoint/). The activities
 * keep the names they had when the endpoint could only be a classic load balancer: recorded
 * histories schedule them by these names, and their old inputs (a bare `loadBalancerName`,
 * no `kind`) still mean a classic ELB.
 */
export function loadBalancerActivities(deps: AwsDeps, drivers: ApiEndpointDrivers = API_ENDPOINT_DRIVERS) {
  return {
    async ensureLoadBalancer(input: EnsureApiEndpointInput): Promise<ApiEndpointInfo> {
      const driver = endpointDriver(input.kind ?? LEGACY_API_ENDPOINT_KIND, drivers);
      return withSession(deps, input.scope, (session) => driver.ensure(session, input));
    },

    async deleteLoadBalancer(input: DeleteApiEndpointInput): Promise<void> {
      const driver = endpointDriver(input.kind ?? LEGACY_API_ENDPOINT_KIND, drivers);
      await withSession(deps, input.scope, (session) => driver.delete(session, input.scope.owner, input.key));
    },

    async registerWithLoadBalancer(input: ApiEndpointMembers): Promise<void> {
      if (input.instanceIds.length === 0) return;
      const endpoint = membersEndpoint(input);
      const driver = endpointDriver(endpoint.kind, drivers);
      await withSession(deps, input.scope, (session) => driver.register(session, endpoint, input.instanceIds));
    },

    async deregisterFromLoadBalancer(input: ApiEndpointMembers): Promise<void> {
      if (input.instanceIds.length === 0) return;
      const endpoint = membersEndpoint(input);
      const driver = endpointDriver(endpoint.kind, drivers);
      await withSession(deps, input.scope, (session) => driver.deregister(session, endpoint, input.instanceIds));
    },
  };
}
