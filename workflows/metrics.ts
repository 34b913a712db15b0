import { metricMeter } from '@temporalio/workflow';
import type { OperationState, OperationType } from '../common/cluster-status';

/**
 * Counters workflow code adds to, exported with the worker's Temporal metrics. The SDK skips
 * them while a history replays, and they add no command: no patch is needed around them.
 * Made at each use, not at module load (the workflow context exists only while a workflow runs).
 */

/** An operation ended (the entity's own repairs included: the API never starts those). */
export function countOperationFinished(type: OperationType, outcome: OperationState): void {
  metricMeter.createCounter('clusterflow_operations_finished', 'operations', 'Operations ended, by type and outcome (Succeeded, Failed, Cancelled)').add(1, { type, outcome });
}

/** A spot watcher looked at its prices and nodes once. */
export function countSpotWatcherTick(): void {
  metricMeter.createCounter('clusterflow_spot_watcher_ticks', 'ticks', 'Spot watcher rounds: prices and nodes read, missing nodes launched').add(1);
}
