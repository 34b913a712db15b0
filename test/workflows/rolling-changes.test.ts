import type { ClusterSpec, PoolSpec } from '../../common/cluster-spec';
import type { ClusterStatus, Progress } from '../../common/cluster-status';
import type { ProfileChange } from '../../common/day2-rules';
import { resolveProfile, withKubernetesVersion, type ResolvedProfile } from '../../common/profile';
import { operationWorkflowId } from '../../common/workflow-ids';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import type { ReconfigureArgs } from '../../workflows/operations/reconfigure';
import { Stub, stubActivities, stuckReady } from '../support/stub-activities';
import { until } from '../support/until';
import { entityHarness } from '../support/entity-harness';
import { exampleSpec } from '../unit/fixtures';

type Launch = { key: string; generation?: number; userData?: string; rootVolume?: unknown; instanceType: string };

/**
 * Changes that roll nodes because what they launch with changes, on a real dev server with AWS
 * stubbed: a pool's labels, taints and root volume (reconfigure), and the cluster's profile.
 * Only the nodes whose launch differs are replaced; a stopped roll keeps what it replaced and
 * its retry finishes the rest.
 */
describe('rolling launch-setting and profile changes', () => {
  const { env, held, withWorker, start, settled, refusedRule, replay } = entityHarness('rolling');
  type Handle = Awaited<ReturnType<typeof start>>;

  /** Every launch after the create (generation above 1). */
  function recordLaunches(activities: Record<string, Stub>): Launch[] {
    const launches: Launch[] = [];
    const ensure = activities.ensureInstance;
    activities.ensureInstance = async (input: unknown) => {
      if (((input as Launch).generation ?? 0) > 1) launches.push(input as Launch);
      return ensure(input);
    };
    return launches;
  }

  const reconfigure = (handle: Handle, args: ReconfigureArgs) => handle.executeUpdate<{ operationId: string }, [ReconfigureArgs]>('reconfigurePool', { args: [args] });
  const changeProfile = (handle: Handle, change: ProfileChange) => handle.executeUpdate<{ operationId: string }, [ProfileChange]>('changeProfile', { args: [change] });
  const tasksOf = async (name: string, operationId: string) =>
    (await env().client.workflow.getHandle(operationWorkflowId('default', name, operationId)).query<Progress>('progress')).tasks.map((t) => `${t.name} ${t.state}`);

  it('rolls only the pool whose labels, taints or root volume change, each new node booting them; a change to nothing is refused', async () => {
    const { activities } = stubActivities();
    const launches = recordLaunches(activities);
    await withWorker(activities, async (taskQueue) => {
      const [master, workers] = exampleSpec().pools;
      const handle = await start(taskQueue, 'gpu', { pools: [{ ...master, size: 1, azs: ['us-east-1a'] }, { ...workers, size: 2 }] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');

      const labels = { 'example.com/accelerator': 'nvidia-t4' };
      const taints = [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' as const }];
      const first = await reconfigure(handle, { pool: 'workers', labels, taints });
      expect(await settled(handle, first.operationId)).toMatchObject({ state: 'Succeeded', pool: { name: 'workers', labels, taints, instanceType: 'm5.large' } });
      expect(launches.map((l) => `${l.key} ${l.generation}`)).toEqual(['node/workers/0 2', 'node/workers/1 2']);
      for (const launch of launches) {
        expect(launch.userData).toContain('value: example.com/accelerator=nvidia-t4');
        expect(launch.userData).toContain('key: nvidia.com/gpu');
        expect(launch.rootVolume).toBeUndefined();
      }
      expect(await tasksOf('gpu', first.operationId)).toEqual(['image Succeeded', 'replace node/workers/0 Succeeded', 'replace node/workers/1 Succeeded']);
      const spec = await handle.query<ClusterSpec>('spec');
      expect(spec.pools.find((p) => p.name === 'workers')).toMatchObject({ labels, taints });
      const status = await handle.query<ClusterStatus>('status');
      expect(status.pools.find((p) => p.name === 'workers')!.nodes.every((n) => n.generation === 2 && typeof n.launchDigest === 'string')).toBe(true);
      expect(status.pools.find((p) => p.name === 'master')!.nodes.map((n) => n.generation)).toEqual([0]);

      expect(await refusedRule(reconfigure(handle, { pool: 'workers', labels: { ...labels } }))).toBe('launch-settings-change');
      expect(await refusedRule(reconfigure(handle, { pool: 'workers', labels: { 'node-role.kubernetes.io/gpu': '' } }))).toBe('label-kubelet-namespace');

      const second = await reconfigure(handle, { pool: 'workers', rootVolume: { sizeGiB: 200, type: 'gp3' } });
      expect((await settled(handle, second.operationId)).state).toBe('Succeeded');
      const volumeLaunches = launches.filter((l) => l.generation === Number(second.operationId.split('-')[1]));
      expect(volumeLaunches.map((l) => l.key)).toEqual(['node/workers/0', 'node/workers/1']);
      for (const launch of volumeLaunches) {
        expect(launch.rootVolume).toEqual({ sizeGiB: 200, type: 'gp3' });
        // The labels and taints stay: the change gave only the volume.
        expect(launch.userData).toContain('value: example.com/accelerator=nvidia-t4');
      }
      await replay([handle.workflowId, operationWorkflowId('default', 'gpu', first.operationId), operationWorkflowId('default', 'gpu', second.operationId)]);
      await handle.terminate();
    });
  });

  it('keeps the nodes a cancelled settings roll replaced; its retry replaces only the rest', async () => {
    const { activities } = stubActivities();
    const waiting = held();
    stuckReady(activities, (n) => n.key === 'node/workers/1' && n.generation === 2, waiting);
    const launches = recordLaunches(activities);
    await withWorker(activities, async (taskQueue) => {
      const [master, workers] = exampleSpec().pools;
      const handle = await start(taskQueue, 'halt', { pools: [{ ...master, size: 1, azs: ['us-east-1a'] }, { ...workers, size: 3 }] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      const labels = { tier: 'batch' };
      const { operationId } = await reconfigure(handle, { pool: 'workers', labels });
      await waiting.opened;
      await handle.executeUpdate('cancelOperation', { args: [{ operationId }] });
      const cancelled = await settled(handle, operationId);
      expect(cancelled.state).toBe('Cancelled');
      expect(cancelled.error).toBe(
        'cancelled on request; what it had launched was removed; already replaced and kept on the new launch settings: node/workers/0 (the pool runs both launch settings until a retry finishes the roll)',
      );
      // The record still has no labels; the node that has them says so with its digest.
      expect((await handle.query<ClusterSpec>('spec')).pools.find((p) => p.name === 'workers')!.labels).toBeUndefined();
      const halfway = (await handle.query<ClusterStatus>('status')).pools.find((p) => p.name === 'workers')!.nodes;
      expect(halfway.map((n) => `${n.key} ${n.generation} ${n.launchDigest ? 'digest' : '-'}`).sort()).toEqual(['node/workers/0 2 digest', 'node/workers/1 0 -', 'node/workers/2 0 -']);

      const retry = await handle.executeUpdate<{ operationId: string }, [{ operationId: string }]>('retryOperation', { args: [{ operationId }] });
      expect((await settled(handle, retry.operationId)).state).toBe('Succeeded');
      expect(launches.filter((l) => l.generation === 3).map((l) => l.key)).toEqual(['node/workers/1', 'node/workers/2']);
      expect(await tasksOf('halt', retry.operationId)).toEqual(['image Succeeded', 'replace node/workers/1 Succeeded', 'replace node/workers/2 Succeeded']);
      expect((await handle.query<ClusterSpec>('spec')).pools.find((p) => p.name === 'workers')!.labels).toEqual(labels);
      await replay([handle.workflowId, operationWorkflowId('default', 'halt', operationId), operationWorkflowId('default', 'halt', retry.operationId)]);
      await handle.terminate();
    });
  });

  it('changes the profile: only the nodes whose bootstrap differs roll, control plane first; a change no node boots is only recorded', async () => {
    const { activities } = stubActivities();
    const launches = recordLaunches(activities);
    await withWorker(activities, async (taskQueue) => {
      const [master, workers] = exampleSpec().pools;
      const pools: PoolSpec[] = [{ ...workers, size: 2 }, { ...master, size: 1, azs: ['us-east-1a'] }];
      const handle = await start(taskQueue, 'prof', { pools, profile: { id: 'aws-default' } });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');

      // An add-on's values reach no node: nothing is replaced, the profile is recorded.
      const addOnOverrides = { 'aws-ebs-csi': { defaultStorageClass: 'gp2' } };
      const addOn = { ref: { id: 'aws-default', overrides: addOnOverrides }, profile: resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, addOnOverrides) };
      const quiet = await changeProfile(handle, addOn);
      expect(await settled(handle, quiet.operationId)).toMatchObject({ state: 'Succeeded', type: 'change-profile' });
      expect(launches).toEqual([]);
      expect(await tasksOf('prof', quiet.operationId)).toEqual([
        'image Skipped',
        'replace node/master/0 Skipped',
        'replace node/workers/0 Skipped',
        'replace node/workers/1 Skipped',
      ]);
      expect((await handle.query<ClusterSpec>('spec')).profile).toEqual(addOn.ref);
      expect((await handle.query<ResolvedProfile>('profile')).packs.find((p) => p.name === 'aws-ebs-csi')?.values.defaultStorageClass).toBe('gp2');
      expect(await refusedRule(changeProfile(handle, addOn))).toBe('profile-changes');
      const cidr = { kubernetes: { podCIDR: '10.244.0.0/16' } };
      expect(await refusedRule(changeProfile(handle, { ref: { id: 'aws-default', overrides: cidr }, profile: resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, cidr) }))).toBe('pod-cidr-fixed');

      // A newer Kubernetes in the profile: every on-demand node's bootstrap differs.
      const newer = { ref: { id: 'aws-default', overrides: addOnOverrides }, profile: withKubernetesVersion(addOn.profile, '1.32.1') };
      const loud = await changeProfile(handle, newer);
      expect((await settled(handle, loud.operationId)).state).toBe('Succeeded');
      expect(launches.map((l) => l.key)).toEqual(['node/master/0', 'node/workers/0', 'node/workers/1']);
      for (const launch of launches) expect(launch.userData).toContain('KUBERNETES_VERSION=1.32.1');
      expect((await handle.query<ResolvedProfile>('profile')).kubernetesVersion).toBe('1.32.1');
      const nodes = (await handle.query<ClusterStatus>('status')).pools.flatMap((p) => p.nodes);
      expect(nodes.map((n) => `${n.key} ${n.kubernetesVersion}`).sort()).toEqual(['node/master/0 1.32.1', 'node/workers/0 1.32.1', 'node/workers/1 1.32.1']);
      await replay([handle.workflowId, operationWorkflowId('default', 'prof', quiet.operationId), operationWorkflowId('default', 'prof', loud.operationId)]);
      await handle.terminate();
    });
  });
});
