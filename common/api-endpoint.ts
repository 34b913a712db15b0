/**
 * The kinds of API endpoint that can front a cluster's control plane: each is one driver in
 * activities/api-endpoint/ (ensure, register, deregister, health, delete).
 */
export type ApiEndpointKind = 'classic-elb' | 'nlb';

/** What a spec asks for (`cloud.apiEndpoint.type`), in the words of the API. */
export type ApiEndpointType = 'nlb' | 'classic';

export const API_ENDPOINT_TYPES: readonly ApiEndpointType[] = ['nlb', 'classic'];

/** The kind that serves each type a spec may ask for. */
const KIND_OF_TYPE: Record<ApiEndpointType, ApiEndpointKind> = { nlb: 'nlb', classic: 'classic-elb' };

/**
 * A cluster's API endpoint as workflows and the status hold it: the kind and its handles.
 * `name` is enough for a classic ELB; a network load balancer's members and health are
 * reached through its target group, so its ARNs travel with it.
 */
export interface ApiEndpointRef {
  kind: ApiEndpointKind;
  /** The load balancer's name. */
  name: string;
  /** What clients connect to, without the port. */
  dnsName?: string;
  /** ELBv2 kinds: the load balancer, its target group (the members) and its listener. */
  loadBalancerArn?: string;
  targetGroupArn?: string;
  listenerArn?: string;
}

/** The type the API gives a new cluster whose spec names none (and writes into its spec). */
export const DEFAULT_API_ENDPOINT_TYPE: ApiEndpointType = 'nlb';

/**
 * The kind anything recorded before endpoints had kinds means (statuses, activity inputs and
 * results), and the kind of a spec stored before `cloud.apiEndpoint` existed: the classic ELB
 * every cluster had then.
 */
export const LEGACY_API_ENDPOINT_KIND: ApiEndpointKind = 'classic-elb';

/**
 * The kind a spec asks for. A spec without `cloud.apiEndpoint` was stored before the field
 * existed (the API writes the default into every new one), so its cluster runs a classic ELB.
 */
export function endpointKindOf(spec: { cloud: { apiEndpoint?: { type: ApiEndpointType } } }): ApiEndpointKind {
  const type = spec.cloud.apiEndpoint?.type;
  return type ? KIND_OF_TYPE[type] : LEGACY_API_ENDPOINT_KIND;
}

/**
 * The endpoint a status names. Clusters created before endpoints had kinds name only their
 * classic load balancer.
 */
export function endpointOf(network: { endpoint?: ApiEndpointRef; loadBalancerName?: string }): ApiEndpointRef | undefined {
  if (network.endpoint) return network.endpoint;
  return network.loadBalancerName ? { kind: LEGACY_API_ENDPOINT_KIND, name: network.loadBalancerName } : undefined;
}

/**
 * The keys (`clusterflow.io/resource`) of a network load balancer's parts besides the load
 * balancer itself (tagged with the endpoint's key): the driver tags them and the plan lists
 * them, both from here.
 */
export function endpointPartKeys(key: string): { targetGroup: string; listener: string } {
  return { targetGroup: `${key}/targets`, listener: `${key}/listener` };
}
