import { formatFleet, runFleet } from '../../bench/fleet';

/**
 * The fleet benchmark (bench/fleet.ts) in short: 3 clusters at once in one account and
 * region, created and deleted through the real stack, with the simulator's EC2 buckets
 * scaled to a fifth and the worker told its share is the same fifth of AWS's (an account
 * whose other tools use the rest). Our calls must stay within the buckets — RequestLimitExceeded
 * is rare, a count not a timing — and the fleet must finish clean.
 */
jest.setTimeout(900_000);

it('3 clusters at once: none fails, nothing is left, under 1 % of calls throttled', async () => {
  const summary = await runFleet({ n: 3, bucketScale: 0.2, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${formatFleet(summary)}\n`);
  expect(summary.failedOperations).toEqual([]);
  expect(summary.left).toEqual({});
  // It did run a fleet: every cluster made its calls, and RunInstances had to queue for its bucket.
  expect(summary.calls).toBeGreaterThan(300);
  expect(summary.bucketWait.ms).toBeGreaterThan(0);
  expect(summary.throttled * 100).toBeLessThan(summary.calls);
});
