import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ClusterSpec } from '../../common/cluster-spec';
import { mulberry32 } from '../../common/seeded-random';
import { operationWorkflowId } from '../../common/workflow-ids';
import { createAccount, waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { inventory, isLive } from '../support/sim-client';
import { useStack } from '../support/stack';
import { until } from '../support/until';

jest.setTimeout(600000);

const SEED = Number(process.env.MANY_WORKERS_SEED ?? Math.floor(Math.random() * 1e9));
const { PENDING_ACTIVITY_STATE_STARTED } = temporal.api.enums.v1.PendingActivityState;
const { TIMEOUT_TYPE_HEARTBEAT } = temporal.api.enums.v1.TimeoutType;

/**
 * `npm start -- --workers 3` against the real stack: three worker processes poll one task
 * queue; one of them is SIGKILLed while it runs an activity of a create, at a moment drawn
 * from a printed seed. Every create still finishes, the killed activity is retried by another
 * worker once its heartbeat times out (not its start-to-close timeout, minutes away), and the
 * cloud holds exactly each cluster's resources.
 */
describe('many workers (end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.3 }, args: ['--workers', '3'] });
  const names = ['fleet-a', 'fleet-b'];
  let client: Client;

  beforeAll(async () => {
    process.stdout.write(`many-workers seed ${SEED} (reproduce: MANY_WORKERS_SEED=${SEED})\n`);
    client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` }) });
  });

  afterAll(async () => {
    await client?.connection.close();
  });

  it('starts three workers, each with its own metrics endpoint', async () => {
    const output = stack.running.output();
    for (const n of [1, 2, 3]) {
      expect(output).toMatch(new RegExp(`worker${n}\\s*\\| .*worker state RUNNING`));
      const port = stack.ports.workerMetrics + n - 1;
      expect(output).toContain(`worker${n} metrics  http://127.0.0.1:${port}/metrics`);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    }
  });

  it('a worker killed inside a create’s activity: the creates finish, the activity is retried elsewhere after its heartbeat timeout', async () => {
    const { api, token, sim } = stack;
    const random = mulberry32(SEED);
    const accountId = await createAccount(api, token, 'fleet', { accessKeyId: 'AKIAMANYWORKERS00001', secretAccessKey: 'manyWorkersSecretKeyThatIsLongEnough01' });
    const spec = (name: string, i: number): ClusterSpec => ({
      name,
      profile: { id: 'aws-default' },
      cloud: { accountId, region: 'us-east-1', placement: { type: 'dynamic', vpcCidr: `10.${80 + i}.0.0/16` } },
      pools: [
        { name: 'master', role: 'control-plane', size: 1, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
        { name: 'workers', role: 'worker', size: 2, instanceType: 'm5.large', azs: ['us-east-1a', 'us-east-1b'] },
      ],
    });
    for (const [i, name] of names.entries()) expect((await call(api, 'POST', '/v1/clusters', { token, body: spec(name, i) })).status).toBe(202);

    // A moment inside the creates: the n-th running activity seen after a drawn pause.
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 4000)));
    const creates = names.map((name) => client.workflow.getHandle(operationWorkflowId('default', name, 'op-1-create')));
    const running = await until(
      async () => (await Promise.all(creates.map(async (h) => ({ h, pending: (await h.describe().catch(() => undefined))?.raw.pendingActivities ?? [] })))).flatMap(({ h, pending }) => pending.filter((a) => a.state === PENDING_ACTIVITY_STATE_STARTED && a.lastWorkerIdentity).map((a) => ({ workflowId: h.workflowId, activity: a }))),
      (found) => found.length > 0,
      'an activity running on a worker',
    );
    const victim = running[Math.floor(random() * running.length)];
    const pid = Number(/^(\d+)@/.exec(victim.activity.lastWorkerIdentity ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    process.stdout.write(`killed worker ${pid} while it ran ${victim.activity.activityType?.name} (${victim.activity.activityId}) of ${victim.workflowId}\n`);

    for (const name of names) expect((await waitPhase(api, token, name, ['Running', 'Failed'], 480000)).phase).toBe('Running');
    // The launcher started the dead worker again rather than stopping the stack.
    expect(stack.running.output()).toMatch(/worker\d exited \(SIGKILL\); starting it again/);

    // The killed attempt timed out on its heartbeat and the activity was done by another attempt.
    const history = await client.workflow.getHandle(victim.workflowId).fetchHistory();
    const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityId === victim.activity.activityId);
    expect(scheduled).toBeDefined();
    const started = history.events?.find((e) => e.activityTaskStartedEventAttributes && String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(scheduled?.eventId));
    const attempt = started?.activityTaskStartedEventAttributes;
    expect(attempt?.attempt).toBeGreaterThan(Number(victim.activity.attempt ?? 1) - 1);
    expect(attempt?.attempt).toBeGreaterThanOrEqual(2);
    expect(attempt?.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(TIMEOUT_TYPE_HEARTBEAT);
    expect(attempt?.identity).not.toBe(victim.activity.lastWorkerIdentity);
    // No activity of either create waited out a start-to-close timeout.
    for (const h of creates) {
      const events = (await h.fetchHistory()).events ?? [];
      const timeouts = events.map((e) => e.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo?.timeoutType).filter((t) => t !== undefined && t !== null);
      expect(timeouts.filter((t) => t !== TIMEOUT_TYPE_HEARTBEAT)).toEqual([]);
    }

    // The cloud holds each cluster's instances once: bastion, master and two workers, no duplicate key.
    for (const name of names) {
      const live = (await inventory(sim, `clusterflow.io/cluster=default/${name}`)).instances.filter(isLive);
      const keys = live.map((i) => i.tags?.['clusterflow.io/resource']).sort();
      expect({ name, keys }).toEqual({ name, keys: ['bastion', 'node/master/0', 'node/workers/0', 'node/workers/1'] });
    }
  });
});
