import { rewriteXml, type Ctx, type Hook } from './context';
import { items, setItems, text, type XmlNode } from './xml';
import { ELB_NAME_HOOKS, ELBV2_NAME_HOOKS } from './name-limits';
import { AwsError } from './errors';

/**
 * Load balancer health that takes time, as on AWS: a registered instance is OutOfService
 * (classic ELB) or `initial` (ELBv2) until it has been running and registered for the
 * configured delay; a deregistered ELBv2 target is `draining` for a while before it goes.
 */

function indexedTargets(params: URLSearchParams): Array<{ id: string; port?: string }> {
  const out = new Map<number, { id: string; port?: string }>();
  for (const [k, v] of params) {
    const m = /^Targets\.member\.(\d+)\.(Id|Port)$/.exec(k);
    if (!m) continue;
    const entry = out.get(Number(m[1])) ?? { id: '' };
    if (m[2] === 'Id') entry.id = v;
    else entry.port = v;
    out.set(Number(m[1]), entry);
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

function classicKey(ctx: Ctx, lb: string, instance: string): string {
  return `${ctx.account}|${ctx.call.region}|${lb}|${instance}`;
}

/** When an instance behind a load balancer becomes healthy: after it runs and is registered, plus the delay. */
function healthyAt(ctx: Ctx, instanceId: string, registeredAt: number | undefined, delay: number): number | undefined {
  const runningSince = ctx.sim.runningSince(instanceId);
  if (registeredAt === undefined && runningSince === 0) return undefined;
  return Math.max(registeredAt ?? 0, runningSince) + delay;
}

async function apparentInstanceState(ctx: Ctx, instanceId: string): Promise<string | undefined> {
  try {
    const root = await ctx.sim.moto.query('ec2', ctx.caller, 'DescribeInstances', { 'InstanceId.1': instanceId });
    const node = items(items(root, 'reservationSet')[0], 'instancesSet')[0];
    const state = node?.instanceState;
    const name = state && typeof state === 'object' && !Array.isArray(state) ? text(state, 'name') : undefined;
    return name ? ctx.sim.instanceState(instanceId, name).name : undefined;
  } catch {
    return undefined;
  }
}

const registerInstances: Hook = async (ctx) => {
  const answer = await ctx.forward();
  if (answer.status < 300) {
    const lb = ctx.call.params.get('LoadBalancerName') ?? '';
    for (const [k, v] of ctx.call.params) {
      if (/^Instances\.member\.\d+\.InstanceId$/.test(k) && !ctx.sim.elbRegistrations.has(classicKey(ctx, lb, v))) {
        ctx.sim.elbRegistrations.set(classicKey(ctx, lb, v), { at: ctx.sim.now() });
      }
    }
  }
  return answer;
};

const deregisterInstances: Hook = async (ctx) => {
  const answer = await ctx.forward();
  if (answer.status < 300) {
    const lb = ctx.call.params.get('LoadBalancerName') ?? '';
    for (const [k, v] of ctx.call.params) {
      if (/^Instances\.member\.\d+\.InstanceId$/.test(k)) ctx.sim.elbRegistrations.delete(classicKey(ctx, lb, v));
    }
  }
  return answer;
};

const describeInstanceHealth: Hook = async (ctx) => {
  const answer = await ctx.forward();
  if (answer.status >= 300) return answer;
  const lb = ctx.call.params.get('LoadBalancerName') ?? '';
  const now = ctx.sim.now();
  const states = new Map<string, string | undefined>();
  for (const m of answer.body.toString('utf8').matchAll(/<InstanceId>([^<]+)<\/InstanceId>/g)) states.set(m[1], await apparentInstanceState(ctx, m[1]));
  return rewriteXml(answer, (root) => {
    const result = root.DescribeInstanceHealthResult as XmlNode | undefined;
    for (const member of items(result, 'InstanceStates', 'member')) {
      if (text(member, 'State') === 'Unknown') continue;
      const id = text(member, 'InstanceId') ?? '';
      const state = states.get(id);
      const at = healthyAt(ctx, id, ctx.sim.elbRegistrations.get(classicKey(ctx, lb, id))?.at, ctx.sim.delay('elbInstanceRegistration'));
      if (state && state !== 'running') {
        Object.assign(member, { State: 'OutOfService', ReasonCode: 'Instance', Description: `Instance is in ${state} state.` });
      } else if (at !== undefined && now < at) {
        Object.assign(member, { State: 'OutOfService', ReasonCode: 'ELB', Description: 'Instance registration is still in progress.' });
      } else if (text(member, 'State') === 'InService') {
        Object.assign(member, { ReasonCode: 'N/A', Description: 'N/A' });
      }
    }
  });
};

function targetKey(tg: string, id: string): string {
  return `${tg}|${id}`;
}

const registerTargets: Hook = async (ctx) => {
  // AWS registers only running instances; moto's own check sees its instances run at once.
  const notRunning: string[] = [];
  for (const target of indexedTargets(ctx.call.params)) {
    if (!target.id.startsWith('i-')) continue;
    const state = await apparentInstanceState(ctx, target.id);
    if (state && state !== 'running') notRunning.push(target.id);
  }
  if (notRunning.length > 0) {
    throw new AwsError('InvalidTarget', `The following targets are not in a running state and cannot be registered: ${notRunning.map((id) => `'${id}'`).join(', ')}`, 400);
  }
  const answer = await ctx.forward();
  if (answer.status < 300) {
    const tg = ctx.call.params.get('TargetGroupArn') ?? '';
    for (const target of indexedTargets(ctx.call.params)) {
      const key = targetKey(tg, target.id);
      ctx.sim.targetDeregistrations.delete(key);
      if (!ctx.sim.targetRegistrations.has(key)) ctx.sim.targetRegistrations.set(key, { at: ctx.sim.now(), port: target.port });
    }
  }
  return answer;
};

const deregisterTargets: Hook = async (ctx) => {
  const answer = await ctx.forward();
  if (answer.status < 300) {
    const tg = ctx.call.params.get('TargetGroupArn') ?? '';
    for (const target of indexedTargets(ctx.call.params)) {
      const key = targetKey(tg, target.id);
      const registration = ctx.sim.targetRegistrations.get(key);
      ctx.sim.targetRegistrations.delete(key);
      ctx.sim.targetDeregistrations.set(key, { at: ctx.sim.now(), port: target.port ?? registration?.port });
    }
  }
  return answer;
};

const describeTargetHealth: Hook = async (ctx) => {
  const answer = await ctx.forward();
  if (answer.status >= 300) return answer;
  const tg = ctx.call.params.get('TargetGroupArn') ?? '';
  const asked = indexedTargets(ctx.call.params);
  const now = ctx.sim.now();
  const draining = ctx.sim.delay('targetDeregistration');
  const states = new Map<string, string | undefined>();
  for (const m of answer.body.toString('utf8').matchAll(/<Id>(i-[^<]+)<\/Id>/g)) states.set(m[1], await apparentInstanceState(ctx, m[1]));
  return rewriteXml(answer, (root) => {
    const result = root.DescribeTargetHealthResult as XmlNode | undefined;
    if (!result) return;
    const list = items(result, 'TargetHealthDescriptions', 'member');
    const kept: XmlNode[] = [];
    const seen = new Set<string>();
    for (const member of list) {
      const target = member.Target as XmlNode | undefined;
      const id = text(target, 'Id') ?? '';
      seen.add(id);
      const health = (member.TargetHealth as XmlNode | undefined) ?? {};
      const motoState = text(health, 'State');
      const deregistered = ctx.sim.targetDeregistrations.get(targetKey(tg, id));
      const terminated = ctx.sim.instances.get(id)?.terminatedAt;
      if (motoState === 'healthy') {
        const state = states.get(id);
        const at = healthyAt(ctx, id, ctx.sim.targetRegistrations.get(targetKey(tg, id))?.at, ctx.sim.delay('targetRegistration'));
        if ((state && state !== 'running') || (at !== undefined && now < at)) {
          member.TargetHealth = { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' };
        }
      } else if (deregistered && now < deregistered.at + draining) {
        member.TargetHealth = { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' };
      } else if (motoState === 'draining' && terminated !== undefined && now >= terminated + draining && !asked.length) {
        continue; // moto keeps terminated targets draining forever; AWS lets them go after the deregistration delay
      }
      kept.push(member);
    }
    if (!asked.length) {
      for (const [key, registration] of ctx.sim.targetDeregistrations) {
        const [arn, id] = [key.slice(0, key.lastIndexOf('|')), key.slice(key.lastIndexOf('|') + 1)];
        if (arn !== tg || seen.has(id) || now >= registration.at + draining) continue;
        kept.push({
          Target: { Id: id, ...(registration.port ? { Port: registration.port } : {}) },
          HealthCheckPort: 'traffic-port',
          TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' },
        });
      }
    }
    setItems(result, 'TargetHealthDescriptions', kept, 'member');
  });
};

export const ELB_HOOKS: Record<string, Hook> = {
  ...ELB_NAME_HOOKS,
  RegisterInstancesWithLoadBalancer: registerInstances,
  DeregisterInstancesFromLoadBalancer: deregisterInstances,
  DescribeInstanceHealth: describeInstanceHealth,
};

/** Network load balancers of the caller's region, as the quota counts them. */
async function networkLoadBalancers(ctx: Ctx): Promise<number> {
  const root = await ctx.sim.moto.query('elbv2', ctx.caller, 'DescribeLoadBalancers');
  const result = root.DescribeLoadBalancersResult as XmlNode | undefined;
  return items(result, 'LoadBalancers', 'member').filter((lb) => text(lb, 'Type') === 'network').length;
}

/** AWS refuses a network load balancer beyond the region's quota (moto makes any number). */
const createLoadBalancerV2: Hook = async (ctx) => {
  const { sim, call } = ctx;
  if (!sim.config.enforceQuotas || call.params.get('Type') !== 'network') return ELBV2_NAME_HOOKS.CreateLoadBalancer(ctx);
  // Counted and made under one lock, so two racing creates cannot both take the last one.
  return sim.withLock(`nlb|${ctx.account}|${call.region}`, async () => {
    const limit = sim.config.quotas.networkLoadBalancersPerRegion;
    if ((await networkLoadBalancers(ctx)) >= limit) {
      throw new AwsError('TooManyLoadBalancers', `The quota for the number of network load balancers (${limit}) has been reached`, 400);
    }
    return ELBV2_NAME_HOOKS.CreateLoadBalancer(ctx);
  });
};

export const ELBV2_HOOKS: Record<string, Hook> = {
  CreateLoadBalancer: createLoadBalancerV2,
  RegisterTargets: registerTargets,
  DeregisterTargets: deregisterTargets,
  DescribeTargetHealth: describeTargetHealth,
};
