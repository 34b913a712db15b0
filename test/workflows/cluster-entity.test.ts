import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ClusterSpec } from '../../common/cluster-spec';
import type { ClusterStatus, OperationRecord, Progress } from '../../common/cluster-status';
import { resolveProfile } from '../../common/profile';
import { BUILT_IN_PROFILES } from '../../api/store/built-in-profiles';
import { clusterWorkflowId, ClusterEntityInput, operationWorkflowId } from '../../workflows/cluster-entity';
import { startTemporal } from '../support/temporal';
import { gate, Stub, stubActivities } from '../support/stub-activities';
import { exampleSpec } from '../unit/fixtures';

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
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('../../workflows'), activities });
    // A stub still held would keep the worker from shutting down.
    return worker.runUntil(body(taskQueue).finally(() => gates.splice(0).forEach((g) => g.open())));
  }

  async function start(taskQueue: string, name: string, spec: Partial<ClusterSpec> = {}) {
    const input: ClusterEntityInput = { project: 'default', spec: exampleSpec({ name, ...spec }), profile };
    return env.client.workflow.start('clusterEntity', { taskQueue, workflowId: clusterWorkflowId('default', name), args: [input] });
  }

  async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
    for (let i = 0; i < 300; i++) {
      const value = await probe();
      if (ok(value)) return value;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`never saw ${what}; last: ${JSON.stringify(await probe())}`);
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
        await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, workflowId);
      }
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

  it('fails the create with AWS’s message on the task, and can still delete cleanly', async () => {
    const { activities, calls } = stubActivities({
      ensureNatGateway: async () => {
        throw ApplicationFailure.create({ message: 'NatGatewayLimitExceeded: The maximum number of NAT gateways has been reached.', type: 'NatGatewayLimitExceeded', nonRetryable: true });
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue, 'gamma');
      const failed = await until(() => handle.query<ClusterStatus>('status'), (s) => s.phase === 'Failed', 'Failed');
      expect(failed.lastError).toBe('create failed: NatGatewayLimitExceeded: The maximum number of NAT gateways has been reached.');
      const [create] = await handle.query<OperationRecord[]>('operations');
      expect(create.state).toBe('Failed');
      const progress = await env.client.workflow.getHandle(create.workflowId).query<Progress>('progress');
      expect(progress.tasks.find((t) => t.state === 'Failed')).toMatchObject({ message: expect.stringContaining('NatGatewayLimitExceeded') });
      // No node was launched into an AZ whose NAT route never came.
      expect(progress.tasks.filter((t) => t.name.startsWith('node/')).map((t) => t.state)).toEqual(Array(6).fill('Pending'));

      await handle.executeUpdate('deleteCluster');
      expect((await handle.result()).phase).toBe('Deleted');
      expect(calls).toContain('deleteVpc');
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
