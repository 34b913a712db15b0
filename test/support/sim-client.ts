import type { ClockReading } from '../../sim/clock';
import type { InstanceHistory, Transitions } from '../../sim/transitions';

/** The simulator's control API, as tests use it. */
export interface InventoryItem {
  id?: string;
  name?: string;
  tags?: Record<string, string>;
  [field: string]: unknown;
}

export type Inventory = Record<string, InventoryItem[]>;

export async function inventory(simUrl: string, tag?: string): Promise<Inventory> {
  const query = tag ? `?tag=${encodeURIComponent(tag)}` : '';
  const response = await fetch(`${simUrl}/_sim/inventory${query}`);
  if (!response.ok) throw new Error(`inventory: ${response.status}`);
  const body = (await response.json()) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(body).filter(([, v]) => Array.isArray(v))) as Inventory;
}

export function counts(inv: Inventory): Record<string, number> {
  return Object.fromEntries(Object.entries(inv).filter(([k]) => k !== 'regions').map(([k, v]) => [k, v.length]));
}

export async function simStats(simUrl: string): Promise<{ totals: { calls: number; mutating: number; mutatingOk: number }; actions: Record<string, { calls: number; mutating: boolean }> }> {
  return (await fetch(`${simUrl}/_sim/stats`)).json() as never;
}

export async function resetSimStats(simUrl: string): Promise<void> {
  await fetch(`${simUrl}/_sim/stats`, { method: 'DELETE' });
}

export async function putSimConfig(simUrl: string, config: unknown): Promise<void> {
  const response = await fetch(`${simUrl}/_sim/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(config) });
  if (!response.ok) throw new Error(`sim config: ${response.status} ${await response.text()}`);
}

/** An instance that is still there for the cluster: neither shutting down nor terminated. */
export function isLive(instance: InventoryItem): boolean {
  return !['terminated', 'shutting-down'].includes(instance.state as string);
}

/** The simulator's clock now (GET /_sim/clock): the time its transitions are stamped with. */
export async function simNow(simUrl: string): Promise<number> {
  const response = await fetch(`${simUrl}/_sim/clock`);
  if (!response.ok) throw new Error(`sim clock: ${response.status}`);
  return ((await response.json()) as ClockReading).now;
}

/** Every instance's history of states (GET /_sim/transitions), terminated ones included. */
export async function transitions(simUrl: string, tag?: string): Promise<Transitions> {
  const query = tag ? `?tag=${encodeURIComponent(tag)}` : '';
  const response = await fetch(`${simUrl}/_sim/transitions${query}`);
  if (!response.ok) throw new Error(`transitions: ${response.status}`);
  return (await response.json()) as Transitions;
}

/** The state an instance was in at instant `t` by its history; undefined before it was launched. */
export function stateAt(instance: InstanceHistory, t: number): string | undefined {
  let state: string | undefined;
  for (const transition of instance.transitions) {
    if (transition.at > t) break;
    state = transition.state;
  }
  return state;
}

/**
 * Over the instants from `from` to `to` (simulator clock), the most of `instances` live at
 * once and the fewest running at once. States change only at transitions, so looking at
 * `from` and at every transition in between sees every moment: nothing is sampled.
 */
export function extremes(instances: InstanceHistory[], from: number, to: number): { maxLive: number; minRunning: number } {
  const instants = [from, ...instances.flatMap((i) => i.transitions.map((t) => t.at)).filter((at) => at > from && at <= to)];
  let maxLive = 0;
  let minRunning = Infinity;
  for (const t of instants) {
    const states = instances.map((i) => stateAt(i, t)).filter((s): s is string => s !== undefined);
    maxLive = Math.max(maxLive, states.filter((state) => isLive({ state })).length);
    minRunning = Math.min(minRunning, states.filter((state) => state === 'running').length);
  }
  return { maxLive, minRunning };
}
