import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  continueAsNew,
  patched,
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
import { aws, liveSettings } from './activities';
import { ClusterBuild, createCluster, poolStatus } from './create-cluster';
import { deleteCluster } from './delete-cluster';
import {
  addPoolUpdate,
  cancelOperationUpdate,
  deleteClusterUpdate,
  operationsQuery,
  reconfigurePoolUpdate,
  removePoolUpdate,
  resizeSignal,
  retryOperationUpdate,
  scalePoolUpdate,
  specQuery,
  statusQuery,
  watcherStoppedSignal,
} from './messages';
import { OperationInput, scopeOf } from './operation';
import { addPool, PoolOperationInput, reconfigurePool, removePool, RepairInput, repairNodes, scalePool } from './pool-operations';
import { isSpot } from './plan';
import { spotWatcher } from './spot-watcher';
import { numberOf, operationId, operationWorkflowId, spotWatcherId } from '../common/workflow-ids';
import { readableError } from '../common/readable-error';
import { PATCHES } from './patches';

/** A request accepted and waiting for the entity's loop: the type, and the spec it leads to. */
interface Request {
  type: OperationType;
  /** The pool the request is about, as it is to become (absent for create/delete). */
  pool?: PoolSpec;
  /** Self-repair: the nodes found gone, and why. */
  repair?: { lost: Record<string, NodeStatus[]>; reason: string };
  /** A retry: the operation it runs again. */
  retryOf?: string;
}

export interface ClusterEntityInput {
  project: string;
  spec: ClusterSpec;
  profile: ResolvedProfile;
  /** How often the entity checks that every node still runs (self-repair). */
  reconcileIntervalS?: number;
  /** How often each spot pool's bidding watcher looks at prices and nodes. */
  spotIntervalS?: number;
  /** A create that fails keeps what it made for the operator to look at (`?keepOnFailure=true`). */
  keepOnFailure?: boolean;
  /** How many operations the log keeps (default OPERATION_LOG_LIMIT). */
  operationLogLimit?: number;
  /** Carried across continue-as-new; absent on the first run. */
  carried?: { status: ClusterStatus; operations: OperationRecord[]; pending?: Request; operationCount?: number };
}

/** How long a delete or remove-pool waits for a spot watcher to stop before it sweeps anyway. */
const WATCHER_STOP_TIMEOUT = '15 minutes';

