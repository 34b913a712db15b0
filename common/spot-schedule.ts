/**
 * When a spot watcher ticks (docs/architecture.md#spot-watcher). Every watcher of a cluster
 * ticks at the same phase within the interval, derived from the cluster's id: watchers of
 * different clusters spread over the interval instead of ticking in one burst, and the pools
 * of one cluster tick together, so one instance listing serves them all. Pure, so the
 * workflow, the bench and the tests compute the same due times.
 */

/** FNV-1a: a stable 32-bit hash of `text` (the same in every process and replay). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The cluster's phase: its ticks are due at `phase + k × everyMs` (epoch milliseconds). */
export function tickPhaseMs(clusterId: string, everyMs: number): number {
  return everyMs <= 1 ? 0 : fnv1a(clusterId) % Math.floor(everyMs);
}

/** The first due time strictly after `nowMs`. */
export function nextTickAt(nowMs: number, phaseMs: number, everyMs: number): number {
  const since = (((nowMs - phaseMs) % everyMs) + everyMs) % everyMs;
  return nowMs - since + everyMs;
}

/** How late a tick at `atMs` is against the due time just before it (0 ≤ lateness < everyMs). */
export function tickLatenessMs(atMs: number, phaseMs: number, everyMs: number): number {
  return (((atMs - phaseMs) % everyMs) + everyMs) % everyMs;
}
