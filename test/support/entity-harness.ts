/**
 * What the entity-level workflow suites share: a dev server, a worker per test on its own
 * task queue with stubbed activities, a cluster entity started from the example spec, and
 * the waits and checks they all make (an operation settled, an Update refused by rule, the
 * histories replayed).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ClusterSpec } from '../../common/cluster-spec';
import type { OperationRecord } from '../../common/cluster-status';
import { resolveProfile } from '../../common/profile';
import { clusterWorkflowId } from '../../common/workflow-ids';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import type { ClusterEntityInput } from '../../workflows/cluster-entity';
import { exampleSpec } from '../unit/fixtures';
import { gate, Stub } from './stub-activities';
import { startTemporal } from './temporal';
import { until } from './until';
import { workflowCode } from './workflow-code';

export function entityHarness(queuePrefix: string) {
  const state: { env?: TestWorkflowEnvironment } = {};
  const profile = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {});
  let taskQueueN = 0;
  /** Gates the stubs await to order events; a test's body that ends, even failing, opens them. */
  const gates: Array<ReturnType<typeof gate>> = [];

  beforeAll(async () => {
    state.env = await startTemporal();
  });

  afterAll(async () => {
    await state.env?.teardown();
  });

  const env = (): TestWorkflowEnvironment => {
    if (!state.env) throw new Error('the dev server is not started (beforeAll)');
    return state.env;
  };

  async function withWorker<T>(activities: Record<string, Stub>, body: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `${queuePrefix}-${++taskQueueN}`;
    const worker = await Worker.create({ connection: env().nativeConnection, taskQueue, ...workflowCode(), activities });
    // A stub still held would keep the worker from shutting down.
    return worker.runUntil(body(taskQueue).finally(() => gates.splice(0).forEach((g) => g.open())));
  }

  async function start(taskQueue: string, name: string, spec: Partial<ClusterSpec>, options: Partial<ClusterEntityInput> = {}) {
    const input: ClusterEntityInput = { project: 'default', spec: exampleSpec({ name, ...spec }), profile, reconcileIntervalS: 3600, ...options };
    return env().client.workflow.start('clusterEntity', { taskQueue, workflowId: clusterWorkflowId('default', name), args: [input] });
  }

  async function settled(handle: { query: <T>(q: string) => Promise<T> }, operationId: string): Promise<OperationRecord> {
    const ops = await until(() => handle.query<OperationRecord[]>('operations'), (o) => ['Succeeded', 'Failed', 'Cancelled'].includes(o.find((r) => r.id === operationId)?.state ?? ''), `${operationId} settled`);
    return ops.find((r) => r.id === operationId)!;
  }

  /** The rule an Update was refused by; fails the test when it was accepted or refused otherwise. */
  async function refusedRule(send: Promise<unknown>): Promise<string | undefined> {
    const error = await send.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (error as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('RuleViolation');
    return (cause.details?.[0] as { rule?: string })?.rule;
  }

  async function replay(workflowIds: string[]): Promise<void> {
    for (const workflowId of workflowIds) {
      const history = await env().client.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode() }, history, workflowId);
    }
  }

  function held() {
    const g = gate();
    gates.push(g);
    return g;
  }

  return { env, profile, gates, held, withWorker, start, settled, refusedRule, replay };
}
