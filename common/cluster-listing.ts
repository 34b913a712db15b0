import type { Capacity, ClusterSpec } from './cluster-spec';
import { statusCapacity, type ClusterPhase, type ClusterStatus, type OperationType } from './cluster-status';
import { operationId } from './workflow-ids';

/**
 * What `GET /v1/clusters` answers per cluster (docs/api.md#listing-clusters): enough to see a
 * project's clusters at a glance, kept by the entity in its visibility memo so the list is one
 * visibility call, not one query per cluster. Safe to import from workflow code.
 */
export interface ClusterListing {
  name: string;
  project: string;
  region: string;
  phase: ClusterPhase;
  createdAt?: string;
  pools: PoolListing[];
  /** The operation running now; its progress is `GET /v1/clusters/:name/operations/:id`. */
  currentOperation?: { id: string; type: OperationType };
  lastError?: string;
}

export interface PoolListing {
  name: string;
  role: 'control-plane' | 'worker';
  instanceType: string;
  capacity: Capacity;
  desired: number;
  /**
   * On-demand pools: the nodes the entity records. Absent for spot pools, whose nodes are
   * their watcher's (the cluster's own status merges its view).
   */
  nodes?: number;
}

/** The memo field that holds the listing. */
export const LISTING_MEMO = 'listing';

/** The listing of a cluster as its entity's status has it. */
export function clusterListing(status: ClusterStatus): ClusterListing {
  return {
    name: status.name,
    project: status.project,
    region: status.region,
    phase: status.phase,
    createdAt: status.createdAt,
    pools: status.pools.map((pool) => {
      const capacity = statusCapacity(pool.capacity);
      const listed: PoolListing = { name: pool.name, role: pool.role, instanceType: pool.instanceType, capacity, desired: pool.desired };
      if (capacity.type !== 'spot') listed.nodes = pool.nodes.length;
      return listed;
    }),
    ...(status.currentOperation ? { currentOperation: { ...status.currentOperation } } : {}),
    ...(status.lastError ? { lastError: status.lastError } : {}),
  };
}

/** The listing the API gives a cluster it has just asked for, before its entity has run. */
export function acceptedListing(project: string, spec: ClusterSpec, createdAt: string): ClusterListing {
  return {
    name: spec.name,
    project,
    region: spec.cloud.region,
    phase: 'Provisioning',
    createdAt,
    pools: spec.pools.map((pool) => ({
      name: pool.name,
      role: pool.role,
      instanceType: pool.instanceType,
      capacity: pool.capacity ?? { type: 'on-demand' },
      desired: pool.size,
      ...(pool.capacity?.type === 'spot' ? {} : { nodes: 0 }),
    })),
    currentOperation: { id: operationId(1, 'create'), type: 'create' },
  };
}
