import type { AwsSession } from '../../cloud/aws-session';
import type { Owner } from '../../common/tags';
import type { ApiEndpointInfo, ApiEndpointKind, ApiEndpointRef, EnsureApiEndpointInput } from '../types';

/** Whether one instance serves behind the endpoint, and what to say while it does not. */
export interface EndpointHealth {
  ready: boolean;
  /** Shown as the wait's status (and in its deadline message) while not ready. */
  status: string;
}

/**
 * One kind of API endpoint: what fronts the control plane's API servers (port 6443) for
 * nodes and kubectl. The activities in activities/load-balancer.ts resolve a cluster's
 * endpoint (common/api-endpoint.ts) to its driver in ./index.ts and call it with the
 * activity's session, so adding a kind is one new file here and one line in the registry.
 *
 * Every method may be retried after a crash at any point, so each is idempotent: ensure
 * finds what an earlier attempt made (and refuses one that is not this cluster's key), the
 * member calls act only on what is missing or present, and gone counts as deleted.
 */
export interface ApiEndpointDriver {
  readonly kind: ApiEndpointKind;
  /** Makes (or finds and corrects) the cluster's endpoint for `input.key`; its handles and DNS name. */
  ensure(session: AwsSession, input: EnsureApiEndpointInput): Promise<ApiEndpointInfo>;
  /** Puts the instances behind the endpoint `ensure` answered; a missing endpoint fails for good. */
  register(session: AwsSession, endpoint: ApiEndpointRef, instanceIds: string[]): Promise<void>;
  /** Takes the instances out; an endpoint or membership already gone counts as done. */
  deregister(session: AwsSession, endpoint: ApiEndpointRef, instanceIds: string[]): Promise<void>;
  /** Whether the endpoint would send traffic to the instance now (one look, no waiting). */
  health(session: AwsSession, endpoint: ApiEndpointRef, instanceId: string): Promise<EndpointHealth>;
  /** Deletes the owner's endpoint for `key`; never one the cluster did not make. */
  delete(session: AwsSession, owner: Owner, key: string): Promise<void>;
}
