import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  continueAsNew,
  patched,
  executeChild,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { statusCapacity, type ClusterPhase, type ClusterStatus, type NodeStatus, type OperationRecord, type OperationType } from '../common/cluster-status';
import { isSpotPool, type ClusterSpec, type PoolSpec } from '../common/cluster-spec';
import type { ResolvedProfile } from '../common/profile';
import { SEARCH_ATTRIBUTE_KEYS } from '../common/search-attributes';
import { clusterListing, LISTING_MEMO } from '../common/cluster-listing';
import { aws, liveSettings } from './activities';
import { poolStatus } from './node-lifecycle';
import { cancelOperationUpdate, nodeReplacedSignal, operationsQuery, profileQuery, retryOperationUpdate, specQuery, statusQuery } from './messages';
import { OPERATIONS, type Request } from './operations';
import { violation, type Entity, type Run } from './operations/operation-module';
import { scopeOf } from './operation';
import { SpotWatchers } from './spot-watchers';
import { numberOf, operationId, operationWorkflowId } from '../common/workflow-ids';
import { readableError } from '../common/readable-error';
import { PATCHES } from './patches';
import { countOperationFinished } from './metrics';

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

/** How many operations the entity keeps in its log (and carries across continue-as-new). */
export const OPERATION_LOG_LIMIT = 100;

/** Statuses carried from before capacity was a union said it in words. */
function carriedStatus(status: ClusterStatus): ClusterStatus {
  return { ...status, pools: status.pools.map((pool) => ({ ...pool, capacity: statusCapacity(pool.capacity) })) };
}

/**
 * One per cluster, for its whole life (docs/architecture.md#the-cluster-entity): holds the
 * desired spec and the observed status, takes requests as Updates (validated before they are
 * accepted), and runs one operation at a time as a child workflow, from the operations table
 * (workflows/operations/): accept → run → fold → continue-as-new. It ends once the cluster is
 * deleted.
 */
