import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ClusterStatus, OperationRecord } from '../../common/cluster-status';
import { resolveProfile } from '../../common/profile';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import { clusterListQuery, SEARCH_ATTRIBUTE_KEYS } from '../../common/search-attributes';
import { LISTING_MEMO } from '../../common/cluster-listing';
import type { ClusterEntityInput } from '../../workflows/cluster-entity';
import { clusterWorkflowId } from '../../common/workflow-ids';
import { stubActivities } from '../support/stub-activities';
import { startTemporal } from '../support/temporal';
import { exampleSpec } from '../unit/fixtures';
import { workflowCode } from '../support/workflow-code';

/**
 * A dev server told to suggest continue-as-new after a few dozen history events: the cluster
 * entity must roll over to new runs between operations and keep its spec, status and log.
 */
describe('clusterEntity continue-as-new', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await startTemporal(['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40']);
  });

  afterAll(async () => {
    await env?.teardown();
  });

  async function listed(query: string): Promise<string[]> {
    const runs: string[] = [];
    for await (const execution of env.client.workflow.list({ query })) runs.push(execution.runId);
    return runs;
  }

  it('continues as new between operations and keeps spec, status and operation log', async () => {
    const { activities } = stubActivities();
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'can', ...workflowCode(), activities });
    const spec = exampleSpec({ name: 'rolling' });
    spec.pools = spec.pools.filter((p) => p.name !== 'spot');
    const input: ClusterEntityInput = { project: 'default', spec, profile: resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {}), reconcileIntervalS: 3600 };
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('clusterEntity', {
        taskQueue: 'can',
        workflowId: clusterWorkflowId('default', 'rolling'),
        args: [input],
        // As the API starts it.
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTE_KEYS.ClusterName, value: 'rolling' },
          { key: SEARCH_ATTRIBUTE_KEYS.ClusterProject, value: 'default' },
        ],
      });
      const firstRun = handle.firstExecutionRunId;
      /** Idle after the `count`th operation: it has finished, not merely not started yet. */
      const idle = async (count: number) => {
        for (let i = 0; i < 200; i++) {
          const status = await handle.query<ClusterStatus>('status').catch(() => undefined);
          const operations = await handle.query<OperationRecord[]>('operations').catch(() => []);
          if (status?.phase === 'Running' && !status.currentOperation && operations.length === count && operations.every((o) => o.finishedAt)) return status;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`never idle after ${count} operations`);
      };
      await idle(1);
      const sizes = [4, 2, 5, 3, 4, 1];
      for (const [i, size] of sizes.entries()) {
        await handle.executeUpdate('scalePool', { args: [{ pool: 'workers', size }] });
        await idle(i + 2);
      }
      const status = await idle(1 + sizes.length);
      const operations = await handle.query<OperationRecord[]>('operations');
      const runId = (await handle.describe()).runId;

      expect(runId).not.toBe(firstRun);
      const first = await env.client.workflow.getHandle(handle.workflowId, firstRun).fetchHistory();
      expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
      // GET /v1/clusters lists the cluster once: its current run, not the runs it continued from.
      const everyRun = `WorkflowId = "${handle.workflowId}"`;
      // Visibility lags the runs: poll until the list settles on the current run alone.
      for (let i = 0; i < 100 && (await listed(clusterListQuery('default'))).join() !== runId; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await listed(everyRun)).length).toBeGreaterThan(1);
      expect(await listed(clusterListQuery('default'))).toEqual([runId]);
      // Its listing (GET /v1/clusters) is the current run's memo: the entity publishes it again in each run.
      const listings = async () => {
        const found: Array<{ pools?: Array<{ desired: number }>; currentOperation?: unknown }> = [];
        for await (const execution of env.client.workflow.list({ query: clusterListQuery('default') })) found.push(execution.memo?.[LISTING_MEMO] as (typeof found)[number]);
        return found;
      };
      let memos = await listings();
      for (let i = 0; i < 100 && (memos[0]?.pools?.[1]?.desired !== 1 || memos[0]?.currentOperation); i++) {
        await new Promise((r) => setTimeout(r, 100));
        memos = await listings();
      }
      expect(memos).toEqual([
        expect.objectContaining({
          name: 'rolling',
          phase: 'Running',
          pools: [expect.objectContaining({ name: 'master', desired: 3, nodes: 3 }), expect.objectContaining({ name: 'workers', desired: 1, nodes: 1 })],
        }),
      ]);
      expect(memos[0]).not.toHaveProperty('currentOperation');
      expect(operations.map((o) => `${o.id}:${o.state}`)).toEqual([
        'op-1-create:Succeeded',
        ...sizes.map((_, i) => `op-${i + 2}-scale:Succeeded`),
      ]);
      expect(status.pools.find((p) => p.name === 'workers')?.nodes).toHaveLength(1);
      expect(status.pools.find((p) => p.name === 'master')?.nodes).toHaveLength(3);
      const spec2 = await handle.query<{ pools: Array<{ name: string; size: number }> }>('spec');
      expect(spec2.pools.find((p) => p.name === 'workers')?.size).toBe(1);

      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
    });
  });
  it('keeps only the most recent operations in its log, and goes on numbering them across runs', async () => {
    const { activities } = stubActivities();
    const generations: number[] = [];
    const launch = activities.ensureInstance;
    activities.ensureInstance = async (i: unknown) => {
      const node = i as { key: string; generation: number };
      if (node.key === 'node/workers/3') generations.push(node.generation);
      return launch(i);
    };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'can-bounded', ...workflowCode(), activities });
    const spec = exampleSpec({ name: 'bounded' });
    spec.pools = spec.pools.filter((p) => p.name !== 'spot');
    const input: ClusterEntityInput = {
      project: 'default',
      spec,
      profile: resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {}),
      reconcileIntervalS: 3600,
      operationLogLimit: 3,
    };
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('clusterEntity', { taskQueue: 'can-bounded', workflowId: clusterWorkflowId('default', 'bounded'), args: [input] });
      const settled = async (id: string) => {
        for (let i = 0; i < 200; i++) {
          const operations = await handle.query<OperationRecord[]>('operations').catch(() => [] as OperationRecord[]);
          if (operations.at(-1)?.id === id && operations.at(-1)?.finishedAt) return operations;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`${id} never finished`);
      };
      await settled('op-1-create');
      for (const [i, size] of [4, 2, 5, 3, 4, 1].entries()) {
        const { operationId } = await handle.executeUpdate<{ operationId: string }, [{ pool: string; size: number }]>('scalePool', { args: [{ pool: 'workers', size }] });
        expect(operationId).toBe(`op-${i + 2}-scale`);
        await settled(operationId);
      }
      const operations = await handle.query<OperationRecord[]>('operations');
      expect(operations.map((o) => o.id)).toEqual(['op-5-scale', 'op-6-scale', 'op-7-scale']);
      expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
      // A node's generation is its operation's number, not the log's length: workers/3 was
      // launched by op-2 (size 4), op-4 (size 5) and op-6 (size 4).
      expect(generations).toEqual([2, 4, 6]);
      const { operationId } = await handle.executeUpdate<{ operationId: string }, []>('deleteCluster');
      expect(operationId).toBe('op-8-delete');
      expect((await handle.result()).phase).toBe('Deleted');
    });
  });
  it('follows a changed setting from its next run on, without being recreated', async () => {
    const { activities, calls } = stubActivities();
    // The worker's settings: at first the interval the cluster was created with (an hour).
    const settings = { reconcileIntervalS: 3600 };
    activities.liveSettings = async () => ({ ...settings });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'can-settings', ...workflowCode(), activities });
    const spec = exampleSpec({ name: 'tuned' });
    spec.pools = spec.pools.filter((p) => p.name !== 'spot');
    const input: ClusterEntityInput = { project: 'default', spec, profile: resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {}), reconcileIntervalS: 3600 };
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('clusterEntity', { taskQueue: 'can-settings', workflowId: clusterWorkflowId('default', 'tuned'), args: [input] });
      const idle = async () => {
        for (let i = 0; i < 200; i++) {
          const status = await handle.query<ClusterStatus>('status').catch(() => undefined);
          const operations = await handle.query<OperationRecord[]>('operations').catch(() => []);
          if (status?.phase === 'Running' && !status.currentOperation && operations.at(-1)?.finishedAt) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('never idle');
      };
      await idle();
      const checks = () => calls.filter((c) => c === 'listClusterInstances').length;
      const before = checks();
      // The setting changes; the cluster's next run (after a few operations) follows it.
      settings.reconcileIntervalS = 1;
      const firstRun = handle.firstExecutionRunId;
      for (const size of [4, 2, 5, 3]) {
        await handle.executeUpdate('scalePool', { args: [{ pool: 'workers', size }] });
        await idle();
        if ((await handle.describe()).runId !== firstRun) break;
      }
      expect((await handle.describe()).runId).not.toBe(firstRun);
      // Checks every second now; at an hour, none would have come.
      for (let i = 0; i < 200 && checks() < before + 3; i++) await new Promise((r) => setTimeout(r, 100));
      expect(checks()).toBeGreaterThanOrEqual(before + 3);
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
    });
  });
});
