import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { CallBudget, callBudget, heartbeatWhile } from '../../cloud/call-budget';

/** Each AWS call fits inside its activity attempt; a slow call keeps its attempt alive by heartbeats. */
describe('call budget', () => {
  const environment = (info: Record<string, unknown>) => new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });

  it('outside an activity: AWS’s usual request timeout, no deadline', () => {
    expect(callBudget()).toEqual({ requestTimeoutMs: 60_000 });
  });

  it('inside an attempt: the request timeout and the abort fit before the attempt ends', async () => {
    const now = Date.now();
    const short = (await environment({ currentAttemptScheduledTimestampMs: now, startToCloseTimeoutMs: 30_000 }).run(async (): Promise<CallBudget> => callBudget(now))) as CallBudget;
    expect(short.requestTimeoutMs).toBe(28_000);
    expect(short.signal?.aborted).toBe(false);
    const long = (await environment({ currentAttemptScheduledTimestampMs: now, startToCloseTimeoutMs: 120_000 }).run(async (): Promise<CallBudget> => callBudget(now))) as CallBudget;
    expect(long.requestTimeoutMs).toBe(60_000);
    // An attempt almost over still lets its call start, briefly.
    const late = (await environment({ currentAttemptScheduledTimestampMs: now - 29_500, startToCloseTimeoutMs: 30_000 }).run(async (): Promise<CallBudget> => callBudget(now))) as CallBudget;
    expect(late.requestTimeoutMs).toBe(1_000);
  });

  it('aborts a call still running when the attempt’s time is up', async () => {
    const now = Date.now();
    // 1 s of attempt left (the floor), so the signal fires while the "call" waits on it.
    const { signal } = (await environment({ currentAttemptScheduledTimestampMs: now - 60_000, startToCloseTimeoutMs: 30_000 }).run(async (): Promise<CallBudget> => callBudget(now))) as CallBudget;
    await new Promise<void>((resolve) => signal!.addEventListener('abort', () => resolve()));
    expect(signal!.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('heartbeats while a call runs when the activity has a heartbeat timeout, and not otherwise', async () => {
    const beating = environment({ heartbeatTimeoutMs: 600 });
    let beats = 0;
    let enough!: () => void;
    const twice = new Promise<void>((resolve) => (enough = resolve));
    beating.on('heartbeat', () => {
      beats += 1;
      if (beats === 2) enough();
    });
    // The "call" ends only once two heartbeats have been sent during it.
    await beating.run(() => heartbeatWhile(() => twice));
    expect(beats).toBeGreaterThanOrEqual(2);

    const silent = environment({ heartbeatTimeoutMs: undefined });
    let silentBeats = 0;
    silent.on('heartbeat', () => (silentBeats += 1));
    await silent.run(() => heartbeatWhile(async () => 'done'));
    expect(silentBeats).toBe(0);
  });
});
