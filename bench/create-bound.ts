/**
 * The pieces of the create benchmark's lower bound, shared with the fleet benchmark
 * (bench/fleet.ts): the delays the simulator keeps resources from being ready, and the
 * critical path of a plan's resource graph weighted by them.
 */
import type { PlannedResource } from '../workflows/plan';

export interface Delays {
  instancePending: number;
  instanceStatusChecks: number;
  natGatewayPending: number;
  elbInstanceRegistration: number;
  targetRegistration: number;
}

export type EndpointKind = 'nlb' | 'classic';

/**
 * How long AWS (here: the simulator) keeps each planned resource from being ready, counted
 * from the moment it is requested. Everything else (VPC, subnets, routes, groups, the load
 * balancer itself) is ready when its call returns, so it contributes nothing.
 * - NAT gateway: pending → available.
 * - worker node: pending → running, then status checks initializing → ok.
 * - control-plane node: the same, and InService behind the load balancer, which the
 *   simulator counts from max(registration, running): registered at launch, that is
 *   running + registration delay. Ready = pending + max(status checks, registration).
 * - bastion: launched, never waited for.
 */
export function readyDelay(r: PlannedResource, d: Delays, controlPlaneKeys: Set<string>, kind: EndpointKind): number {
  if (r.kind === 'nat-gateway') return d.natGatewayPending;
  if (r.kind === 'instance' && r.key.startsWith('node/')) {
    // Healthy behind the endpoint: InService for a classic ELB, `healthy` for an NLB's target group.
    const registration = kind === 'classic' ? d.elbInstanceRegistration : d.targetRegistration;
    return d.instancePending + (controlPlaneKeys.has(r.key) ? Math.max(d.instanceStatusChecks, registration) : d.instanceStatusChecks);
  }
  return 0;
}

/** Longest path through the dependency graph, each resource weighted by its ready delay. */
export function criticalPath(resources: PlannedResource[], weight: (r: PlannedResource) => number): { ms: number; chain: string[] } {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const memo = new Map<string, { ms: number; chain: string[] }>();
  const visit = (key: string): { ms: number; chain: string[] } => {
    const cached = memo.get(key);
    if (cached) return cached;
    const r = byKey.get(key)!;
    let best = { ms: 0, chain: [] as string[] };
    for (const dep of r.dependsOn) {
      const p = visit(dep);
      if (p.ms > best.ms) best = p;
    }
    const result = { ms: best.ms + weight(r), chain: [...best.chain, `${key} (${weight(r)} ms)`] };
    memo.set(key, result);
    return result;
  };
  return resources.map((r) => visit(r.key)).reduce((a, b) => (b.ms > a.ms ? b : a));
}

export async function json(url: string, init: RequestInit = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** The simulator's delays after its `delayScale`, from GET /_sim/config. */
export function delaysOf(simConfig: { delays: Record<string, number>; delayScale?: number }): { delays: Delays; scale: number } {
  const scale = simConfig.delayScale ?? 1;
  return { delays: Object.fromEntries(Object.entries(simConfig.delays).map(([k, v]) => [k, v * scale])) as unknown as Delays, scale };
}
