/**
 * Gathers the keys asked within a short window into one read, and hands each asker its own
 * answer: a fleet's waits (one per node, each polling) cost one call per window instead of
 * one per node per round.
 */

/** Reads the values of `keys`; a key absent from the map does not exist (yet). `signal` ends the read when no asker is left waiting. */
export type BatchRead<K, V> = (keys: K[], deadline: { signal?: AbortSignal; endsAtMs?: number }) => Promise<Map<K, V>>;

/** How long one asker may wait: its activity attempt's end, and the signal that ends it earlier. */
export interface AskerLimits {
  endsAtMs?: number;
  signal?: AbortSignal;
}

interface Asker<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
  limits: AskerLimits;
}

export class Batcher<K, V> {
  private pending = new Map<K, Array<Asker<V>>>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly read: BatchRead<K, V>,
    private readonly windowMs: number,
  ) {}

  /** `key`'s value from the next read, undefined when the read does not know it. Rejects with the read's error, or when the asker's own signal fires. */
  get(key: K, limits: AskerLimits = {}): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      if (limits.signal?.aborted) return reject(limits.signal.reason);
      const asker: Asker<V> = { resolve, reject, limits };
      const onAbort = () => reject(limits.signal?.reason);
      limits.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = <A>(fn: (a: A) => void) => (a: A) => {
        limits.signal?.removeEventListener('abort', onAbort);
        fn(a);
      };
      asker.resolve = settle(resolve);
      asker.reject = settle(reject);
      const askers = this.pending.get(key) ?? [];
      askers.push(asker);
      this.pending.set(key, askers);
      this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.timer = undefined;
    const askers = [...batch.values()].flat();
    try {
      // The read lasts as long as the longest-lived asker may wait, and no longer.
      const ends = askers.map((a) => a.limits.endsAtMs);
      const endsAtMs = ends.every((t) => t !== undefined) ? Math.max(...(ends as number[])) : undefined;
      const signal = endsAtMs === undefined ? undefined : AbortSignal.timeout(Math.max(1, endsAtMs - Date.now()));
      const values = await this.read([...batch.keys()], { signal, endsAtMs });
      for (const [key, waiting] of batch) for (const asker of waiting) asker.resolve(values.get(key));
    } catch (error) {
      for (const asker of askers) asker.reject(error);
    }
  }
}
