import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowCode } from '../support/workflow-code';

/**
 * Histories recorded with the code before the entity became a loop over the operations table
 * (workflows/operations/) and node lifecycle moved into one module: every workflow the
 * entity, spot-watcher and continue-as-new suites ran (creates, deletes, scales, reconfigures,
 * repairs, cancels, retries, failures, rollbacks, spot watchers, continue-as-new), one file
 * each. Runs begun then must replay on today's code. Recorded by running those suites with
 * RECORD_HISTORIES=<dir> on a checkout of that commit (see docs/architecture.md#replay).
 */
const DIR = path.join(__dirname, 'histories', 'before-operations-table');

/**
 * A bound for a hang, not a speed check: alone, the replays take under a minute; late in CI's
 * single long-lived jest process (a heap of gigabytes) the first has taken three.
 */
const REPLAY_TIMEOUT_MS = 600000;

describe('histories recorded before the operations table', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.binpb'));

  it('cover every workflow type and operation', () => {
    const types = new Set(files.map((f) => f.split('-')[0]));
    expect([...types].sort()).toEqual(['addPool', 'clusterEntity', 'createCluster', 'deleteCluster', 'reconfigurePool', 'removePool', 'repairNodes', 'scalePool', 'spotWatcher']);
  });

  it('replay on today’s code, every one of them', async () => {
    const histories = files.map((file) => ({
      workflowId: file.replace(/\.binpb$/, ''),
      // Binary protobuf, as fetchHistory gives it (the JSON route trips over npm's two copies of protobufjs).
      history: temporal.api.history.v1.History.decode(fs.readFileSync(path.join(DIR, file))),
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ ...workflowCode() }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(histories.length).toBeGreaterThan(20);
  }, REPLAY_TIMEOUT_MS);
});

/**
 * Spot pools' rolling reconfigure, as its first code ran it (test/workflows/spot-reconfigure.test.ts,
 * recorded with RECORD_HISTORIES): a whole roll, a roll that waited on the price, a cancelled
 * one (a step stopped in flight), one with an interruption; the entity, the operation and the
 * watcher of each. Later changes to the roll must keep these replaying (or go behind a patch).
 */
describe('histories of spot pools rolling to another instance type', () => {
  const dir = path.join(__dirname, 'histories', 'spot-reconfigure');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.binpb'));

  it('replay on today’s code, every one of them', async () => {
    expect([...new Set(files.map((f) => f.split('-')[0]))].sort()).toEqual(['clusterEntity', 'reconfigurePool', 'spotWatcher']);
    const histories = files.map((file) => ({ workflowId: file.replace(/\.binpb$/, ''), history: temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file))) }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ ...workflowCode() }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(histories).toHaveLength(12);
  }, REPLAY_TIMEOUT_MS);
});
