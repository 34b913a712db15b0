// Types only: the console talks to the API over HTTP, so no server code is bundled into it.
export type { ClusterPhase, ClusterStatus, NodeStatus, PoolStatus, Task, NetworkStatus, SpotPoolStatus } from '../../common/cluster-status';
export type { ClusterListing } from '../../common/cluster-listing';
export type { ClusterSpec, PoolSpec, Capacity, StaticSubnets } from '../../common/cluster-spec';

export interface SessionView {
  role: 'admin' | 'operator' | 'viewer';
  project: string;
  temporalUi: { url: string; namespace: string };
}

export interface RetryingCall {
  task?: string;
  activity: string;
  attempt: number;
  lastError: string;
  nextAttemptAt?: string;
}

/** GET /v1/clusters/:name/operations/:id (docs/api.md#operations-and-tasks). */
export interface OperationView {
  id: string;
  type: string;
  state: 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';
  startedAt: string;
  finishedAt?: string;
  progress?: { completed: number; total: number };
  tasks?: import('../../common/cluster-status').Task[];
  error?: string;
  reason?: string;
  retrying?: RetryingCall[];
  retryOf?: string;
  rollback?: { progress?: { completed: number; total: number }; tasks?: import('../../common/cluster-status').Task[] };
}

export interface AccountView {
  id: string;
  name: string;
  accessKeyId: string;
  awsAccountId?: string;
  createdAt: string;
  clusters: string[];
}

export interface Pack {
  name: string;
  layer: string;
  version: string;
  values: Record<string, unknown>;
}

export interface ProfileView {
  id: string;
  name: string;
  description?: string;
  packs: Pack[];
  builtIn: boolean;
  createdAt: string;
}
