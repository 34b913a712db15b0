/**
 * Where a create's time over its critical-path bound goes (bench/create.ts prints it): the
 * chain that finished last — preflight, VPC, the slowest node's AZ's subnets, NAT gateway and
 * route table, then that node — cut into what the bound counts (AWS keeping the NAT gateway
 * pending and the node from being ready, on the simulator's own clock) and what it does not:
 * the calls themselves, poll granularity once the resource was ready, activity scheduling
 * (retries included: Temporal records a retried activity's start only for its last attempt)
 * and workflow task latency (between one activity's completion and the next one's scheduling).
 */
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { taskOfActivityId } from '../common/task-activity-id';
import { CLUSTER_TAG } from '../common/tags';
import { json } from './create-bound';

interface Activity {
  task?: string;
  type: string;
  scheduled: number;
  started?: number;
  closed?: number;
  attempt: number;
}

type Kind = 'aws' | 'call' | 'poll after ready' | 'scheduling' | 'workflow task';

export interface StepLine {
  step: string;
  from: number;
  to: number;
  /** What the bound counts for the step (ms). */
  awsMs: number;
  /** The step's time by kind (ms), within the chain. */
  byKind: Partial<Record<Kind, number>>;
  attempts: number;
}

export interface Breakdown {
  chain: string[];
  steps: StepLine[];
  totals: Record<Kind, number>;
  retries: number;
}

const ms = (t?: { seconds?: unknown; nanos?: number | null } | null): number | undefined =>
  t ? Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;

async function activitiesOf(temporalAddress: string, namespace: string, workflowId: string): Promise<Activity[]> {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const client = new Client({ connection, namespace });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const byScheduledId = new Map<number, Activity>();
    for (const event of (history.events ?? []) as temporal.api.history.v1.IHistoryEvent[]) {
      const id = Number(event.eventId);
      const at = ms(event.eventTime)!;
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) {
        byScheduledId.set(id, { task: taskOfActivityId(scheduled.activityId), type: scheduled.activityType?.name ?? '?', scheduled: at, attempt: 1 });
        continue;
      }
      const started = event.activityTaskStartedEventAttributes;
      if (started) {
        const a = byScheduledId.get(Number(started.scheduledEventId));
        if (a) {
          a.started = at;
          a.attempt = started.attempt ?? 1;
        }
        continue;
      }
      const closed =
        event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
      const a = closed && byScheduledId.get(Number(closed.scheduledEventId));
      if (a) a.closed = at;
    }
    return [...byScheduledId.values()];
  } finally {
    await connection.close();
  }
}

/** When AWS (the simulator) kept each chain resource from being ready: [created, ready]. */
interface AwsWindow {
  step: string;
  from: number;
  to: number;
}

/**
 * The breakdown of one create. `readyDelayOf(nodeKey)` is the node's weight in the bound;
 * `natPendingMs` the NAT gateway's.
 */