/** How many operations the entity keeps in its log (and carries across continue-as-new). */
export const OPERATION_LOG_LIMIT = 100;


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
    createdAt: new Date().toISOString(),
  };
  // The most recent operations only: a cluster that lives for years would otherwise carry an
  // ever longer log into every query and continue-as-new. Older ones stay readable from
  // Temporal's visibility of the operation workflows (the API pages into them).
  const operations: OperationRecord[] = input.carried?.operations ?? [];
  /** How many operations the cluster has had: the next one's number. */
  let operationCount = input.carried?.operationCount ?? numberOf(operations.at(-1));
  let pending: Request | undefined = input.carried ? input.carried.pending : { type: 'create' };
  let running: OperationRecord | undefined;
  let runningScope: CancellationScope | undefined;

  const nextOperationId = (type: OperationType): string => operationId(operationCount + 1, type);

  /**
   * Every request is refused while another operation runs or waits: nothing queues silently.
   * An operator's request is the exception to a running self-repair: housekeeping yields
   * (the repair is cancelled, takes back its launches, and the request runs next).
   */
  function refuseWhileBusy(preemptsRepair = false): void {
    const yields = preemptsRepair && running?.type === 'repair' && pending === undefined;
    const busy = yields ? undefined : (running ?? (pending ? { id: nextOperationId(pending.type), type: pending.type } : undefined));
    if (busy) throw ApplicationFailure.nonRetryable(`operation ${busy.id} (${busy.type}) is running`, 'OperationInProgress', { operationId: busy.id });
    if (status.phase === 'Deleted') throw ApplicationFailure.nonRetryable('the cluster is deleted', 'ClusterDeleted');
  }

  /** Day-2 changes need a cluster that runs (a self-repair yields to them); a failed create is only deleted. */
  function requireRunning(): void {
    refuseWhileBusy(true);
    const repairing = running?.type === 'repair';
    if (status.phase !== 'Running' && !repairing) {
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

  /** Why the running repair was cancelled, when an operator's request preempted it. */
  let preemptedBy: OperationType | undefined;
  /** The running operation an operator asked to cancel: it ends Cancelled, whatever stopped it. */
  let cancelRequested: string | undefined;
  const accept = (request: Request) => {
    pending = request;
    if (running?.type === 'repair') {
      preemptedBy = request.type;
      runningScope?.cancel();
    }
    return { operationId: nextOperationId(request.type) };
  };
  const poolNamed = (name: string) => spec.pools.find((p) => p.name === name) as PoolSpec;
  /** Spot pools whose watcher has said it stopped (watcherStoppedSignal). */
  const watchersStopped = new Set<string>();

  setHandler(statusQuery, () => status);
  setHandler(watcherStoppedSignal, (pool) => void watchersStopped.add(pool));
  setHandler(operationsQuery, () => operations);
  setHandler(specQuery, () => spec);
  setHandler(deleteClusterUpdate, () => accept({ type: 'delete' }), { validator: () => refuseWhileBusy(true) });
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
      cancelRequested = operationId;
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
  setHandler(
    retryOperationUpdate,
    ({ operationId }) => {
      const failed = operations.find((o) => o.id === operationId) as OperationRecord;
      return accept({ type: failed.type, pool: failed.pool, retryOf: failed.id });
    },
    { validator: ({ operationId }) => checkRetry(operationId) },
  );

  /**
   * A retry runs the cluster's latest failed or cancelled operation again, as it was asked,
   * when nothing else runs and its rules still hold: every step finds what the first run made.
   */
  function checkRetry(operationId: string): void {
    refuseWhileBusy(true);
    const failed = operations.find((o) => o.id === operationId);
    if (!failed) throw ApplicationFailure.nonRetryable(`no operation ${operationId}`, 'OperationNotFound');
    if (failed.state !== 'Failed' && failed.state !== 'Cancelled') {
      throw ApplicationFailure.nonRetryable(`operation ${operationId} is ${failed.state}; only a Failed or Cancelled operation can be retried`, 'OperationNotRetryable');
    }
    const violation = (ruleName: string, message: string) => ApplicationFailure.nonRetryable(message, 'RuleViolation', { rule: ruleName });
    if (failed.type === 'repair') throw violation('repair-not-retried', `${operationId} is a self-repair: the next check repairs again by itself`);
    const latest = operations.filter((o) => o.type !== 'repair').at(-1);
    if (latest && latest.id !== operationId) {
      throw violation('retry-latest-only', `${latest.id} (${latest.type}) ran after ${operationId}: only the latest operation can be retried; ask for the change again instead`);
    }
    if (failed.type === 'create' || failed.type === 'delete') return;
    requireRunning();
    const pool = failed.pool;
    if (!pool) throw violation('retry-recorded-request', `${operationId} was recorded before retries were possible: ask for the change again instead`);
    const subnetAzs = status.network.subnets.map((s) => s.az);
    rule(() => {
      if (failed.type === 'scale') checkScale(spec, pool.name, pool.size);
      if (failed.type === 'reconfigure') {
        checkReconfigure(spec, pool.name, pool.instanceType);
        if (pool.size !== poolNamed(pool.name).size) checkScale(spec, pool.name, pool.size);
      }
      if (failed.type === 'add-pool') checkAddPool(spec, pool, subnetAzs);
      if (failed.type === 'remove-pool') checkRemovePool(spec, pool.name);
    });
  }

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
   * A rolling reconfigure stopped halfway keeps the replacements it finished: the pool then
   * runs both instance types, which its record says (a retry finishes the roll).
   */
  function replacedSoFar(pool: PoolSpec): string {
    const nodes = status.pools.find((p) => p.name === pool.name)?.nodes ?? [];
    const replaced = nodes.filter((n) => n.instanceType === pool.instanceType).map((n) => n.key);
    if (replaced.length === 0) return '';
    if (replaced.length === nodes.length) return `; every node was already replaced and runs ${pool.instanceType}`;
    return `; already replaced and kept on ${pool.instanceType}: ${replaced.join(', ')} (the pool runs both instance types until a retry finishes the roll)`;
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
        args: [{ project, spec, profile, network: status.network, pool, intervalS: intervals.spotIntervalS }],
      });
    } catch (error) {
      // Already running (a retried start): nothing to do.
      if (!(error instanceof Error && error.name === 'WorkflowExecutionAlreadyStartedError')) throw error;
    }
  }
  /**
   * Cancelled, a watcher settles its launches, terminates its pool's nodes and says so: the
   * sweep of a delete or remove-pool waits for that, so no launch of the watcher lands after
   * it. A watcher that no longer runs has nothing in flight. The wait is bounded: a watcher
   * that never answers leaves its nodes to the sweep rather than blocking the operation.
   */
  async function stopWatcher(pool: PoolSpec): Promise<void> {
    const waits = patched(PATCHES.waitForSpotWatchers);
    if (waits) watchersStopped.delete(pool.name);
    const cancelled = await getExternalWorkflowHandle(spotWatcherId(project, spec.name, pool.name))
      .cancel()
      .then(
        () => true,
        () => false,
      );
    if (waits && cancelled) await condition(() => watchersStopped.has(pool.name), WATCHER_STOP_TIMEOUT);
  }

  /**
   * A create that failed or was cancelled: unless the operator asked to keep what it made,
   * the delete runs as its rollback (not cancellable: half a rollback is worse than none),
   * keeping the account in use since the failed cluster still exists. Says what happened.
   */
  async function afterFailedCreate(record: OperationRecord, cause: string): Promise<string> {
    if (input.keepOnFailure) return `${cause}; what it created is kept (keepOnFailure): DELETE the cluster to remove it`;
    const workflowId = `${record.workflowId}/rollback`;
    record.rollbackWorkflowId = workflowId;
    setPhase('Deleting');
    try {
      await CancellationScope.nonCancellable(() =>
        executeChild(deleteCluster, {
          workflowId,
          staticSummary: `rollback of the failed create of cluster ${project}/${spec.name}`,
          args: [{ project, spec, profile, operationId: record.id, network: status.network, keepAccountUsage: true }],
        }),
      );
    } catch (failure) {
      return `${cause}; the rollback failed too (${readableError(failure)}): DELETE the cluster to remove what is left`;
    }
    status.network = { placement: status.network.placement, subnets: [], natGateways: [], securityGroups: {} };
    status.pools = spec.pools.map((pool) => poolStatus(pool, []));
    return `${cause}; rolled back: everything it had created was removed`;
  }

  // Intervals as the worker has them now: a changed setting reaches the cluster at its next run.
  const intervals = { reconcileIntervalS: input.reconcileIntervalS ?? 300, spotIntervalS: input.spotIntervalS ?? 120 };
  if (patched(PATCHES.liveSettingsEachRun)) Object.assign(intervals, await liveSettings());
  const reconcileMs = intervals.reconcileIntervalS * 1000;
  setPhase(status.phase);
  for (;;) {
    const woken = await condition(() => pending !== undefined || workflowInfo().continueAsNewSuggested, reconcileMs);
    if (!woken) {
      if (status.phase === 'Running') await reconcile().catch(() => undefined);
      if (pending === undefined) continue;
    }
    if (pending === undefined) {
      // Only between operations: nothing in flight is lost.
      await continueAsNew<typeof clusterEntity>({
        project,
        spec,
        profile,
        reconcileIntervalS: intervals.reconcileIntervalS,
        spotIntervalS: intervals.spotIntervalS,
        operationLogLimit: input.operationLogLimit,
        keepOnFailure: input.keepOnFailure,
        carried: { status, operations, operationCount },
      });
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
      pool: request.type === 'repair' ? undefined : request.pool,
      retryOf: request.retryOf,
    };
    operations.push(record);
    operationCount += 1;
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
          generation: operationCount,
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
          generation: operationCount,
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
      // Asked to cancel, an operation may still fail while it stops (a worker died under a call
      // being cancelled): the operator's cancel is what ended it, and the failure is said too.
      const stoppedFailing = !isCancellation(error) && cancelRequested === id;
      const cancelled = isCancellation(error) || stoppedFailing;
      let message = stoppedFailing
        ? `cancelled on request; while it stopped: ${readableError(error)}`
        : cancelled
          ? 'cancelled on request; what it had launched was removed'
          : readableError(error);
      if (cancelled && type === 'repair' && preemptedBy) {
        message = `cancelled: the operator's ${preemptedBy} request comes first; what it had launched was removed, and the next check repairs again`;
      }
      if (type === 'create' && patched(PATCHES.createRollsBack)) {
        // The operation still runs while it rolls back: it settles once that is over.
        message = await afterFailedCreate(record, cancelled ? 'cancelled on request' : readableError(error));
      }
      record.state = cancelled ? 'Cancelled' : 'Failed';
      record.error = message;
      if (type === 'create' || type === 'delete') {
        setPhase('Failed');
      } else {
        // A pool operation that failed leaves a running cluster: report what really runs.
        await observeNodes().catch(() => undefined);
        if (type === 'reconfigure' && request.pool) record.error = `${record.error}${replacedSoFar(request.pool)}`;
        setPhase('Running');
      }
      status.lastError = `${type} ${cancelled ? 'cancelled' : 'failed'}: ${record.error}`;
    } finally {
      record.finishedAt = new Date().toISOString();
      const keep = input.operationLogLimit ?? OPERATION_LOG_LIMIT;
      if (operations.length > keep) operations.splice(0, operations.length - keep);
      preemptedBy = undefined;
      cancelRequested = undefined;
      running = undefined;
      runningScope = undefined;
      status.currentOperation = undefined;
    }
    if (status.phase === 'Deleted') return status;
  }
}
