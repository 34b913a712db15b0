/**
 * A spot pool's nodes are its watcher's (docs/architecture.md#spot-reconfigure): an operation
 * that must replace them (reconfigure, upgrade, profile change) asks the watcher to roll them,
 * one at a time at the pool's bid, and follows each step the watcher reports in its own tasks.
 * Cancelled, the operation tells the watcher to stop: the nodes it has replaced stay, and its
 * later launches go back to what the roll started from.
 */
import { ApplicationFailure, CancellationScope, condition, getExternalWorkflowHandle, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import type { NodeStatus, SpotRoll } from '../../common/cluster-status';
import type { PoolSpec } from '../../common/cluster-spec';
import type { ResolvedProfile } from '../../common/profile';
import { readableError } from '../../common/readable-error';
import { spotWatcherId } from '../../common/workflow-ids';
import { rollSpotPoolSignal, spotRollProgressSignal } from '../messages';
import type { OperationInput } from '../operation';
import type { TaskList } from '../tasks';

export interface SpotRollRequest {
  /** The pool as the change makes it: the watcher launches the replacements with its type and launch settings. */
  pool: PoolSpec;
  /** The profile the replacements boot (an upgrade's version, a profile change's packs); the watcher's own when left out. */
  profile?: ResolvedProfile;
  /** What the roll's task says once the watcher has taken it. */
  describe: string;
}

/** The task under which the watcher takes the roll of `pool`. */
export const spotRollTask = (pool: string) => `roll ${pool} through its watcher`;

/** Rolls one spot pool through its watcher and returns the pool's nodes once every one launches as asked. */
export async function rollThroughWatcher(input: Pick<OperationInput, 'project' | 'spec' | 'operationId'>, tasks: TaskList, request: SpotRollRequest): Promise<NodeStatus[]> {
  const { pool, profile } = request;
  const { operationId } = input;
  let latest: (SpotRoll & { nodes: NodeStatus[] }) | undefined;
  setHandler(spotRollProgressSignal, (progress) => {
    if (progress.operationId === operationId) latest = progress;
  });
  const watcher = getExternalWorkflowHandle(spotWatcherId(input.project, input.spec.name, pool.name));
  try {
    await tasks.run(
      spotRollTask(pool.name),
      () =>
        watcher.signal(rollSpotPoolSignal, { operationId, instanceType: pool.instanceType, replyTo: workflowInfo().workflowId, pool, ...(profile ? { profile } : {}) }).catch((error: unknown) => {
          if (isCancellation(error)) throw error;
          throw ApplicationFailure.nonRetryable(`the bidding watcher of spot pool ${pool.name} does not run (${readableError(error)}): nothing was replaced`, 'SpotWatcherGone');
        }),
      () => request.describe,
    );
    let seen = latest;
    for (;;) {
      await condition(() => latest !== seen);
      seen = latest as NonNullable<typeof latest>;
      tasks.follow(seen.tasks);
      if (seen.done) return seen.nodes;
    }
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => watcher.signal(rollSpotPoolSignal, { operationId, stop: true }).catch(() => undefined));
    }
    throw error;
  }
}
