import { nextReadInMs, readyAt } from '../../activities/polling';
import { DEFAULT_EXPECTED_READY_MS, expectedReadyMsFrom, loadConfig } from '../../common/config';

/**
 * activities/polling.ts: a wait that knows when its resource should be ready reads sparsely
 * before, as it should be ready, and often just after; one that does not, at the interval.
 */

/** The instants a wait starting at 0 reads at, until `until`, each read taking `windowMs` to be sent. */
function readsUntil(until: number, intervalMs: number, readyAtMs?: number): number[] {
  const reads: number[] = [];
  for (let t = 0; t < until; t += nextReadInMs(t, intervalMs, readyAtMs)) reads.push(t);
  return reads;
}

describe('nextReadInMs', () => {
  it('reads at the interval when no ready time is known', () => {
    expect(readsUntil(5_000, 1_000)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
  });

  it('spaces the reads before the ready time evenly, at most four intervals apart, the last asked a batch window before it', () => {
    const reads = readsUntil(9_000, 1_000, 9_000);
    // 8.8 s to the ask (9 s less the 200 ms window): three gaps of 2.93 s.
    expect(reads.length).toBe(4);
    expect(reads[3]).toBeCloseTo(8_800, 0);
    for (let i = 1; i < reads.length; i++) expect(reads[i] - reads[i - 1]).toBeLessThanOrEqual(4_000);
  });

  it('reads every quarter interval for two intervals after the ready time, then at the interval again', () => {
    expect(nextReadInMs(9_000, 1_000, 9_000)).toBe(250);
    expect(nextReadInMs(10_900, 1_000, 9_000)).toBe(250);
    expect(nextReadInMs(11_000, 1_000, 9_000)).toBe(1_000);
  });

  it('reads fewer times than the fixed period over a wait as long as a status check, and one of them lands at the ready time', () => {
    const ready = 17_000;
    const aimed = readsUntil(ready + 300, 1_000, ready);
    const fixed = readsUntil(ready + 300, 1_000);
    expect(aimed.length).toBeLessThan(fixed.length);
    // The read asked a window before the ready time is sent as it is reached.
    expect(aimed.some((t) => Math.abs(t + 200 - ready) < 1)).toBe(true);
  });

  it('never leaves a heartbeat-long silence: gaps of at most 8 s however far off the ready time is', () => {
    const reads = readsUntil(120_000, 5_000, 120_000);
    for (let i = 1; i < reads.length; i++) expect(reads[i] - reads[i - 1]).toBeLessThanOrEqual(8_000);
  });
});

describe('readyAt', () => {
  it('adds the expected time to AWS’s timestamp, and knows nothing without one', () => {
    expect(readyAt(new Date('2026-01-01T00:00:00.500Z'), 9_000)).toBe(Date.parse('2026-01-01T00:00:09.500Z'));
    expect(readyAt('2026-01-01T00:00:00.000Z', 1_000)).toBe(Date.parse('2026-01-01T00:00:01.000Z'));
    expect(readyAt(undefined, 1_000)).toBeUndefined();
  });
});

describe('CLUSTERFLOW_AWS_EXPECTED_READY_MS', () => {
  it('defaults to the short end of AWS’s times, and takes a JSON object of some of them', () => {
    expect(loadConfig({}).expectedReadyMs).toEqual(DEFAULT_EXPECTED_READY_MS);
    expect(expectedReadyMsFrom({ CLUSTERFLOW_AWS_EXPECTED_READY_MS: '{"natGatewayPending":9000}' })).toEqual({ ...DEFAULT_EXPECTED_READY_MS, natGatewayPending: 9000 });
  });

  it('refuses what is not a JSON object of milliseconds, naming the variable and the key', () => {
    expect(() => expectedReadyMsFrom({ CLUSTERFLOW_AWS_EXPECTED_READY_MS: 'soon' })).toThrow(/CLUSTERFLOW_AWS_EXPECTED_READY_MS must be a JSON object of milliseconds/);
    expect(() => expectedReadyMsFrom({ CLUSTERFLOW_AWS_EXPECTED_READY_MS: '[1]' })).toThrow(/must be a JSON object/);
    expect(() => expectedReadyMsFrom({ CLUSTERFLOW_AWS_EXPECTED_READY_MS: '{"natGateway":1}' })).toThrow('CLUSTERFLOW_AWS_EXPECTED_READY_MS names natGateway; it takes instancePending, instanceStatusChecks, natGatewayPending');
    expect(() => expectedReadyMsFrom({ CLUSTERFLOW_AWS_EXPECTED_READY_MS: '{"natGatewayPending":-1}' })).toThrow('natGatewayPending must be a number of milliseconds, 0 or more, got -1');
  });
});