export async function createBreakdown(options: {
  sim: string;
  temporalAddress: string;
  namespace?: string;
  workflowId: string;
  owner: string;
  opStart: number;
  opFinish: number;
  tasks: Array<{ name: string; startedAt?: string; finishedAt?: string }>;
  natPendingMs: number;
  readyDelayOf: (nodeKey: string) => number;
}): Promise<Breakdown> {
  const { tasks } = options;
  const time = (t?: string) => (t ? Date.parse(t) : NaN);
  const nodes = tasks.filter((t) => t.name.startsWith('node/'));
  const last = nodes.reduce((a, b) => (time(b.finishedAt) > time(a.finishedAt) ? b : a));
  const activities = await activitiesOf(options.temporalAddress, options.namespace ?? 'default', options.workflowId);

  const tag = `${CLUSTER_TAG}=${options.owner}`;
  const [inventory, transitions] = await Promise.all([
    json(`${options.sim}/_sim/inventory?tag=${encodeURIComponent(tag)}`),
    json(`${options.sim}/_sim/transitions?tag=${encodeURIComponent(tag)}`),
  ]);
  const keyTag = (tags: Record<string, string>) => tags['clusterflow.io/resource'];
  const instance = (transitions.instances as Array<{ availabilityZone: string; tags: Record<string, string>; transitions: Array<{ state: string; at: number }> }>).find(
    (i) => keyTag(i.tags) === last.name,
  );
  if (!instance) throw new Error(`the simulator has no instance of ${last.name}`);
  const launchedAt = instance.transitions.find((t) => t.state === 'pending')?.at ?? NaN;
  const az = instance.availabilityZone;
  const route = tasks.find((t) => t.name === `private route table ${az}`)!;
  const nat = (inventory.natGateways as Array<{ tags: Record<string, string>; createdAt?: number }>).find((n) => keyTag(n.tags) === `nat/${az}`);
  const natCreated = nat?.createdAt ?? NaN;

  const chain = ['preflight', 'vpc', `subnets ${az}`, `nat gateway ${az}`, route.name, last.name];
  const windows: AwsWindow[] = [
    { step: `nat gateway ${az}`, from: natCreated, to: natCreated + options.natPendingMs },
    { step: last.name, from: launchedAt, to: launchedAt + options.readyDelayOf(last.name) },
  ];
  const onChain = activities.filter((a) => a.task !== undefined && chain.includes(a.task));

  // Each 10 ms of the chain goes to one kind: the bound's AWS delays first, then an activity
  // running (a wait's running after its resource was ready is poll granularity), then an
  // activity scheduled and not yet started, else the workflow between activities.
  const TICK = 10;
  const totals: Record<Kind, number> = { aws: 0, call: 0, 'poll after ready': 0, scheduling: 0, 'workflow task': 0 };
  const steps: StepLine[] = chain.map((step) => {
    const t = tasks.find((x) => x.name === step)!;
    const w = windows.find((x) => x.step === step);
    return { step, from: time(t.startedAt), to: time(t.finishedAt), awsMs: w ? w.to - w.from : 0, byKind: {}, attempts: onChain.filter((a) => a.task === step).reduce((n, a) => n + a.attempt, 0) };
  });
  for (let t = options.opStart; t < options.opFinish; t += TICK) {
    let kind: Kind = 'workflow task';
    if (windows.some((w) => t >= w.from && t < w.to)) kind = 'aws';
    else {
      const running = onChain.find((a) => a.started !== undefined && t >= a.started && t < (a.closed ?? Infinity));
      if (running) kind = running.type.startsWith('wait') ? 'poll after ready' : 'call';
      else if (onChain.some((a) => t >= a.scheduled && t < (a.started ?? a.closed ?? Infinity))) kind = 'scheduling';
    }
    totals[kind] += TICK;
    // The step the instant belongs to: the last chain step begun by then.
    const step = [...steps].reverse().find((s) => t >= s.from) ?? steps[0];
    step.byKind[kind] = (step.byKind[kind] ?? 0) + TICK;
  }
  return { chain, steps, totals, retries: onChain.reduce((n, a) => n + a.attempt - 1, 0) };
}

export function formatBreakdown(b: Breakdown, measuredMs: number, boundMs: number): string[] {
  const s = (x: number) => (x / 1000).toFixed(1).padStart(5);
  const kinds: Kind[] = ['aws', 'call', 'poll after ready', 'scheduling', 'workflow task'];
  const others = kinds.filter((k) => k !== 'aws');
  const lines = [
    `  where the time goes along the chain that finished last (${b.chain.join(' → ')}), seconds:`,
    `    ${'step'.padEnd(32)}${'AWS delay'.padStart(10)}${'took'.padStart(7)}${others.map((k) => k.padStart(18)).join('')}`,
  ];
  for (const step of b.steps) {
    lines.push(`    ${step.step.padEnd(32)}${s(step.awsMs).padStart(10)}${s(step.to - step.from).padStart(7)}${others.map((k) => s(step.byKind[k] ?? 0).padStart(18)).join('')}`);
  }
  const over = measuredMs - boundMs;
  lines.push(
    `    total over the bound: ${s(over)} s = ${kinds
      .filter((k) => k !== 'aws')
      .map((k) => `${k} ${s(b.totals[k]).trim()}`)
      .join(' + ')} (AWS delays on the chain: ${s(b.totals.aws).trim()} of the bound's ${s(boundMs).trim()}; retried attempts: ${b.retries})`,
  );
  return lines;
}
