/**
 * Call statistics per `service:Action`: every call a client made, how it ended, and
 * whether the action can change anything (so "did anything mutate?" is one number).
 */

export type Outcome = 'ok' | 'error' | 'throttled' | 'faulted';

export interface ActionStats {
  calls: number;
  ok: number;
  /** Errors from the service itself (moto, or a rule the sim enforces such as a quota). */
  errors: number;
  throttled: number;
  faulted: number;
  mutating: boolean;
}

export interface StatsSnapshot {
  since: string;
  totals: {
    calls: number;
    ok: number;
    errors: number;
    throttled: number;
    faulted: number;
    /** Calls of actions that can change state (DryRun calls excluded), whatever their outcome. */
    mutating: number;
    /** Of those, the ones that succeeded. */
    mutatingOk: number;
  };
  actions: Record<string, ActionStats>;
}

export class Stats {
  private actions = new Map<string, ActionStats>();
  private since = new Date();

  record(key: string, mutating: boolean, outcome: Outcome): void {
    // A DryRun and a real call of the same action share the entry; it is mutating if any call was.
    let entry = this.actions.get(key);
    if (!entry) {
      entry = { calls: 0, ok: 0, errors: 0, throttled: 0, faulted: 0, mutating };
      this.actions.set(key, entry);
    }
    entry.calls++;
    entry.mutating ||= mutating;
    if (outcome === 'ok') entry.ok++;
    else if (outcome === 'error') entry.errors++;
    else if (outcome === 'throttled') entry.throttled++;
    else entry.faulted++;
    if (mutating) {
      this.mutating++;
      if (outcome === 'ok') this.mutatingOk++;
    }
  }

  private mutating = 0;
  private mutatingOk = 0;

  snapshot(): StatsSnapshot {
    const actions: Record<string, ActionStats> = {};
    const totals = { calls: 0, ok: 0, errors: 0, throttled: 0, faulted: 0, mutating: this.mutating, mutatingOk: this.mutatingOk };
    for (const key of [...this.actions.keys()].sort()) {
      const entry = this.actions.get(key) as ActionStats;
      actions[key] = { ...entry };
      totals.calls += entry.calls;
      totals.ok += entry.ok;
      totals.errors += entry.errors;
      totals.throttled += entry.throttled;
      totals.faulted += entry.faulted;
    }
    return { since: this.since.toISOString(), totals, actions };
  }

  reset(): void {
    this.actions.clear();
    this.mutating = 0;
    this.mutatingOk = 0;
    this.since = new Date();
  }
}
