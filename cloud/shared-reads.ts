/**
 * One read's answer handed to every asker of the same key within a window from when the read
 * began (docs/architecture.md#spot-watcher): ten thousand spot watchers of one region and
 * instance type cost one price look-up per interval, not one each. Unlike the Batcher
 * (batcher.ts), which gathers asks for a short while before one read, the first asker reads at
 * once and later askers take its answer, in flight or done. A failed read serves only those who
 * asked while it was in flight: the next asker reads afresh.
 */
export class SharedReads {
  private readonly entries = new Map<string, { answer: Promise<unknown>; begunAt: number; keepUntil: number }>();
  private sweptAt = 0;
  /** Reads begun (not served from another's): what the bench and tests count. */
  reads = 0;
  /** Answers served from another asker's read. */
  served = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** `key`'s answer from a read begun less than `withinMs` ago, or from `read` now. */
  get<V>(key: string, withinMs: number, read: () => Promise<V>): Promise<V> {
    const now = this.now();
    this.sweep(now);
    const entry = this.entries.get(key);
    if (entry && now - entry.begunAt < withinMs) {
      this.served++;
      return entry.answer as Promise<V>;
    }
    this.reads++;
    const answer = read();
    const fresh = { answer, begunAt: now, keepUntil: now + withinMs };
    this.entries.set(key, fresh);
    answer.catch(() => {
      if (this.entries.get(key) === fresh) this.entries.delete(key);
    });
    return answer;
  }

  /** Keys no asker can take any more go, at most once a second: memory stays with the live keys. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 1000) return;
    this.sweptAt = now;
    for (const [key, entry] of this.entries) if (entry.keepUntil <= now) this.entries.delete(key);
  }
}

/** Per process: one set per deps (a test may make several), as poll-reads.ts keeps its batchers. */
const byDeps = new WeakMap<object, SharedReads>();

export function sharedReadsOf(deps: object): SharedReads {
  let shared = byDeps.get(deps);
  if (!shared) byDeps.set(deps, (shared = new SharedReads()));
  return shared;
}
