/**
 * The kinds of API endpoint that can front a cluster's control plane: each is one driver in
 * activities/api-endpoint/ (ensure, register, deregister, health, delete).
 */
export type ApiEndpointKind = 'classic-elb';

/** A cluster's API endpoint as workflows and the status hold it: the kind and its handle. */
export interface ApiEndpointRef {
  kind: ApiEndpointKind;
  /** The driver's handle (a classic ELB's name). */
  name: string;
}

/**
 * The kind a cluster gets, and the kind anything recorded before endpoints had kinds means
 * (statuses, activity inputs, results).
 */
export const DEFAULT_API_ENDPOINT_KIND: ApiEndpointKind = 'classic-elb';

/**
 * The endpoint a status names. Clusters created before endpoints had kinds name only their
 * classic load balancer.
 */
export function endpointOf(network: { endpoint?: ApiEndpointRef; loadBalancerName?: string }): ApiEndpointRef | undefined {
  if (network.endpoint) return network.endpoint;
  return network.loadBalancerName ? { kind: DEFAULT_API_ENDPOINT_KIND, name: network.loadBalancerName } : undefined;
}
