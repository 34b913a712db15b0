import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ClusterStatus, NetworkStatus, NodeStatus, OperationRecord, Progress, SpotPoolStatus, SpotRoll } from '../common/cluster-status';
import type { ClusterSpec, PoolSpec } from '../common/cluster-spec';
import type { ResolvedProfile } from '../common/profile';

/** The cluster entity's status (the API's GET /v1/clusters/:name). */
export const statusQuery = defineQuery<ClusterStatus>('status');
/** The cluster entity's operation log, newest last. */
export const operationsQuery = defineQuery<OperationRecord[]>('operations');
/** The desired spec as it stands after every accepted change. */
export const specQuery = defineQuery<ClusterSpec>('spec');
/** The profile the cluster's nodes boot with now (an upgrade changes its Kubernetes version). */
export const profileQuery = defineQuery<ResolvedProfile>('profile');
/** An operation's task list. */
export const progressQuery = defineQuery<Progress>('progress');

export interface Accepted {
  operationId: string;
}

/*
 * Each operation's own Update (scalePool, addPool, …) is defined in its module under
 * workflows/operations/. The two below act on operations, whatever their type.
 */
export const cancelOperationUpdate = defineUpdate<Accepted, [{ operationId: string }]>('cancelOperation');
/** Runs the latest failed or cancelled operation again, as it was requested, under a new operation id. */
export const retryOperationUpdate = defineUpdate<Accepted, [{ operationId: string }]>('retryOperation');

/** From an operation's child to its entity: a node it has replaced, so the status follows a roll node by node. */
export const nodeReplacedSignal = defineSignal<[{ pool: string; replaced: string; node: NodeStatus }]>('nodeReplaced');

/** A spot pool's bidding watcher: its status (the API merges it into the pool's). */
export const spotStatusQuery = defineQuery<SpotPoolStatus>('spotStatus');
/**
 * The cluster as it now is (an operation changed its spec, profile or network): the watcher's
 * later launches use it, and it carries it across continue-as-new.
 */
export const clusterChangedSignal = defineSignal<[{ spec: ClusterSpec; profile: ResolvedProfile; network: NetworkStatus }]>('clusterChanged');
/** The pool's new size (a scale of a spot pool). */
export const resizeSignal = defineSignal<[number]>('resize');
/**
 * Sent by a watcher to its cluster's entity once it has stopped: its launches settled and its
 * nodes terminated. Delete and remove-pool wait for it before they sweep the pool's instances.
 */
export const watcherStoppedSignal = defineSignal<[string]>('spotWatcherStopped');

/**
 * From an operation to a spot pool's watcher: roll the pool's nodes to `instanceType` and,
 * when `pool` is given (the pool as the change makes it), to its labels, taints and root
 * volume too, and when `profile` is given (an upgrade, a profile change) to the Kubernetes
 * version and bootstrap it makes, reporting to `replyTo` (spotRollProgressSignal); or, with
 * `stop`, stop the roll of `operationId` (cancelled): the nodes already replaced stay, later
 * launches go back to what the roll started from.
 */
export interface RollSpotPoolRequest {
  operationId: string;
  instanceType?: string;
  replyTo?: string;
  stop?: boolean;
  pool?: PoolSpec;
  profile?: ResolvedProfile;
}
export const rollSpotPoolSignal = defineSignal<[RollSpotPoolRequest]>('rollSpotPool');
/** From a spot pool's watcher to the operation it rolls for: the roll's progress, and its nodes once done. */
export const spotRollProgressSignal = defineSignal<[SpotRoll & { nodes: NodeStatus[] }]>('spotRollProgress');
