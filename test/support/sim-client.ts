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
