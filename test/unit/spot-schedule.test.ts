import { nextTickAt, tickLatenessMs, tickPhaseMs } from '../../common/spot-schedule';
import { SharedReads } from '../../cloud/shared-reads';

describe('spot watcher schedule', () => {
  const everyMs = 120_000;

  it('spreads the phases of many clusters over the interval', () => {
    const phases = Array.from({ length: 10_000 }, (_, i) => tickPhaseMs(`cluster/bench/c-${i}`, everyMs));
    const tenths = Array.from({ length: 10 }, () => 0);
    for (const p of phases) tenths[Math.floor((p / everyMs) * 10)]++;
    // A burst would put most of them in one tenth; spread, each tenth holds about a tenth.
    for (const n of tenths) expect(n).toBeGreaterThan(800);
    for (const n of tenths) expect(n).toBeLessThan(1200);
  });

  it('gives the next due time after now, on the phase', () => {
    const phase = tickPhaseMs('cluster/p/one', everyMs);
    const now = 1_800_000_000_123;
    const due = nextTickAt(now, phase, everyMs);
    expect(due).toBeGreaterThan(now);
    expect(due - now).toBeLessThanOrEqual(everyMs);
    expect(tickLatenessMs(due, phase, everyMs)).toBe(0);
    expect(tickLatenessMs(due + 2500, phase, everyMs)).toBe(2500);
    expect(nextTickAt(due, phase, everyMs)).toBe(due + everyMs);
  });
});

describe('SharedReads', () => {
  it('serves one read to every asker of its key within the window, then reads afresh', async () => {
    let now = 0;
    const shared = new SharedReads(() => now);
    let reads = 0;
    const read = async () => ++reads;
    expect(await Promise.all([shared.get('k', 1000, read), shared.get('k', 1000, read)])).toEqual([1, 1]);
    expect(await shared.get('other', 1000, read)).toBe(2);
    now = 999;
    expect(await shared.get('k', 1000, read)).toBe(1);
    now = 1000;
    expect(await shared.get('k', 1000, read)).toBe(3);
    expect({ reads: shared.reads, served: shared.served }).toEqual({ reads: 3, served: 2 });
  });

  it('shares a failure only with those who asked while it was in flight', async () => {
    const shared = new SharedReads(() => 0);
    let fail = true;
    const read = async () => {
      if (fail) throw new Error('throttled');
      return 'ok';
    };
    await expect(Promise.all([shared.get('k', 1000, read), shared.get('k', 1000, read)])).rejects.toThrow('throttled');
    fail = false;
    expect(await shared.get('k', 1000, read)).toBe('ok');
  });
});
