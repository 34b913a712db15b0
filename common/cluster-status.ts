import type { ProfileChange } from './day2-rules';
import type { ApiEndpointRef } from './api-endpoint';
import type { Capacity, PoolSpec, RootVolume, Taint } from './cluster-spec';

/** What the API reports about a cluster and its operations (docs/api.md#cluster-status, docs/api.md#operations-and-tasks). Plain data. */
export type ClusterPhase = 'Provisioning' | 'Running' | 'Updating' | 'Deleting' | 'Deleted' | 'Failed';

export type OperationType = 'create' | 'delete' | 'scale' | 'add-pool' | 'remove-pool' | 'reconfigure' | 'repair' | 'upgrade' | 'change-profile';
export type OperationState = 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';
export type TaskState = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped';

export interface Task {
  name: string;
  state: TaskState;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
}

export interface Progress {
  completed: number;
  total: number;
  tasks: Task[];
}

export interface OperationRecord {
  id: string;
  type: OperationType;
  state: OperationState;
  /** The child workflow that runs it, for its `progress` query and the Web UI. */
  workflowId: string;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** Why the operation runs, when Clusterflow started it itself (self-repair). */
  reason?: string;
  /** A failed or cancelled create: the child workflow that removed what it had made. */
  rollbackWorkflowId?: string;
  /** A pool operation: the pool as the request wanted it (what a retry asks again). */
  pool?: PoolSpec;
  /** The failed or cancelled operation this one runs again. */
  retryOf?: string;
  /** An upgrade: the Kubernetes version it asked for (what a retry asks again). */
  kubernetesVersion?: string;
  /** A profile change: the profile reference and the profile resolved from it (what a retry asks again). */
  profileChange?: ProfileChange;
}

export interface NodeStatus {
  key: string;
  instanceId: string;
  az: string;
  instanceType: string;
  lifecycle: 'on-demand' | 'spot';
  state: string;
  privateIp?: string;
  generation?: number;
  /**
   * The Kubernetes version the node booted with, as its launch's profile had it. Nodes
   * launched before this was recorded, and nodes read back from AWS after a failure that the
   * status did not know, have none.
   */
  kubernetesVersion?: string;
  /**
   * What the node was launched with (workflows/launch-config.ts), recorded when an operation
   * launched it with settings the cluster's record did not have yet; otherwise absent.
   */
  launchDigest?: string;
}

export interface PoolStatus {
  name: string;
  role: 'control-plane' | 'worker';
  desired: number;
  instanceType: string;
  /** As the spec has it: `{type: 'on-demand'}` or `{type: 'spot', maxPricePercent}`. */
  capacity: Capacity;
  /** What the pool's nodes register with and boot from, as the spec has it (absent when the spec has none). */
  labels?: Record<string, string>;
  taints?: Taint[];
  rootVolume?: RootVolume;
  nodes: NodeStatus[];
  /** Nodes not running yet and why (spot pools wait for their price). */
  waiting?: { count: number; reason: string };
  /** Spot pools: what the pool's bidding watcher sees (prices, bid, why it waits). */
  spot?: SpotPoolStatus;
}

/** A spot pool's bidding watcher, as its `spotStatus` query answers. */
export interface SpotPoolStatus {
  desired: number;
  /** Live nodes (pending or running). */
  running: number;
  waiting: number;
  reason?: string;
  /** USD per hour. */
  onDemandPrice?: number;
  /** MaxPrice of every launch: maxPricePercent × on-demand, 4 decimals. */
  bid?: string;
  /** Newest spot price per AZ of the pool (USD per hour). */
  spotPrices: Record<string, number>;
  /** Prices could not be read: the last known ones are used. */
  degraded?: boolean;
  lastError?: string;
  /** Nodes seen gone since the previous look (spot interruptions), in all. */
  interruptions: number;
  lastInterruption?: string;
  nodes: NodeStatus[];
  checkedAt?: string;
  /** When the next tick is due (ticks of a cluster's watchers are spread over the interval by cluster). */
  nextCheckAt?: string;
  /** The instance type its launches use now (the pool's, or the one a reconfigure rolls to). */
  instanceType?: string;
  /** A rolling reconfigure under way (docs/architecture.md#spot-reconfigure). */
  roll?: SpotRoll;
}

/** A spot pool's rolling reconfigure, as its watcher carries it out and reports it to the operation. */
export interface SpotRoll {
  operationId: string;
  from: string;
  to: string;
  /** One per node of the old type: `replace node/<pool>/<i>`. */
  tasks: Task[];
  /** Why the roll does not go on now (the new type's spot price above the bid, the pool not complete). */
  waiting?: string;
  /** Every node runs the new type. */
  done?: boolean;
}

export interface NetworkStatus {
  placement: 'dynamic' | 'static';
  vpcId?: string;
  internetGatewayId?: string;
  subnets: Array<{ az: string; publicSubnetId?: string; privateSubnetId?: string }>;
  natGateways: Array<{ az: string; natGatewayId: string; publicIp?: string }>;
  securityGroups: Record<string, string>;
  bastion?: { instanceId: string; publicIp?: string; az: string };
  /** `<dns name>:6443`: what nodes and kubectl connect to. */
  apiEndpoint?: string;
  /** What fronts the control plane (common/api-endpoint.ts). */
  endpoint?: ApiEndpointRef;
  /** A classic load balancer's name (also in `endpoint`, kept for readers of the first status shape); absent for other kinds. */
  loadBalancerName?: string;
  joinSecretName?: string;
  /** Readable by control-plane nodes only; absent for clusters created before it was split out. */
  controlPlaneSecretName?: string;
  /** The worker nodes' instance profile (every node's, for clusters created before the split). */
  nodeInstanceProfile?: string;
  controlPlaneInstanceProfile?: string;
}

export interface ClusterStatus {
  name: string;
  project: string;
  region: string;
  phase: ClusterPhase;
  network: NetworkStatus;
  pools: PoolStatus[];
  currentOperation?: { id: string; type: OperationType };
  lastError?: string;
  /** When the cluster was asked for (its entity's first run): older operation workflows of the same name belong to an earlier cluster. */
  createdAt?: string;
}

/**
 * Statuses recorded before capacity was a union said it in words ("on-demand", "spot (max
 * 60% of on-demand)"): read either way.
 */
export function statusCapacity(capacity: Capacity | string | undefined): Capacity {
  if (typeof capacity === 'object' && capacity !== null) return capacity;
  const spot = /^spot \(max (\d+)%/.exec(capacity ?? '');
  return spot ? { type: 'spot', maxPricePercent: Number(spot[1]) } : { type: 'on-demand' };
}
