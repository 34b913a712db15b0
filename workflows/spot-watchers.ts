import { condition, getExternalWorkflowHandle, ParentClosePolicy, patched, setHandler, startChild } from '@temporalio/workflow';
import type { ClusterStatus } from '../common/cluster-status';
import type { ClusterSpec, PoolSpec } from '../common/cluster-spec';
import type { ResolvedProfile } from '../common/profile';
import { spotWatcherId } from '../common/workflow-ids';
import { clusterChangedSignal, resizeSignal, watcherStoppedSignal } from './messages';
import { PATCHES } from './patches';
import { spotWatcher } from './spot-watcher';

/** How long a delete or remove-pool waits for a spot watcher to stop before it sweeps anyway. */
const WATCHER_STOP_TIMEOUT = '15 minutes';

/**
 * The cluster entity's side of its spot pools' bidding watchers (workflows/spot-watcher.ts):
 * one per spot pool, started when the pool appears, told its new size, stopped before the
 * pool or the cluster goes.
 */
export class SpotWatchers {
  /** Spot pools whose watcher has said it stopped (watcherStoppedSignal). */
  private readonly stopped = new Set<string>();

  constructor(
    private readonly cluster: { project: string; profile: () => ResolvedProfile; spec: () => ClusterSpec; status: ClusterStatus; spotIntervalS: () => number },
  ) {
    setHandler(watcherStoppedSignal, (pool) => void this.stopped.add(pool));
  }

  private id(pool: PoolSpec): string {
    return spotWatcherId(this.cluster.project, this.cluster.spec().name, pool.name);
  }

  /**
   * A watcher outlives the entity's runs (ABANDON: continue-as-new must not kill it); it
   * stops when its pool is removed or the cluster deleted.
   */
  async start(pool: PoolSpec): Promise<void> {
    const { project, status } = this.cluster;
    const spec = this.cluster.spec();
    const profile = this.cluster.profile();
    try {
      await startChild(spotWatcher, {
        workflowId: this.id(pool),
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `spot bidding watcher of pool ${pool.name} on cluster ${project}/${spec.name}`,
        args: [{ project, spec, profile, network: status.network, pool, intervalS: this.cluster.spotIntervalS() }],
      });
    } catch (error) {
      // Already running (a retried start): nothing to do.
      if (!(error instanceof Error && error.name === 'WorkflowExecutionAlreadyStartedError')) throw error;
    }
  }

  /**
   * Tells a watcher the cluster as it now is, for an operation that changes what its nodes
   * boot or join (profile, spec, network); otherwise a watcher launches as it was started.
   */
  async clusterChanged(pool: PoolSpec): Promise<void> {
    const { spec, profile, status } = { spec: this.cluster.spec(), profile: this.cluster.profile(), status: this.cluster.status };
    await getExternalWorkflowHandle(this.id(pool))
      .signal(clusterChangedSignal, { spec, profile, network: status.network })
      .catch(() => undefined);
  }

  /** The pool's new size; a watcher that no longer runs has nothing to resize. */
  async resize(pool: PoolSpec): Promise<void> {
    await getExternalWorkflowHandle(this.id(pool))
      .signal(resizeSignal, pool.size)
      .catch(() => undefined);
  }

  /**
   * Cancelled, a watcher settles its launches, terminates its pool's nodes and says so: the
   * sweep of a delete or remove-pool waits for that, so no launch of the watcher lands after
   * it. A watcher that no longer runs has nothing in flight. The wait is bounded: a watcher
   * that never answers leaves its nodes to the sweep rather than blocking the operation.
   */
  async stop(pool: PoolSpec): Promise<void> {
    const waits = patched(PATCHES.waitForSpotWatchers);
    if (waits) this.stopped.delete(pool.name);
    const cancelled = await getExternalWorkflowHandle(this.id(pool))
      .cancel()
      .then(
        () => true,
        () => false,
      );
    if (waits && cancelled) await condition(() => this.stopped.has(pool.name), WATCHER_STOP_TIMEOUT);
  }
}
