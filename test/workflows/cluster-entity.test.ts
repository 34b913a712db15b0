import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { ClusterSpec } from '../../common/cluster-spec';
import type { ClusterStatus, OperationRecord, Progress } from '../../common/cluster-status';
import { resolveProfile } from '../../common/profile';
import { BUILT_IN_PROFILES } from '../../store/built-in-profiles';
import type { ClusterEntityInput } from '../../workflows/cluster-entity';
import { clusterWorkflowId, operationWorkflowId } from '../../common/workflow-ids';
import { startTemporal } from '../support/temporal';
import { until } from '../support/until';
import { gate, Stub, stubActivities, stuckReady } from '../support/stub-activities';
import { exampleSpec } from '../unit/fixtures';
import { workflowCode } from '../support/workflow-code';

/**
 * The cluster entity and its create/delete children on a real dev server, with the AWS
 * activities stubbed (the activity suites and the end-to-end suite use the real ones).
 */
describe('clusterEntity workflow', () => {
  let env: TestWorkflowEnvironment;
  const profile = resolveProfile('aws-default', BUILT_IN_PROFILES[0].packs, {});
  let taskQueueN = 0;

  beforeAll(async () => {
    env = await startTemporal();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  /** Gates the stubs await to order events; a test's body that ends, even failing, opens them. */
  const gates: Array<ReturnType<typeof gate>> = [];
  function held() {
    const g = gate();
    gates.push(g);
    return g;
  }

  async function withWorker<T>(activities: Record<string, Stub>, body: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `entity-${++taskQueueN}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowCode(), activities });
    // A stub still held would keep the worker from shutting down.
    return worker.runUntil(body(taskQueue).finally(() => gates.splice(0).forEach((g) => g.open())));
  }

  async function start(taskQueue: string, name: string, spec: Partial<ClusterSpec> = {}, options: Partial<ClusterEntityInput> = {}) {
    const input: ClusterEntityInput = { project: 'default', spec: exampleSpec({ name, ...spec }), profile, ...options };
    return env.client.workflow.start('clusterEntity', { taskQueue, workflowId: clusterWorkflowId('default', name), args: [input] });
  }

  it('creates, reports progress and phase, then deletes and ends; the histories replay', async () => {
    const { activities, calls } = stubActivities();
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'alpha');
      const running = await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      expect(running.network).toMatchObject({ placement: 'dynamic', apiEndpoint: 'demo-api.elb.example:6443', loadBalancerName: 'demo-api' });
      expect(running.network.subnets).toHaveLength(3);
      expect(running.pools.map((p) => [p.name, p.nodes.length])).toEqual([['master', 3], ['workers', 3], ['spot', 0]]);
      expect(running.pools[2].waiting).toMatchObject({ count: 2 });
      expect(running.pools.map((p) => p.capacity)).toEqual([{ type: 'on-demand' }, { type: 'on-demand' }, { type: 'spot', maxPricePercent: 60 }]);
      expect(calls.filter((c) => c === 'ensureNatGateway')).toHaveLength(3);
      expect(calls.filter((c) => c === 'registerWithLoadBalancer')).toHaveLength(3);

      const [create] = await handle.query<OperationRecord[]>('operations');
      expect(create).toMatchObject({ id: 'op-1-create', type: 'create', state: 'Succeeded' });
      const progress = await env.client.workflow.getHandle(create.workflowId).query<Progress>('progress');
      expect(progress.completed).toBe(progress.total);
      expect(progress.tasks.map((t) => t.name)).toEqual(expect.arrayContaining(['preflight', 'vpc', 'nat gateway us-east-1b', 'node/master/2']));
      // The Web UI names each activity by its step and resource (activity summaries).
      const createHistory = await env.client.workflow.getHandle(create.workflowId).fetchHistory();
      const summaries = (createHistory.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes && e.userMetadata?.summary?.data)
        .map((e) => JSON.parse(Buffer.from(e.userMetadata!.summary!.data!).toString('utf8')));
      expect(summaries).toEqual(expect.arrayContaining(['ensureVpc vpc', 'ensureSubnet subnet/private/us-east-1c', 'ensureInstance node/workers/2']));
      const description = await handle.describe();
      expect(description.typedSearchAttributes.getAll().find((p) => p.key.name === 'ClusterPhase')?.value).toBe('Running');

      const { operationId } = await handle.executeUpdate<{ operationId: string }, []>('deleteCluster');
      expect(operationId).toBe('op-2-delete');
      const final = await handle.result();
      expect(final.phase).toBe('Deleted');
      expect(calls).toEqual(expect.arrayContaining(['terminateClusterInstances', 'deleteVpc', 'releaseElasticIp', 'deleteJoinSecret']));
      // Elastic IPs go only after their NAT gateways are deleted.
      expect(calls.indexOf('releaseElasticIp')).toBeGreaterThan(calls.indexOf('deleteNatGateway'));
      expect(calls.lastIndexOf('deleteSecurityGroup')).toBeGreaterThan(calls.indexOf('terminateClusterInstances'));

      const histories = [handle.workflowId, create.workflowId, `${handle.workflowId}/op-2-delete`].map(async (workflowId) => ({
        workflowId,
        history: await env.client.workflow.getHandle(workflowId).fetchHistory(),
      }));
      for (const { workflowId, history } of await Promise.all(histories)) {
        await Worker.runReplayHistory({ ...workflowCode() }, history, workflowId);
      }
    });
  });

  it('reads a carried status whose capacity is in words (recorded before it was a union) as the union', async () => {
    const { activities } = stubActivities();
    await withWorker(activities, async (taskQueue) => {
      const spec = exampleSpec({ name: 'worded' });
      const pool = (name: string, capacity: string) => ({ name, role: 'worker', desired: 2, instanceType: 'm5.large', capacity, nodes: [] });
      const worded = {
        name: 'worded',
        project: 'default',
        region: 'us-east-1',
        phase: 'Running',
        network: { placement: 'dynamic', subnets: [], natGateways: [], securityGroups: {} },
        pools: [pool('master', 'on-demand'), pool('workers', 'on-demand'), pool('spot', 'spot (max 60% of on-demand)')],
      };
      const handle = await env.client.workflow.start('clusterEntity', {
        taskQueue,
        workflowId: clusterWorkflowId('default', 'worded'),
        args: [{ project: 'default', spec, profile, reconcileIntervalS: 3600, carried: { status: worded, operations: [], operationCount: 1 } }],
      });
      const status = await handle.query<ClusterStatus>('status');
      expect(status.pools.map((p) => p.capacity)).toEqual([{ type: 'on-demand' }, { type: 'on-demand' }, { type: 'spot', maxPricePercent: 60 }]);
      await handle.terminate();
    });
  });

  /** An operation's `progress`, polled until it shows what `ok` wants; a failed query (no child yet) counts as not yet. */
  async function progressUntil(name: string, operationId: string, ok: (p: Progress) => boolean, what: string): Promise<Progress> {
    const operation = env.client.workflow.getHandle(operationWorkflowId('default', name, operationId));
    const probe = () => operation.query<Progress>('progress').catch((e: Error) => `query failed: ${e.message}`);
    return (await until(probe, (p) => typeof p !== 'string' && ok(p), what)) as Progress;
  }

  it('refuses a delete while the create runs, naming the running operation', async () => {
    const vpc = held();
    const { activities } = stubActivities({ ensureVpc: async () => { await vpc.opened; return { vpcId: 'vpc-1' }; } });
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'beta');
      await until(() => handle.query<OperationRecord[]>('operations'), (ops) => ops.length === 1, 'the create');
      const refused = await handle.executeUpdate('deleteCluster').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (refused as WorkflowUpdateFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('OperationInProgress');
      expect(cause.message).toBe('operation op-1-create (create) is running');
      vpc.open();
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
    });
  });

  const natLimit = async () => {
    throw ApplicationFailure.create({ message: 'NatGatewayLimitExceeded: The maximum number of NAT gateways has been reached.', type: 'NatGatewayLimitExceeded', nonRetryable: true });
  };

  it('fails the create with AWS’s message on the task, rolls back what it made, and can still delete', async () => {
    const { activities, calls } = stubActivities({ ensureNatGateway: natLimit });
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'gamma');
      const failed = await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Failed', 'Failed');
      expect(failed.lastError).toBe('create failed: NatGatewayLimitExceeded: The maximum number of NAT gateways has been reached.; rolled back: everything it had created was removed');
      expect(failed.network).toMatchObject({ subnets: [], natGateways: [] });
      const [create] = await handle.query<OperationRecord[]>('operations');
      expect(create).toMatchObject({ state: 'Failed', rollbackWorkflowId: `${create.workflowId}/rollback` });
      const progress = await env.client.workflow.getHandle(create.workflowId).query<Progress>('progress');
      expect(progress.tasks.find((t) => t.state === 'Failed')).toMatchObject({ message: expect.stringContaining('NatGatewayLimitExceeded') });
      // No node was launched into an AZ whose NAT route never came.
      expect(progress.tasks.filter((t) => t.name.startsWith('node/')).map((t) => t.state)).toEqual(Array(6).fill('Pending'));
      // The rollback is the delete's runbook, but the failed cluster keeps its account.
      const rollback = await env.client.workflow.getHandle(create.rollbackWorkflowId!).query<Progress>('progress');
      expect(rollback.completed).toBe(rollback.total);
      expect(calls).toEqual(expect.arrayContaining(['terminateClusterInstances', 'deleteNatGateway', 'releaseElasticIp', 'deleteSubnet', 'deleteVpc', 'deleteJoinSecret', 'deleteNodeInstanceProfile']));
      expect(calls).not.toContain('releaseCloudAccountUsage');

      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
      expect(calls.filter((c) => c === 'releaseCloudAccountUsage')).toHaveLength(1);
      for (const workflowId of [handle.workflowId, create.workflowId, create.rollbackWorkflowId!]) {
        await Worker.runReplayHistory({ ...workflowCode() }, await env.client.workflow.getHandle(workflowId).fetchHistory(), workflowId);
      }
    });
  });

  it('retries the latest failed operation as it was asked, and refuses what cannot be retried', async () => {
    let natFailures = 1;
    const { activities } = stubActivities({
      ensureNatGateway: async () => {
        if (natFailures-- > 0) return natLimit();
        return { natGatewayId: 'nat-1' };
      },
    });
    const refusal = async (handle: { executeUpdate: (name: string, options: { args: [unknown] }) => Promise<unknown> }, operationId: string) => {
      const error = await handle.executeUpdate('retryOperation', { args: [{ operationId }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      return (error as WorkflowUpdateFailedError).cause as ApplicationFailure;
    };
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'kappa', { pools: exampleSpec().pools.slice(0, 2) });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Failed', 'Failed');
      expect(await refusal(handle, 'op-9-scale')).toMatchObject({ type: 'OperationNotFound' });
      const { operationId } = await handle.executeUpdate<{ operationId: string }, [{ operationId: string }]>('retryOperation', { args: [{ operationId: 'op-1-create' }] });
      expect(operationId).toBe('op-2-create');
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running after the retry');
      const ops = await handle.query<OperationRecord[]>('operations');
      expect(ops.map((o) => [o.id, o.state, o.retryOf])).toEqual([
        ['op-1-create', 'Failed', undefined],
        ['op-2-create', 'Succeeded', 'op-1-create'],
      ]);
      expect(await refusal(handle, 'op-2-create')).toMatchObject({ type: 'OperationNotRetryable', message: 'operation op-2-create is Succeeded; only a Failed or Cancelled operation can be retried' });
      expect(await refusal(handle, 'op-1-create')).toMatchObject({ type: 'RuleViolation', details: [{ rule: 'retry-latest-only' }] });
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
    });
  });

  it('keeps what a failed create made when asked to, and says so', async () => {
    const { activities, calls } = stubActivities({ ensureNatGateway: natLimit });
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'gamma-kept', {}, { keepOnFailure: true });
      const failed = await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Failed', 'Failed');
      expect(failed.lastError).toBe(
        'create failed: NatGatewayLimitExceeded: The maximum number of NAT gateways has been reached.; what it created is kept (keepOnFailure): DELETE the cluster to remove it',
      );
      const [create] = await handle.query<OperationRecord[]>('operations');
      expect(create.rollbackWorkflowId).toBeUndefined();
      expect(calls).not.toContain('deleteVpc');
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
      expect(calls).toContain('deleteVpc');
    });
  });

  it('terminates what a failed scale-up launched, stopping the launches still in flight, and says so', async () => {
    const fourWaiting = held();
    const { activities, terminated } = stubActivities();
    activities.waitInstanceReady = async (input: unknown) => {
      const i = input as { instanceId: string };
      const launchedKeys = await activities.listClusterInstances({});
      const node = (launchedKeys as Array<{ instanceId: string; key: string }>).find((n) => n.instanceId === i.instanceId);
      // Only the scale's first run meets trouble; its retry finds AWS well.
      const firstRun = (node as { generation?: number } | undefined)?.generation === 2;
      if (node?.key === 'node/workers/3' && firstRun) {
        await fourWaiting.opened;
        throw ApplicationFailure.create({ message: 'InstanceNotRunning: instance stopped', type: 'InstanceNotRunning', nonRetryable: true });
      }
      if (node?.key === 'node/workers/4' && firstRun) {
        // Still waiting when workers/3 fails; it ends only by being cancelled (seen at a heartbeat).
        fourWaiting.open();
        const context = Context.current();
        for (;;) {
          context.heartbeat();
          await context.sleep(100);
        }
      }
      return { ...node, state: 'running' };
    };
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'theta', { pools: exampleSpec().pools.slice(0, 2) });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      const { operationId } = await handle.executeUpdate<{ operationId: string }, [{ pool: string; size: number }]>('scalePool', { args: [{ pool: 'workers', size: 5 }] });
      // workers/3 fails while workers/4 is still waiting: the failure must not wait it out, nor leave it.
      const ops = await until(() => handle.query<OperationRecord[]>('operations'), (o) => o.find((r) => r.id === operationId)?.state !== 'Running', 'the scale settled');
      const scale = ops.find((r) => r.id === operationId)!;
      expect(scale.state).toBe('Failed');
      expect(scale.error).toMatch(/^InstanceNotRunning: instance stopped; what it had launched was terminated \(node\/workers\/[34] i-\w+, node\/workers\/[34] i-\w+\)$/);
      const generation = Number(operationId.split('-')[1]);
      expect(terminated.filter((t) => t.generation === generation).map((t) => t.key).sort()).toEqual(['node/workers/3', 'node/workers/4']);
      const left = (await activities.listClusterInstances({})) as Array<{ key: string; generation: number }>;
      expect(left.filter((n) => n.generation === generation)).toEqual([]);
      const status = await handle.query<ClusterStatus>('status');
      expect(status.phase).toBe('Running');
      expect(status.pools.find((p) => p.name === 'workers')?.nodes.map((n) => n.key).sort()).toEqual(['node/workers/0', 'node/workers/1', 'node/workers/2']);

      const retried = await handle.executeUpdate<{ operationId: string }, [{ operationId: string }]>('retryOperation', { args: [{ operationId }] });
      expect(retried.operationId).toBe('op-3-scale');
      const settled = await until(() => handle.query<OperationRecord[]>('operations'), (o) => o.at(-1)?.state !== 'Running', 'the retry settled');
      expect(settled.at(-1)).toMatchObject({ id: 'op-3-scale', state: 'Succeeded', retryOf: operationId, pool: { name: 'workers', size: 5 } });
      const workers = (await handle.query<ClusterStatus>('status')).pools.find((p) => p.name === 'workers')!;
      expect(workers.nodes.map((n) => n.key).sort()).toEqual(['node/workers/0', 'node/workers/1', 'node/workers/2', 'node/workers/3', 'node/workers/4']);
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
      await Worker.runReplayHistory(
        { ...workflowCode() },
        await env.client.workflow.getHandle(scale.workflowId).fetchHistory(),
        scale.workflowId,
      );
    });
  });

  it('repairs a node stopped behind its back, then terminates the stopped instance', async () => {
    const { activities, terminated } = stubActivities();
    const list = activities.listClusterInstances;
    let stopped: string | undefined;
    activities.listClusterInstances = async (input: unknown) =>
      ((await list(input)) as Array<{ instanceId: string; state: string }>).map((n) => (n.instanceId === stopped ? { ...n, state: 'stopped' } : n));
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'iota', { pools: exampleSpec().pools.slice(0, 2) }, { reconcileIntervalS: 1 });
      const running = await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      const victim = running.pools.find((p) => p.name === 'workers')!.nodes[1];
      stopped = victim.instanceId;
      const ops = await until(() => handle.query<OperationRecord[]>('operations'), (o) => o.some((r) => r.type === 'repair' && r.state !== 'Running'), 'a repair');
      const repair = ops.find((r) => r.type === 'repair')!;
      expect(repair).toMatchObject({ state: 'Succeeded', reason: `${victim.key} (${victim.instanceId}) is stopped` });
      expect(terminated).toEqual([{ scope: expect.anything(), key: victim.key, generation: victim.generation }]);
      const after = await handle.query<ClusterStatus>('status');
      const replaced = after.pools.find((p) => p.name === 'workers')!.nodes.find((n) => n.key === victim.key)!;
      expect(replaced.instanceId).not.toBe(victim.instanceId);
      expect(replaced.generation).not.toBe(victim.generation);
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
    });
  });

  it('lets an operator’s delete preempt a running self-repair, which first takes back what it launched', async () => {
    const { activities, terminated } = stubActivities();
    const list = activities.listClusterInstances;
    let gone: string | undefined;
    activities.listClusterInstances = async (input: unknown) =>
      ((await list(input)) as Array<{ instanceId: string; state: string }>).map((n) => (n.instanceId === gone ? { ...n, state: 'terminated' } : n));
    const replacementWaiting = held();
    const ready = activities.waitInstanceReady;
    activities.waitInstanceReady = async (input: unknown) => {
      const i = input as { instanceId: string };
      const node = ((await list({})) as Array<{ instanceId: string; generation: number }>).find((n) => n.instanceId === i.instanceId);
      if (!node || node.generation === 0) return ready(input);
      // The repair's replacement never gets ready by itself: only the preemption ends its wait.
      replacementWaiting.open();
      const context = Context.current();
      for (;;) {
        context.heartbeat();
        await context.sleep(100);
      }
    };
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'lambda', { pools: exampleSpec().pools.slice(0, 2) }, { reconcileIntervalS: 1 });
      const running = await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      const victim = running.pools.find((p) => p.name === 'workers')!.nodes[0];
      gone = victim.instanceId;
      await replacementWaiting.opened;
      const [repair] = (await handle.query<OperationRecord[]>('operations')).filter((o) => o.type === 'repair');
      expect(repair.state).toBe('Running');

      const { operationId } = await handle.executeUpdate<{ operationId: string }, []>('deleteCluster');
      expect(operationId).toBe('op-3-delete');
      expect((await handle.result()).phase).toBe('Deleted');
      const ops = await handle.query<OperationRecord[]>('operations');
      expect(ops.map((o) => [o.id, o.state])).toEqual([['op-1-create', 'Succeeded'], ['op-2-repair', 'Cancelled'], ['op-3-delete', 'Succeeded']]);
      expect(ops[1].error).toBe("cancelled: the operator's delete request comes first; what it had launched was removed, and the next check repairs again");
      expect(terminated).toContainEqual({ scope: expect.anything(), key: victim.key, generation: 2 });
      const repairHistory = await env.client.workflow.getHandle(ops[1].workflowId).fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode() }, repairHistory, ops[1].workflowId);
    });
  });

  it('lets the first control-plane node initialise the cluster whatever the order of the pools', async () => {
    const joinModes = new Map<string, string>();
    const { activities } = stubActivities();
    const launch = activities.ensureInstance;
    activities.ensureInstance = async (input: unknown) => {
      const i = input as { key: string; userData: string };
      joinModes.set(i.key, /JOIN_MODE=([a-z-]+)/.exec(i.userData)?.[1] ?? 'none');
      return launch(i);
    };
    const [master, workers] = exampleSpec().pools;
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'delta', { pools: [workers, master] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      expect([...joinModes].filter(([, mode]) => mode === 'init').map(([key]) => key)).toEqual(['node/master/0']);
      expect(joinModes.get('node/master/1')).toBe('control-plane');
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
    });
  });

  it('is Running only once an AZ used by spot pools alone has its NAT route', async () => {
    const routes: string[] = [];
    const spotRoute = held();
    const { activities } = stubActivities({
      ensureRouteTable: async (i: { key: string }) => {
        // The spot-only AZ's route comes last: held until the test has seen everything else done.
        if (i.key === 'rtb/private/us-east-1c') await spotRoute.opened;
        routes.push(i.key);
        return { routeTableId: `rtb-${routes.length}` };
      },
    });
    const [master, , spot] = exampleSpec().pools;
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'epsilon', { pools: [{ ...master, size: 1, azs: ['us-east-1a'] }, { ...spot, azs: ['us-east-1c'] }] });
      const spotOnly = 'private route table us-east-1c';
      const rest = await progressUntil('epsilon', 'op-1-create', (p) => p.tasks.every((t) => t.name === spotOnly || t.state === 'Succeeded'), 'every task but the spot-only route done');
      expect(rest.tasks.filter((t) => t.name.startsWith('node/')).map((t) => t.state)).toEqual(['Succeeded']);
      expect(rest.tasks.find((t) => t.name === spotOnly)?.state).toBe('Running');
      // The create has taken in its ready node (the query saw it) and still waits for the route.
      const create = env.client.workflow.getHandle(operationWorkflowId('default', 'epsilon', 'op-1-create'));
      expect((await create.describe()).status.name).toBe('RUNNING');
      expect((await handle.query<ClusterStatus>('status')).phase).toBe('Provisioning');
      spotRoute.open();
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      expect(routes.at(-1)).toBe('rtb/private/us-east-1c');
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
    });
  });

  it('fails a delete whose NAT gateway cannot go, with AWS’s message, instead of hanging', async () => {
    const instances = held();
    const { activities } = stubActivities({
      // The NAT failure lands while the workflow still waits on the instances: they go only
      // once the test has seen it.
      terminateClusterInstances: async () => {
        await instances.opened;
        return { terminated: [] };
      },
      deleteNatGateway: async () => {
        throw ApplicationFailure.create({ message: 'UnauthorizedOperation: You are not authorized to perform this operation.', type: 'UnauthorizedOperation', nonRetryable: true });
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'zeta');
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      await handle.executeUpdate('deleteCluster');
      const natFailed = await progressUntil('zeta', 'op-2-delete', (p) => p.tasks.some((t) => t.name.startsWith('nat gateway') && t.state === 'Failed'), 'a NAT gateway delete failed');
      expect(natFailed.tasks.find((t) => t.name === 'instances')?.state).toBe('Running');
      instances.open();
      const failed = await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Failed', 'Failed');
      expect(failed.lastError).toContain('UnauthorizedOperation: You are not authorized to perform this operation.');
    });
  });

  it('says which nodes a cancelled rolling reconfigure had already replaced, since they stay', async () => {
    const { activities } = stubActivities();
    const secondWaiting = held();
    stuckReady(activities, (n) => n.key === 'node/workers/1' && n.instanceType === 'm5.xlarge', secondWaiting);
    await withWorker(activities, async (taskQueue) => {
      const [master, workers] = exampleSpec().pools;
      const handle = await start(taskQueue, 'nu', { pools: [{ ...master, size: 1, azs: ['us-east-1a'] }, { ...workers, size: 3 }] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      const { operationId } = await handle.executeUpdate<{ operationId: string }, [{ pool: string; instanceType: string }]>('reconfigurePool', { args: [{ pool: 'workers', instanceType: 'm5.xlarge' }] });
      await secondWaiting.opened;
      await handle.executeUpdate('cancelOperation', { args: [{ operationId }] });
      const ops = await until(() => handle.query<OperationRecord[]>('operations'), (o) => o.find((r) => r.id === operationId)?.state !== 'Running', 'the reconfigure settled');
      const record = ops.find((r) => r.id === operationId)!;
      expect(record.state).toBe('Cancelled');
      expect(record.error).toBe(
        'cancelled on request; what it had launched was removed; already replaced and kept on m5.xlarge: node/workers/0 (the pool runs both instance types until a retry finishes the roll)',
      );
      const workersNow = (await handle.query<ClusterStatus>('status')).pools.find((p) => p.name === 'workers')!;
      expect(workersNow.nodes.map((n) => `${n.key} ${n.instanceType}`).sort()).toEqual(['node/workers/0 m5.xlarge', 'node/workers/1 m5.large', 'node/workers/2 m5.large']);
    });
  });

  it('ends an operation Cancelled when it fails while stopping for an operator’s cancel, and says both', async () => {
    const { activities } = stubActivities();
    const waiting = held();
    // The worker under the call dies as it is being cancelled: the call times out instead.
    stuckReady(activities, (n) => n.key === 'node/workers/3', waiting, () => {
      throw ApplicationFailure.create({ message: 'activity Heartbeat timeout', type: 'HeartbeatTimeout', nonRetryable: true });
    });
    await withWorker(activities, async (taskQueue) => {
      const [master, workers] = exampleSpec().pools;
      const handle = await start(taskQueue, 'xi', { pools: [{ ...master, size: 1, azs: ['us-east-1a'] }, { ...workers, size: 3 }] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      const { operationId } = await handle.executeUpdate<{ operationId: string }, [{ pool: string; size: number }]>('scalePool', { args: [{ pool: 'workers', size: 4 }] });
      await waiting.opened;
      await handle.executeUpdate('cancelOperation', { args: [{ operationId }] });
      const ops = await until(() => handle.query<OperationRecord[]>('operations'), (o) => o.find((r) => r.id === operationId)?.state !== 'Running', 'the scale settled');
      const record = ops.find((r) => r.id === operationId)!;
      expect(record.state).toBe('Cancelled');
      expect(record.error).toMatch(/^cancelled on request; while it stopped: activity Heartbeat timeout; what it had launched was terminated \(node\/workers\/3 i-\w+\)$/);
      const left = (await activities.listClusterInstances({})) as Array<{ key: string }>;
      expect(left.map((n) => n.key)).not.toContain('node/workers/3');
    });
  });

  it('sweeps a deleted cluster only once its spot watcher has settled its launch in flight and stopped', async () => {
    const { activities } = stubActivities();
    const launch = activities.ensureInstance;
    const spotLaunching = held();
    let inFlight = 0;
    const sweeps: Array<{ inFlight: number; spotLeft: string[] }> = [];
    activities.ensureInstance = async (input: unknown) => {
      const node = await launch(input);
      if (!(input as { key: string }).key.startsWith('node/spot/')) return node;
      // AWS has made the instance; the answer is slow to come: only a cancellation ends the call.
      inFlight++;
      spotLaunching.open();
      try {
        const context = Context.current();
        for (;;) {
          context.heartbeat();
          await context.sleep(100);
        }
      } finally {
        inFlight--;
      }
    };
    const list = activities.listClusterInstances;
    activities.terminateClusterInstances = async (input: unknown) => {
      const left = (await list(input)) as Array<{ key: string }>;
      sweeps.push({ inFlight, spotLeft: left.filter((n) => n.key.startsWith('node/spot/')).map((n) => n.key) });
      return { terminated: [] };
    };
    const [master, , spot] = exampleSpec().pools;
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'mu', { pools: [{ ...master, size: 1, azs: ['us-east-1a'], allowWorkerCapability: true }, spot] }, { spotIntervalS: 1 });
      await spotLaunching.opened;
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
      // The watcher's launch was settled and its node terminated before the delete swept.
      expect(sweeps).toEqual([{ inFlight: 0, spotLeft: [] }]);
      const history = await handle.fetchHistory();
      await Worker.runReplayHistory({ ...workflowCode() }, history, handle.workflowId);
    });
  });

  it('deletes the network of an AZ whose only pool was removed', async () => {
    const natDeletes: string[] = [];
    const { activities } = stubActivities({
      deleteNatGateway: async (i: { key: string }) => {
        natDeletes.push(i.key);
      },
    });
    const [master, workers] = exampleSpec().pools;
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'eta', { pools: [{ ...master, size: 1, azs: ['us-east-1a'], allowWorkerCapability: true }, { ...workers, azs: ['us-east-1b'] }] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running', 'Running');
      await handle.executeUpdate('removePool', { args: [{ pool: 'workers' }] });
      await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Running' && s.pools.length === 1, 'the pool removed');
      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
      expect(natDeletes.sort()).toEqual(['nat/us-east-1a', 'nat/us-east-1b']);
    });
  });
});
