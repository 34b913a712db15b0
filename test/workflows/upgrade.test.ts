import type { ClusterStatus, OperationRecord, Progress } from '../../common/cluster-status';
import type { ResolvedProfile } from '../../common/profile';
import { operationWorkflowId, spotWatcherId } from '../../common/workflow-ids';
import { stubActivities, stuckReady } from '../support/stub-activities';
import { until } from '../support/until';
import { entityHarness } from '../support/entity-harness';
import { exampleSpec } from '../unit/fixtures';

type Launch = { key: string; generation?: number; userData?: string };

/**
 * The upgrade operation through the cluster entity on a real dev server, AWS stubbed: the
 * order and pace of the roll, the version in every new node's bootstrap, the profile folded,
 * a cancel that keeps what was rolled, and a retry that finishes it.
 */
describe('upgrade operation', () => {
  const { env, held, withWorker, start, settled, refusedRule, replay } = entityHarness('upgrade');

  type Handle = Awaited<ReturnType<typeof start>>;
  const upgradeTo = (handle: Handle, kubernetesVersion: string) =>
    handle.executeUpdate<{ operationId: string }, [{ kubernetesVersion: string }]>('upgradeCluster', { args: [{ kubernetesVersion }] });

  it('refuses what the version-skew policy forbids, naming the rule', async () => {
    const { activities } = stubActivities();
    await withWorker(activities, async (taskQueue) => {
      const [master, workers] = exampleSpec().pools;
      const handle = await start(taskQueue, 'skew', { pools: [{ ...master, size: 1, azs: ['us-east-1a'] }, { ...workers, size: 1 }] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      expect(await refusedRule(upgradeTo(handle, '1.33.0'))).toBe('kubernetes-one-minor-up');
      expect(await refusedRule(upgradeTo(handle, '2.0.0'))).toBe('kubernetes-version-format');
      expect(await refusedRule(upgradeTo(handle, '1.31.3'))).toBe('kubernetes-never-down');
      expect(await refusedRule(upgradeTo(handle, '1.30.9'))).toBe('kubernetes-never-down');
      expect(await refusedRule(upgradeTo(handle, '1.31.4'))).toBe('kubernetes-version-changes');
      expect((await handle.query<OperationRecord[]>('operations')).map((o) => o.type)).toEqual(['create']);
      await handle.terminate();
    });
  });

  it('rolls the control plane first, then each on-demand pool, one node at a time, every new node booting the new version; folds the profile', async () => {
    const { activities } = stubActivities();
    const events: string[] = [];
    const launches: Launch[] = [];
    const ensure = activities.ensureInstance;
    activities.ensureInstance = async (input: unknown) => {
      const i = input as Launch;
      if (i.generation === 2) {
        launches.push(i);
        events.push(`start ${i.key}`);
      }
      return ensure(input);
    };
    const terminate = activities.terminateInstance;
    activities.terminateInstance = async (input: unknown) => {
      await terminate(input);
      const i = input as Launch;
      if (i.generation !== 2) events.push(`end ${i.key}`);
    };
    await withWorker(activities, async (taskQueue) => {
      const [master, workers, spot] = exampleSpec().pools;
      // The worker pool comes first in the spec: the control plane must still roll first.
      const handle = await start(taskQueue, 'roll', { pools: [{ ...workers, size: 2 }, master, spot] }, { spotIntervalS: 3600 });
      const created = await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      expect(created.pools.flatMap((p) => p.nodes).map((n) => n.kubernetesVersion)).toEqual(Array(5).fill('1.31.4'));

      const { operationId } = await upgradeTo(handle, '1.32.2');
      expect(operationId).toBe('op-2-upgrade');
      const record = await settled(handle, operationId);
      expect(record).toMatchObject({ state: 'Succeeded', kubernetesVersion: '1.32.2' });

      const order = ['node/master/0', 'node/master/1', 'node/master/2', 'node/workers/0', 'node/workers/1'];
      // Each replacement starts only once the previous old node is gone: never two at once. Then
      // the spot pool's watcher replaces its nodes (its launches are its own generations).
      expect(events).toEqual([...order.flatMap((key) => [`start ${key}`, `end ${key}`]), 'end node/spot/0', 'end node/spot/1']);
      expect(launches).toHaveLength(5);
      for (const launch of launches) {
        expect(launch.userData).toContain('KUBERNETES_VERSION=1.32.2');
        expect(launch.userData).toContain('kubernetesVersion: v1.32.2');
        expect(launch.userData).not.toContain('1.31.4');
      }

      const folded = await handle.query<ResolvedProfile>('profile');
      expect(folded.kubernetesVersion).toBe('1.32.2');
      expect(folded.packs.find((p) => p.layer === 'k8s')?.version).toBe('1.32.2');
      const status = await handle.query<ClusterStatus>('status');
      expect(status.phase).toBe('Running');
      const onDemand = status.pools.filter((p) => p.name !== 'spot').flatMap((p) => p.nodes);
      expect(onDemand.map((n) => `${n.key} ${n.generation} ${n.kubernetesVersion}`).sort()).toEqual(order.map((key) => `${key} 2 1.32.2`));

      const progress = await env().client.workflow.getHandle(operationWorkflowId('default', 'roll', operationId)).query<Progress>('progress');
      expect(progress.tasks.map((t) => `${t.name} ${t.state}`)).toEqual([
        'image Succeeded',
        ...order.map((key) => `upgrade ${key} Succeeded`),
        'roll spot through its watcher Succeeded',
        'replace node/spot/0 Succeeded',
        'replace node/spot/1 Succeeded',
      ]);
      const spotNodes = status.pools.find((p) => p.name === 'spot')!.nodes;
      expect(spotNodes.map((n) => `${n.key} ${n.kubernetesVersion}`)).toEqual(['node/spot/0 1.32.2', 'node/spot/1 1.32.2']);

      // The spot pool's watcher heard the cluster as it now is too.
      const watcher = await env().client.workflow.getHandle(spotWatcherId('default', 'roll', 'spot')).fetchHistory();
      const signals = (watcher.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'clusterChanged');
      expect(signals).toHaveLength(1);

      // The folded profile is what the next request is checked against.
      expect(await refusedRule(upgradeTo(handle, '1.32.2'))).toBe('kubernetes-version-changes');

      await replay([handle.workflowId, operationWorkflowId('default', 'roll', operationId), spotWatcherId('default', 'roll', 'spot')]);
      await handle.terminate();
    });
  });

  it('keeps the nodes already upgraded when cancelled mid-roll and says so; a retry finishes the roll', async () => {
    const { activities } = stubActivities();
    const waiting = held();
    stuckReady(activities, (n) => n.key === 'node/workers/1' && n.generation === 2, waiting);
    const launches: Launch[] = [];
    const ensure = activities.ensureInstance;
    activities.ensureInstance = async (input: unknown) => {
      launches.push(input as Launch);
      return ensure(input);
    };
    await withWorker(activities, async (taskQueue) => {
      const [master, workers] = exampleSpec().pools;
      const handle = await start(taskQueue, 'halt', { pools: [{ ...master, size: 1, azs: ['us-east-1a'] }, { ...workers, size: 2 }] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      const { operationId } = await upgradeTo(handle, '1.32.2');
      await waiting.opened;
      // While it rolls, the status shows each node as it is: the replaced ones on the new version.
      const rolling = await handle.query<ClusterStatus>('status');
      expect(rolling.phase).toBe('Updating');
      expect(rolling.pools.flatMap((p) => p.nodes).map((n) => `${n.key} ${n.generation} ${n.kubernetesVersion}`).sort()).toEqual([
        'node/master/0 2 1.32.2',
        'node/workers/0 2 1.32.2',
        'node/workers/1 0 1.31.4',
      ]);
      await handle.executeUpdate('cancelOperation', { args: [{ operationId }] });
      const cancelled = await settled(handle, operationId);
      expect(cancelled.state).toBe('Cancelled');
      expect(cancelled.error).toBe(
        'cancelled on request; what it had launched was removed; already upgraded and kept on Kubernetes 1.32.2: node/master/0, node/workers/0 (the cluster runs both versions until a retry finishes the roll)',
      );
      const halfway = await handle.query<ClusterStatus>('status');
      expect(halfway.phase).toBe('Running');
      expect(halfway.pools.flatMap((p) => p.nodes).map((n) => `${n.key} ${n.kubernetesVersion}`).sort()).toEqual([
        'node/master/0 1.32.2',
        'node/workers/0 1.32.2',
        'node/workers/1 1.31.4',
      ]);
      // Not folded: the cluster is not on the new version until every node is.
      expect((await handle.query<ResolvedProfile>('profile')).kubernetesVersion).toBe('1.31.4');
      const left = (await activities.listClusterInstances({})) as Array<{ key: string; generation: number }>;
      expect(left.filter((n) => n.key.startsWith('node/')).map((n) => `${n.key} ${n.generation}`).sort()).toEqual(['node/master/0 2', 'node/workers/0 2', 'node/workers/1 0']);

      const retry = await handle.executeUpdate<{ operationId: string }, [{ operationId: string }]>('retryOperation', { args: [{ operationId }] });
      expect(retry.operationId).toBe('op-3-upgrade');
      const finished = await settled(handle, retry.operationId);
      expect(finished).toMatchObject({ state: 'Succeeded', retryOf: operationId, kubernetesVersion: '1.32.2' });
      // The retry replaced only the node the first run had not.
      expect(launches.filter((l) => l.generation === 3).map((l) => l.key)).toEqual(['node/workers/1']);
      const progress = await env().client.workflow.getHandle(operationWorkflowId('default', 'halt', retry.operationId)).query<Progress>('progress');
      expect(progress.tasks.map((t) => `${t.name} ${t.state}`)).toEqual([
        'image Succeeded',
        'upgrade node/master/0 Skipped',
        'upgrade node/workers/0 Skipped',
        'upgrade node/workers/1 Succeeded',
      ]);
      const done = await handle.query<ClusterStatus>('status');
      expect(done.pools.flatMap((p) => p.nodes).map((n) => `${n.key} ${n.generation} ${n.kubernetesVersion}`).sort()).toEqual([
        'node/master/0 2 1.32.2',
        'node/workers/0 2 1.32.2',
        'node/workers/1 3 1.32.2',
      ]);
      expect((await handle.query<ResolvedProfile>('profile')).kubernetesVersion).toBe('1.32.2');

      await replay([handle.workflowId, operationWorkflowId('default', 'halt', operationId), operationWorkflowId('default', 'halt', retry.operationId)]);
      await handle.terminate();
    });
  });
});