export async function clusterEntity(input: ClusterEntityInput): Promise<ClusterStatus> {
  const { project } = input;
  const status: ClusterStatus = input.carried?.status
    ? carriedStatus(input.carried.status)
    : {
        name: input.spec.name,
        project,
        region: input.spec.cloud.region,
        phase: 'Provisioning',
        network: { placement: input.spec.cloud.placement.type, subnets: [], natGateways: [], securityGroups: {} },
        pools: input.spec.pools.map((pool) => poolStatus(pool, [])),
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
  /** Why the running repair was cancelled, when an operator's request preempted it. */
  let preemptedBy: OperationType | undefined;
  /** The running operation an operator asked to cancel: it ends Cancelled, whatever stopped it. */
  let cancelRequested: string | undefined;

  // Intervals as the worker has them now: a changed setting reaches the cluster at its next run.
  const intervals = { reconcileIntervalS: input.reconcileIntervalS ?? 300, spotIntervalS: input.spotIntervalS ?? 120 };

  const nextOperationId = (type: OperationType): string => operationId(operationCount + 1, type);

  /**
   * GET /v1/clusters reads the cluster from visibility alone: the listing goes into the memo
   * wherever what it shows changes (phase, pools, running operation, last error). Whether this
   * run publishes is decided once, in its first workflow task before any local activity: a patch
   * first met just after one (the run's settings) is replayed in the task before the one that
   * recorded it, where Temporal has not announced its marker yet, and the replay fails.
   */
  const publishesListing = patched(PATCHES.entityPublishesListing);
  function publishListing(): void {
    if (publishesListing) upsertMemo({ [LISTING_MEMO]: clusterListing(status) });
  }

  /**
   * Every request is refused while another operation runs or waits: nothing queues silently.
   * An operator's request is the exception to a running self-repair: housekeeping yields
   * (the repair is cancelled, takes back its launches, and the request runs next).
   */
  function refuseWhileBusy(): void {
    const yields = running?.type === 'repair' && pending === undefined;
    const busy = yields ? undefined : (running ?? (pending ? { id: nextOperationId(pending.type), type: pending.type } : undefined));
    if (busy) throw ApplicationFailure.nonRetryable(`operation ${busy.id} (${busy.type}) is running`, 'OperationInProgress', { operationId: busy.id });
    if (status.phase === 'Deleted') throw ApplicationFailure.nonRetryable('the cluster is deleted', 'ClusterDeleted');
  }

  const entity: Entity = {
    project,
    profile: input.profile,
    spec: input.spec,
    status,
    keepOnFailure: input.keepOnFailure,
    watchers: new SpotWatchers({ project, profile: () => entity.profile, spec: () => entity.spec, status, spotIntervalS: () => intervals.spotIntervalS }),
    poolNamed: (name) => entity.spec.pools.find((p) => p.name === name) as PoolSpec,
    subnetAzs: () => status.network.subnets.map((s) => s.az),
    refuseWhileBusy,
    /** Day-2 changes need a cluster that runs (a self-repair yields to them); a failed create is only deleted. */
    requireRunning() {
      refuseWhileBusy();
      if (status.phase !== 'Running' && running?.type !== 'repair') {
        throw ApplicationFailure.nonRetryable(`the cluster is ${status.phase}; only a Running cluster takes day-2 changes`, 'ClusterNotRunning');
      }
    },
    setPhase(phase: ClusterPhase) {
      status.phase = phase;
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.ClusterPhase, value: phase }]);
      publishListing();
    },
  };

  const accept = (request: Request) => {
    pending = request;
    if (running?.type === 'repair') {
      preemptedBy = request.type;
      runningScope?.cancel();
    }
    return { operationId: nextOperationId(request.type) };
  };

  setHandler(statusQuery, () => status);
  setHandler(operationsQuery, () => operations);
  setHandler(specQuery, () => entity.spec);
  setHandler(profileQuery, () => entity.profile);
  setHandler(nodeReplacedSignal, ({ pool, replaced, node }) => {
    const nodes = status.pools.find((p) => p.name === pool)?.nodes ?? [];
    const at = nodes.findIndex((n) => n.instanceId === replaced);
    if (at >= 0) nodes.splice(at, 1, node);
  });
  // Each operation an operator can ask for: its Update, validated by its module.
  for (const op of Object.values(OPERATIONS)) {
    const { update, validate, request } = op;
    if (!update || !validate || !request) continue;
    setHandler(update, (args: unknown) => accept(request(entity, args)), { validator: (args: unknown) => validate(entity, args) });
  }
  setHandler(
    cancelOperationUpdate,
    ({ operationId }) => {
      cancelRequested = operationId;
      runningScope?.cancel();
      return { operationId };
    },
    {
      validator: ({ operationId }) => {
        const current = running;
        if (!current || current.id !== operationId) {
          const known = operations.find((o) => o.id === operationId);
          throw ApplicationFailure.nonRetryable(
            known ? `operation ${operationId} is ${known.state}, not running` : `no operation ${operationId}`,
            known ? 'OperationNotRunning' : 'OperationNotFound',
          );
        }
        if (OPERATIONS[current.type].cancellable === false) {
          throw violation(`${current.type}-runs-to-the-end`, `a ${current.type} cannot be cancelled: it would leave half a cluster`);
        }
      },
    },
  );
  setHandler(
    retryOperationUpdate,
    ({ operationId }) => {
      const failed = operations.find((o) => o.id === operationId) as OperationRecord;
      return accept(OPERATIONS[failed.type].retryRequest?.(failed) ?? { type: failed.type, pool: failed.pool, retryOf: failed.id });
    },
    { validator: ({ operationId }) => checkRetry(operationId) },
  );

  /**
   * A retry runs the cluster's latest failed or cancelled operation again, as it was asked,
   * when nothing else runs and its rules still hold: every step finds what the first run made.
   */
  function checkRetry(operationId: string): void {
    refuseWhileBusy();
    const failed = operations.find((o) => o.id === operationId);
    if (!failed) throw ApplicationFailure.nonRetryable(`no operation ${operationId}`, 'OperationNotFound');
    if (failed.state !== 'Failed' && failed.state !== 'Cancelled') {
      throw ApplicationFailure.nonRetryable(`operation ${operationId} is ${failed.state}; only a Failed or Cancelled operation can be retried`, 'OperationNotRetryable');
    }
    const op = OPERATIONS[failed.type];
    if (!op.retry) {
      const why = op.notRetried ?? { rule: 'not-retried', why: (id: string) => `${id} (${failed.type}) cannot be retried` };
      throw violation(why.rule, why.why(operationId));
    }
    const latest = operations.filter((o) => OPERATIONS[o.type].retry).at(-1);
    if (latest && latest.id !== operationId) {
      throw violation('retry-latest-only', `${latest.id} (${latest.type}) ran after ${operationId}: only the latest operation can be retried; ask for the change again instead`);
    }
    op.retry(entity, failed);
  }

  /**
   * Self-repair: a node of an on-demand pool that no longer runs (terminated or stopped
   * outside Clusterflow) is replaced. Runs only between operations, so it never fights one.
   */
  async function reconcile(): Promise<void> {
    const instances = await aws.listClusterInstances({ scope: scopeOf(entity) });
    const live = new Set(instances.filter((i) => i.state === 'pending' || i.state === 'running').map((i) => i.instanceId));
    const lost: Record<string, NodeStatus[]> = {};
    const reasons: string[] = [];
    for (const pool of status.pools) {
      if (isSpotPool(pool)) continue;
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

  /** Runs one accepted request through its module: before → child → fold → after. */
  async function runOperation(request: Request): Promise<void> {
    const op = OPERATIONS[request.type];
    const { type } = request;
    const id = nextOperationId(type);
    const record: OperationRecord = {
      id,
      type,
      state: 'Running',
      workflowId: operationWorkflowId(project, entity.spec.name, id),
      startedAt: new Date().toISOString(),
      reason: request.repair?.reason,
      pool: request.pool,
      retryOf: request.retryOf,
      kubernetesVersion: request.kubernetesVersion,
      profileChange: request.profileChange,
    };
    operations.push(record);
    operationCount += 1;
    running = record;
    pending = undefined;
    status.currentOperation = { id, type };
    entity.setPhase(op.phases.running);
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.OperationType, value: type }]);
    const run: Run = { entity, request, record, generation: operationCount };
    const scope = new CancellationScope();
    runningScope = scope;
    try {
      await op.before?.(run);
      const result = await scope.run(() =>
        executeChild(op.workflow, {
          workflowId: record.workflowId,
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTE_KEYS.ClusterName, value: entity.spec.name },
            { key: SEARCH_ATTRIBUTE_KEYS.ClusterProject, value: project },
            { key: SEARCH_ATTRIBUTE_KEYS.CloudRegion, value: entity.spec.cloud.region },
            { key: SEARCH_ATTRIBUTE_KEYS.OperationType, value: type },
          ],
          staticSummary: op.summary(run),
          args: [op.input(run)],
        }),
      );
      op.fold(run, result);
      await op.after?.(run);
      entity.setPhase(op.phases.succeeded);
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
      if (cancelled && preemptedBy) {
        message = `cancelled: the operator's ${preemptedBy} request comes first; what it had launched was removed, and the next check repairs again`;
      }
      if (op.failed) message = await op.failed(run, { message, cause: error, cancelled });
      record.state = cancelled ? 'Cancelled' : 'Failed';
      record.error = message;
      entity.setPhase(op.phases.failed);
      status.lastError = `${type} ${cancelled ? 'cancelled' : 'failed'}: ${record.error}`;
    } finally {
      record.finishedAt = new Date().toISOString();
      if (record.state !== 'Running') countOperationFinished(type, record.state);
      const keep = input.operationLogLimit ?? OPERATION_LOG_LIMIT;
      if (operations.length > keep) operations.splice(0, operations.length - keep);
      preemptedBy = undefined;
      cancelRequested = undefined;
      running = undefined;
      runningScope = undefined;
      status.currentOperation = undefined;
      publishListing();
    }
  }

  if (patched(PATCHES.liveSettingsEachRun)) Object.assign(intervals, await liveSettings());
  const reconcileMs = intervals.reconcileIntervalS * 1000;
  entity.setPhase(status.phase);
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
        spec: entity.spec,
        profile: entity.profile,
        reconcileIntervalS: intervals.reconcileIntervalS,
        spotIntervalS: intervals.spotIntervalS,
        operationLogLimit: input.operationLogLimit,
        keepOnFailure: input.keepOnFailure,
        carried: { status, operations, operationCount },
      });
    }
    await runOperation(pending as Request);
    if (status.phase === 'Deleted') return status;
  }
}
