import { TestWorkflowEnvironment } from '@temporalio/testing';
import { printSummary, runSpotBench } from '../../bench/spot-watchers';
import { startTemporal } from '../support/temporal';
import { workflowCode } from '../support/workflow-code';

jest.setTimeout(240_000);

/**
 * The spot watcher bench (bench/spot-watchers.ts) in short: 40 watchers (20 clusters × 2 pools)
 * ticking every 6 s on a worker that caches 16 workflows. What it asserts does not depend on
 * timing: the reads are shared, the ticks keep to their cluster's phase, the cache stays bounded
 * and evicted watchers still tick. The timings are printed, never asserted.
 */
describe('spot watchers bench, short', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTemporal();
  });
  afterAll(() => env?.teardown());

  it('shares reads, spreads ticks by cluster, and keeps the workflow cache bounded', async () => {
    const watchers = 40;
    const intervalS = 6;
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const s = await runSpotBench({ watchers, intervalS, seconds: 60, maxCachedWorkflows: 16, env, workflowCode: workflowCode(), enough: (x) => x.watchersOnSchedule === watchers, log });
    printSummary(s, intervalS, log);

    // Cache bounded: never more than 16 resident, yet every watcher ticked on schedule (replayed).
    expect(s.peakCachedWorkflows).toBeLessThanOrEqual(16);
    expect(s.watchersOnSchedule).toBe(watchers);

    // Shared: one spot price read per instance type (2) per interval at most, against a tick per watcher.
    const intervals = Math.ceil(s.runSeconds / intervalS) + 1;
    expect(s.ticks).toBeGreaterThanOrEqual(2 * watchers);
    expect(s.totals['ec2:DescribeSpotPriceHistory']).toBeLessThanOrEqual(2 * intervals);
    expect(s.totals['pricing:GetProducts']).toBeLessThanOrEqual(2 * intervals);
    // Listings batched: the two pools of a cluster (at least) share each one.
    expect(s.totals['ec2:DescribeInstances']).toBeLessThanOrEqual(s.ticks / 2);

    // Spread: each sampled watcher's next due time is its cluster's phase, and the clusters' phases differ.
    expect(s.sampledPhases.length).toBeGreaterThanOrEqual(15);
    for (const p of s.sampledPhases) expect(p.dueOffsetMs).toBe(p.clusterPhaseMs);
    expect(new Set(s.sampledPhases.map((p) => p.clusterPhaseMs)).size).toBeGreaterThanOrEqual(15);
  });
});
