/**
 * The simulator's clock: the time every delayed state is computed against (instances, NAT
 * gateways, load balancer health). It follows real time unless a test freezes it; frozen,
 * it moves only when told to advance, so a test can look at a state before its delay has
 * passed and after, without waiting and without racing a slow machine.
 *
 * It never goes back: unfreezing resumes from the frozen reading, and advancing a running
 * clock moves it ahead of real time for good (until reset).
 */

export interface ClockReading {
  /** Milliseconds since the epoch, on the simulator's clock. */
  now: number;
  iso: string;
  frozen: boolean;
}

export class SimClock {
  /** Added to real time while running. */
  private offset = 0;
  /** The reading while frozen. */
  private frozenAt: number | undefined;
  /** The latest reading, so the clock stays monotonic even if the system clock steps back. */
  private last = 0;

  now(): number {
    const reading = this.frozenAt ?? Date.now() + this.offset;
    this.last = Math.max(this.last, reading);
    return this.last;
  }

  get frozen(): boolean {
    return this.frozenAt !== undefined;
  }

  freeze(): void {
    if (this.frozenAt === undefined) this.frozenAt = this.now();
  }

  unfreeze(): void {
    if (this.frozenAt === undefined) return;
    this.offset = this.frozenAt - Date.now();
    this.frozenAt = undefined;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('ms must be a finite number ≥ 0');
    if (this.frozenAt !== undefined) this.frozenAt = this.now() + ms;
    else this.offset += ms;
  }

  /** Back to real time, running. */
  reset(): void {
    this.offset = 0;
    this.frozenAt = undefined;
    this.last = 0;
  }

  reading(): ClockReading {
    const now = this.now();
    return { now, iso: new Date(now).toISOString(), frozen: this.frozen };
  }
}
