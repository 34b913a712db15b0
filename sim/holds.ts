import type { AwsCall } from './protocol';

/**
 * Holds park the next calls of one action inside the simulator until a test releases them:
 * the call has reached AWS and its step is under way, and it stays so for as long as the test
 * needs — to kill the worker inside that step, for instance. A held call that is released goes
 * on as usual (to moto), whether or not its client is still waiting for the answer.
 */
export interface HoldView {
  id: number;
  /** `service:Action`, as in faults and latency. */
  action: string;
  /** When set, only calls with a parameter of exactly this value (a tag's, a key's) are parked. */
  withValue?: string;
  /** How many more calls it will park. */
  remaining: number;
  /** Calls parked now. */
  parked: number;
  /** Calls it has parked so far, released or not. */
  caught: number;
}

interface Hold extends HoldView {
  waiters: Array<() => void>;
}

export class Holds {
  private readonly holds = new Map<number, Hold>();
  private next = 0;

  arm(action: string, count = 1, withValue?: string): HoldView {
    if (!/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) throw new HoldError(`a hold's action is service:Action (ec2:CreateVpc), not ${JSON.stringify(action)}`);
    if (!Number.isInteger(count) || count < 1) throw new HoldError(`a hold's count is a whole number of at least 1, not ${JSON.stringify(count)}`);
    if (withValue !== undefined && (typeof withValue !== 'string' || withValue === '')) throw new HoldError(`a hold's withValue is a non-empty string, not ${JSON.stringify(withValue)}`);
    const hold: Hold = { id: ++this.next, action, withValue, remaining: count, parked: 0, caught: 0, waiters: [] };
    this.holds.set(hold.id, hold);
    return view(hold);
  }

  /** Resolves at once for a call no hold wants; otherwise once its hold is released. */
  park(call: Pick<AwsCall, 'key' | 'params'>): Promise<void> {
    const values = new Set(call.params.values());
    const hold = [...this.holds.values()].find((h) => h.action === call.key && h.remaining > 0 && (h.withValue === undefined || values.has(h.withValue)));
    if (!hold) return Promise.resolve();
    hold.remaining -= 1;
    hold.parked += 1;
    hold.caught += 1;
    return new Promise((resolve) => hold.waiters.push(resolve));
  }

  /** Lets the parked calls go on and disarms the hold. */
  release(id: number): HoldView | undefined {
    const hold = this.holds.get(id);
    if (!hold) return undefined;
    this.holds.delete(id);
    for (const go of hold.waiters.splice(0)) go();
    hold.parked = 0;
    hold.remaining = 0;
    return view(hold);
  }

  list(): HoldView[] {
    return [...this.holds.values()].map(view);
  }

  releaseAll(): void {
    for (const id of [...this.holds.keys()]) this.release(id);
  }
}

export class HoldError extends Error {}

function view(hold: Hold): HoldView {
  return { id: hold.id, action: hold.action, withValue: hold.withValue, remaining: hold.remaining, parked: hold.parked, caught: hold.caught };
}
