import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ClusterPhase, ClusterStatus, NodeStatus, OperationRecord, OperationType } from '../common/cluster-status';
import type { ClusterSpec, PoolSpec } from '../common/cluster-spec';
import { checkAddPool, checkReconfigure, checkRemovePool, checkScale, RuleViolation } from '../common/day2-rules';
import type { ResolvedProfile } from '../common/profile';
import { SEARCH_ATTRIBUTE_KEYS } from '../common/search-attributes';
import { aws } from './activities';
import { ClusterBuild, createCluster, poolStatus } from './create-cluster';
import { deleteCluster } from './delete-cluster';
import { addPoolUpdate, cancelOperationUpdate, deleteClusterUpdate, operationsQuery, reconfigurePoolUpdate, removePoolUpdate, scalePoolUpdate, specQuery, statusQuery } from './messages';
import { OperationInput, scopeOf } from './operation';
import { addPool, PoolOperationInput, reconfigurePool, removePool, RepairInput, repairNodes, scalePool } from './pool-operations';
import { isSpot } from './plan';
import { resizeSignal, spotWatcher, spotWatcherId } from './spot-watcher';
import { readableError } from './tasks';

/** A request accepted and waiting for the entity's loop: the type, and the spec it leads to. */
interface Request {
  type: OperationType;
  /** The pool the request is about, as it is to become (absent for create/delete). */
  pool?: PoolSpec;
  /** Self-repair: the nodes found gone, and why. */
  repair?: { lost: Record<string, NodeStatus[]>; reason: string };
}

export interface ClusterEntityInput {
  project: string;
  spec: ClusterSpec;
  profile: ResolvedProfile;
  /** How often the entity checks that every node still runs (self-repair). */
  reconcileIntervalS?: number;
  /** How often each spot pool's bidding watcher looks at prices and nodes. */
  spotIntervalS?: number;
  /** Carried across continue-as-new; absent on the first run. */
  carried?: { status: ClusterStatus; operations: OperationRecord[]; pending?: Request };
}

export function clusterWorkflowId(project: string, name: string): string {
  return `cluster/${project}/${name}`;
}

/** The operation's child workflow id: the entity's id, then the operation's own. */
export function operationWorkflowId(project: string, name: string, operationId: string): string {
  return `${clusterWorkflowId(project, name)}/${operationId}`;
}

const POOL_OPERATIONS = { scale: scalePool, reconfigure: reconfigurePool, 'add-pool': addPool, 'remove-pool': removePool } as const;

/**
 * One per cluster, for its whole life: holds the desired spec and the observed status, takes
 * day-2 requests as Updates (validated before they are accepted), and runs one operation at a
 * time as a child workflow. It ends when the cluster is deleted.
 */
