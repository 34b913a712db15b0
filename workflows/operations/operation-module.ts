/**
 * What every operation of the cluster entity is: one module under workflows/operations/
 * (docs/architecture.md#operations). The entity's loop knows nothing of any operation in
 * particular: it accepts a request through the module's Update and validator, runs the
 * module's child workflow, folds its result into spec and status, and says what a failure
 * leaves. Adding an operation is one module here, one line in ./index.ts, and its API route.
 */
import type { UpdateDefinition, Workflow } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/workflow';
import type { ClusterPhase, ClusterStatus, NodeStatus, OperationRecord, OperationType } from '../../common/cluster-status';
import type { ClusterSpec, PoolSpec } from '../../common/cluster-spec';
import { RuleViolation, type ProfileChange } from '../../common/day2-rules';
import type { ResolvedProfile } from '../../common/profile';
import type { Accepted } from '../messages';
import type { SpotWatchers } from '../spot-watchers';

/** A request accepted and waiting for the entity's loop: the type, and what it is about. Carried across continue-as-new. */
export interface Request {
  type: OperationType;
  /** The pool the request is about, as it is to become (absent for create/delete). */
  pool?: PoolSpec;
  /** Self-repair: the nodes found gone, and why. */
  repair?: { lost: Record<string, NodeStatus[]>; reason: string };
  /** A retry: the operation it runs again. */
  retryOf?: string;
  /** An upgrade: the Kubernetes version asked for. */
  kubernetesVersion?: string;
  /** A profile change: the profile asked for. */
  profileChange?: ProfileChange;
}

/** What an operation sees of its cluster's entity. */
export interface Entity {
  readonly project: string;
  /** The resolved profile; an operation that changes it tells the spot watchers (watchers.clusterChanged). */
  profile: ResolvedProfile;
  /** The desired spec; an operation's fold replaces it. */
  spec: ClusterSpec;
  readonly status: ClusterStatus;
  /** A create that fails keeps what it made (`?keepOnFailure=true`). */
  readonly keepOnFailure?: boolean;
  readonly watchers: SpotWatchers;
  poolNamed(name: string): PoolSpec;
  /** AZs the cluster has subnets in. */
  subnetAzs(): string[];
  /** Refuses a day-2 request unless the cluster runs (a self-repair yields to it). */
  requireRunning(): void;
  /** Refuses any request while another operation runs or waits (a self-repair yields). */
  refuseWhileBusy(): void;
  setPhase(phase: ClusterPhase): void;
}

/** One run of an operation, as its module's steps see it. */
export interface Run {
  entity: Entity;
  request: Request;
  record: OperationRecord;
  /** The operation's number: the generation of every node it launches. */
  generation: number;
}

export interface OperationModule<Args = unknown, Input = unknown, Result = unknown> {
  type: OperationType;
  /** The operator's Update; absent for operations the entity starts itself. */
  update?: UpdateDefinition<Accepted, [Args]>;
  /** The rules, checked before the Update is accepted: throws, naming the rule. */
  validate?(entity: Entity, args: Args): void;
  /** The request an accepted Update is. */
  request?(entity: Entity, args: Args): Request;
  /** A retry of a failed or cancelled run: its rules, as they hold now. Absent: never retried. */
  retry?(entity: Entity, record: OperationRecord): void;
  /** The request a retry runs, rebuilt from the record (absent: its type and recorded pool). */
  retryRequest?(record: OperationRecord): Request;
  /** Why it is never retried, when `retry` is absent. */
  notRetried?: { rule: string; why: (operationId: string) => string };
  /** False: an operator cannot cancel it once it runs. */
  cancellable?: boolean;
  /** The cluster's phase while it runs, and once it has succeeded or failed. */
  phases: { running: ClusterPhase; succeeded: ClusterPhase; failed: ClusterPhase };
  /** A title for the Web UI's child workflow. */
  summary(run: Run): string;
  /** The child workflow that does the work, and its input. */
  workflow: Workflow & ((input: Input) => Promise<Result>);
  input(run: Run): Input;
  /** What must happen before the child runs (spot watchers stopped). */
  before?(run: Run): Promise<void>;
  /** How the child's result changes spec and status. */
  fold(run: Run, result: Result): void;
  /** What must happen once folded (spot watchers started or resized). */
  after?(run: Run): Promise<void>;
  /**
   * After a failure or cancellation: what else must happen (a create rolls back, a pool
   * operation reads what really runs), and the record's final message.
   */
  failed?(run: Run, failure: { message: string; cause: unknown; cancelled: boolean }): Promise<string>;
}

/** An operation module with its types erased, as the table holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = OperationModule<any, any, any>;

/** Turns a day-2 rule's violation into the Update's refusal, naming the rule. */
export function rule(check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof RuleViolation) throw ApplicationFailure.nonRetryable(error.message, 'RuleViolation', { rule: error.rule });
    throw error;
  }
}

export function violation(ruleName: string, message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'RuleViolation', { rule: ruleName });
}

/** The recorded request of a pool operation's retry; runs recorded before retries existed have none. */
export function recordedPool(record: OperationRecord): PoolSpec {
  if (!record.pool) throw violation('retry-recorded-request', `${record.id} was recorded before retries were possible: ask for the change again instead`);
  return record.pool;
}
