import type { HoldView } from '../../sim/holds';

/** The simulator's holds (sim/holds.ts), as tests use them to stop a step inside an AWS call. */
export type Hold = HoldView;

async function control<T>(simUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${simUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sim ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Parks the next `count` calls of `action` (`ec2:CreateVpc`) until released; with `withValue`,
 * only calls that carry a parameter of that value (a resource key in their tags, say).
 */
export function armHold(simUrl: string, action: string, options: { count?: number; withValue?: string } = {}): Promise<Hold> {
  return control(simUrl, 'POST', '/_sim/holds', { action, ...options });
}

/** Resolves once the hold has parked `atLeast` calls (one by default): their steps are now inside AWS. */
export async function waitParked(simUrl: string, hold: Hold, timeoutMs = 120000, atLeast = 1): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { holds } = await control<{ holds: Hold[] }>(simUrl, 'GET', '/_sim/holds');
    const now = holds.find((h) => h.id === hold.id);
    if (!now) throw new Error(`hold ${hold.id} on ${hold.action} is gone`);
    if (now.parked >= atLeast) return;
    if (Date.now() > deadline) throw new Error(`no ${hold.action} call reached the simulator within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function releaseHold(simUrl: string, hold: Hold): Promise<Hold> {
  return control(simUrl, 'POST', `/_sim/holds/${hold.id}/release`);
}