export async function clusterEntity(input: ClusterEntityInput): Promise<ClusterStatus> {
  const { project, profile } = input;
  let spec = input.spec;
  const status: ClusterStatus = input.carried?.status ?? {
    name: spec.name,
    project,
    region: spec.cloud.region,
    phase: 'Provisioning',
    network: { placement: spec.cloud.placement.type, subnets: [], natGateways: [], securityGroups: {} },
    pools: spec.pools.map((pool) => poolStatus(pool, [])),
  };
  const operations: OperationRecord[] = input.carried?.operations ?? [];
  let pending: Request | undefined = input.carried ? input.carried.pending : { type: 'create' };
  let running: OperationRecord | undefined;
  let runningScope: CancellationScope | undefined;

  const nextOperationId = (type: OperationType): string => `op-${operations.length + 1}-${type}`;

  /** Every request is refused while another operation runs or waits: nothing queues silently. */
  function refuseWhileBusy(): void {
    const busy = running ?? (pending ? { id: nextOperationId(pending.type), type: pending.type } : undefined);
    if (busy) throw ApplicationFailure.nonRetryable(`operation ${busy.id} (${busy.type}) is running`, 'OperationInProgress', { operationId: busy.id });
    if (status.phase === 'Deleted') throw ApplicationFailure.nonRetryable('the cluster is deleted', 'ClusterDeleted');
  }

  /** Day-2 changes need a cluster that runs; a failed create is only deleted. */
  function requireRunning(): void {
    refuseWhileBusy();
    if (status.phase !== 'Running') {
      throw ApplicationFailure.nonRetryable(`the cluster is ${status.phase}; only a Running cluster takes day-2 changes`, 'ClusterNotRunning');
    }
  }

  function rule(check: () => void): void {
    try {
      check();
    } catch (error) {
      if (error instanceof RuleViolation) throw ApplicationFailure.nonRetryable(error.message, 'RuleViolation', { rule: error.rule });
      throw error;
    }
  }

  const accept = (request: Request) => {
    pending = request;
    return { operationId: nextOperationId(request.type) };
  };
  const poolNamed = (name: string) => spec.pools.find((p) => p.name === name) as PoolSpec;

  setHandler(statusQuery, () => status);
  setHandler(operationsQuery, () => operations);
  setHandler(specQuery, () => spec);
  setHandler(deleteClusterUpdate, () => accept({ type: 'delete' }), { validator: refuseWhileBusy });
  setHandler(scalePoolUpdate, ({ pool, size }) => accept({ type: 'scale', pool: { ...poolNamed(pool), size } }), {
    validator: ({ pool, size }) => {
      requireRunning();
      rule(() => checkScale(spec, pool, size));
    },
  });
  setHandler(
    reconfigurePoolUpdate,
    ({ pool, instanceType, size }) => accept({ type: 'reconfigure', pool: { ...poolNamed(pool), instanceType, size: size ?? poolNamed(pool).size } }),
    {
      validator: ({ pool, instanceType, size }) => {
        requireRunning();
        rule(() => checkReconfigure(spec, pool, instanceType));
        if (isSpot(poolNamed(pool))) {
          throw ApplicationFailure.nonRetryable(`pool ${pool} is a spot pool: its instance type cannot be changed in place (remove it and add a new one)`, 'RuleViolation', {
            rule: 'spot-pool-reconfigure-unsupported',
          });
        }
        if (size !== undefined && size !== poolNamed(pool).size) rule(() => checkScale(spec, pool, size));
      },
    },
  );
  setHandler(addPoolUpdate, ({ pool }) => accept({ type: 'add-pool', pool }), {
    validator: ({ pool }) => {
      requireRunning();
      rule(() => checkAddPool(spec, pool, status.network.subnets.map((s) => s.az)));
    },
  });
  setHandler(
    cancelOperationUpdate,
    ({ operationId }) => {
      runningScope?.cancel();
      return { operationId };
    },
    {
      validator: ({ operationId }) => {
        if (running?.id !== operationId) {
          const known = operations.find((o) => o.id === operationId);
          throw ApplicationFailure.nonRetryable(
            known ? `operation ${operationId} is ${known.state}, not running` : `no operation ${operationId}`,
            known ? 'OperationNotRunning' : 'OperationNotFound',
          );
        }
        if (running?.type === 'delete') throw ApplicationFailure.nonRetryable('a delete cannot be cancelled: it would leave half a cluster', 'RuleViolation', { rule: 'delete-runs-to-the-end' });
      },
    },
  );
  setHandler(removePoolUpdate, ({ pool }) => accept({ type: 'remove-pool', pool: poolNamed(pool) }), {
    validator: ({ pool }) => {
      requireRunning();
      rule(() => checkRemovePool(spec, pool));
    },
  });

  function setPhase(phase: ClusterPhase): void {
    status.phase = phase;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.ClusterPhase, value: phase }]);
  }

  /** The spec once a pool request has been carried out. */
  function specAfter(request: Request): ClusterSpec {
    const pool = request.pool as PoolSpec;
    if (request.type === 'remove-pool') return { ...spec, pools: spec.pools.filter((p) => p.name !== pool.name) };
    if (request.type === 'add-pool') return { ...spec, pools: [...spec.pools, pool] };
    return { ...spec, pools: spec.pools.map((p) => (p.name === pool.name ? pool : p)) };
  }

  /** After a failed pool operation, what AWS actually runs is the truth about the pools. */
  async function observeNodes(): Promise<void> {
    const instances = await aws.listClusterInstances({ scope: scopeOf({ project, spec }) });
    status.pools = spec.pools.map((pool) => poolStatus(pool, instances.filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down')));
  }

  /**
   * Self-repair: a node of an on-demand pool that no longer runs (terminated or stopped
   * outside Clusterflow) is replaced. Runs only between operations, so it never fights one.
   */
  async function reconcile(): Promise<void> {
    const instances = await aws.listClusterInstances({ scope: scopeOf({ project, spec }) });
    const live = new Set(instances.filter((i) => i.state === 'pending' || i.state === 'running').map((i) => i.instanceId));
    const lost: Record<string, NodeStatus[]> = {};
    const reasons: string[] = [];
    for (const pool of status.pools) {
      if (pool.capacity.startsWith('spot')) continue;
      const gone = pool.nodes.filter((n) => !live.has(n.instanceId));
      if (gone.length === 0) continue;
      lost[pool.name] = gone;
      for (const n of gone) {
        const seen = instances.find((i) => i.instanceId === n.instanceId);
        reasons.push(`${n.key} (${n.instanceId}) is ${seen ? seen.state : 'gone'}`);
      }
    }
    if (reasons.length > 0 && pending === undefined && status.phase === 'Running') {
      pending = { type: 'repair', repair: { lost, reason: reasons.join('; ') } };
    }
  }

  /**
   * Each spot pool's bidding watcher outlives the entity's runs (ABANDON: continue-as-new
   * must not kill it); it stops when its pool is removed or the cluster deleted.
   */
  async function startWatcher(pool: PoolSpec): Promise<void> {
    try {
      await startChild(spotWatcher, {
        workflowId: spotWatcherId(project, spec.name, pool.name),
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `spot bidding watcher of pool ${pool.name} on cluster ${project}/${spec.name}`,
        args: [{ project, spec, profile, network: status.network, pool, intervalS: input.spotIntervalS ?? 120 }],
      });
    } catch (error) {
      // Already running (a retried start): nothing to do.
      if (!(error instanceof Error && error.name === 'WorkflowExecutionAlreadyStartedError')) throw error;
    }
  }
  /** Cancelled, a watcher terminates its pool's nodes; one that does not run is fine. */
  async function stopWatcher(pool: PoolSpec): Promise<void> {
    await getExternalWorkflowHandle(spotWatcherId(project, spec.name, pool.name))
      .cancel()
      .catch(() => undefined);
  }

  const reconcileMs = (input.reconcileIntervalS ?? 300) * 1000;
  setPhase(status.phase);
  for (;;) {
    const woken = await condition(() => pending !== undefined || workflowInfo().continueAsNewSuggested, reconcileMs);
    if (!woken) {
      if (status.phase === 'Running') await reconcile().catch(() => undefined);
      if (pending === undefined) continue;
    }
    if (pending === undefined) {
      // Only between operations: nothing in flight is lost.
      await continueAsNew<typeof clusterEntity>({ project, spec, profile, reconcileIntervalS: input.reconcileIntervalS, spotIntervalS: input.spotIntervalS, carried: { status, operations } });
    }
    const request = pending as Request;
    const { type } = request;
    const id = nextOperationId(type);
    const record: OperationRecord = {
      id,
      type,
      state: 'Running',
      workflowId: operationWorkflowId(project, spec.name, id),
      startedAt: new Date().toISOString(),
      reason: request.repair?.reason,
    };
    operations.push(record);
    running = record;
    pending = undefined;
    status.currentOperation = { id, type };
    setPhase(type === 'create' ? 'Provisioning' : type === 'delete' ? 'Deleting' : 'Updating');
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.OperationType, value: type }]);
    const childOptions = {
      workflowId: record.workflowId,
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTE_KEYS.ClusterName, value: spec.name },
        { key: SEARCH_ATTRIBUTE_KEYS.ClusterProject, value: project },
        { key: SEARCH_ATTRIBUTE_KEYS.CloudRegion, value: spec.cloud.region },
        { key: SEARCH_ATTRIBUTE_KEYS.OperationType, value: type },
      ],
      staticSummary: `${type}${request.pool ? ` pool ${request.pool.name}` : ''} on cluster ${project}/${spec.name}`,
    };

    runningScope = new CancellationScope();
    const child = <T>(run: () => Promise<T>): Promise<T> => (runningScope as CancellationScope).run(run);
    try {
      if (type === 'delete') await Promise.all(spec.pools.filter(isSpot).map(stopWatcher));
      if (type === 'remove-pool' && isSpot(request.pool as PoolSpec)) await stopWatcher(request.pool as PoolSpec);
      if (type === 'create' || type === 'delete') {
        const operationInput: OperationInput = { project, spec, profile, operationId: id };
        const build =
          type === 'create'
            ? await child(() => executeChild(createCluster, { ...childOptions, args: [operationInput] }))
            : await child(() => executeChild(deleteCluster, { ...childOptions, args: [{ ...operationInput, network: status.network }] }));
        if (type === 'create') {
          status.network = (build as ClusterBuild).network;
          status.pools = (build as ClusterBuild).pools;
          await Promise.all(spec.pools.filter(isSpot).map(startWatcher));
          setPhase('Running');
        } else {
          status.network = { placement: status.network.placement, subnets: [], natGateways: [], securityGroups: {} };
          status.pools = spec.pools.map((pool) => ({ ...poolStatus(pool, []), waiting: undefined }));
          setPhase('Deleted');
        }
      } else if (type === 'repair') {
        const lost = request.repair?.lost ?? {};
        const repairInput: RepairInput = {
          project,
          spec,
          profile,
          operationId: id,
          network: status.network,
          generation: operations.length,
          reason: request.repair?.reason ?? '',
          pools: Object.entries(lost).map(([name, gone]) => ({ pool: poolNamed(name), nodes: status.pools.find((p) => p.name === name)?.nodes ?? [], lost: gone })),
        };
        const repaired = await child(() => executeChild(repairNodes, { ...childOptions, args: [repairInput] }));
        status.pools = status.pools.map((p) => ({ ...p, nodes: repaired.find((r) => r.pool === p.name)?.nodes ?? p.nodes }));
        setPhase('Running');
      } else {
        const pool = request.pool as PoolSpec;
        const poolInput: PoolOperationInput = {
          project,
          spec: specAfter(request),
          profile,
          operationId: id,
          network: status.network,
          pool,
          nodes: status.pools.find((p) => p.name === pool.name)?.nodes ?? [],
          generation: operations.length,
        };
        const nodes: NodeStatus[] = await child(() => executeChild(POOL_OPERATIONS[type as keyof typeof POOL_OPERATIONS], { ...childOptions, args: [poolInput] }));
        spec = specAfter(request);
        const others = status.pools.filter((p) => p.name !== pool.name);
        status.pools =
          type === 'remove-pool'
            ? others
            : spec.pools.map((p) => (p.name === pool.name ? { ...poolStatus(p, []), nodes } : (others.find((o) => o.name === p.name) ?? poolStatus(p, []))));
        if (isSpot(pool) && type === 'add-pool') await startWatcher(pool);
        if (isSpot(pool) && type === 'scale') {
          await getExternalWorkflowHandle(spotWatcherId(project, spec.name, pool.name))
            .signal(resizeSignal, pool.size)
            .catch(() => undefined);
        }
        setPhase('Running');
      }
      record.state = 'Succeeded';
      status.lastError = undefined;
    } catch (error) {
      const cancelled = isCancellation(error);
      record.state = cancelled ? 'Cancelled' : 'Failed';
      record.error = cancelled ? 'cancelled on request; what it had launched was removed' : readableError(error);
      status.lastError = `${type} ${cancelled ? 'cancelled' : 'failed'}: ${record.error}`;
      if (type === 'create' || type === 'delete') {
        setPhase('Failed');
      } else {
        // A pool operation that failed leaves a running cluster: report what really runs.
        await observeNodes().catch(() => undefined);
        setPhase('Running');
      }
    } finally {
      record.finishedAt = new Date().toISOString();
      running = undefined;
      runningScope = undefined;
      status.currentOperation = undefined;
    }
    if (status.phase === 'Deleted') return status;
  }
}
