import { Client, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, type DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteStore } from '../../store/sqlite-store';
import { loadConfig } from '../../common/config';
import { resolvePayloadCodec, resolveSecretBox } from '../../common/data-dir';
import { discoverRegion } from '../../workflows';
import { createWorker } from '../../worker/worker';
import { RunningMoto, startMoto } from '../support/moto';
import { startTemporal } from '../support/temporal';
import { workflowCode } from '../support/workflow-code';

/**
 * The worker as the stack runs it (real dev server, real moto), plus a replay of the history
 * it produced, which fails if the workflow code stops being deterministic.
 */
describe('discoverRegion workflow', () => {
  let env: TestWorkflowEnvironment;
  let moto: RunningMoto;
  let config: ReturnType<typeof loadConfig>;
  let dataDir: string;
  // The worker encrypts payloads with the data dir's key: the client and replays need it too.
  let dataConverter: DataConverter;
  let client: Client;
  const secretAccessKey = 'zz9SecretThatMustNeverReachHistory0000000';
  const taskQueue = 'test-discover-region';

  beforeAll(async () => {
    [env, moto] = await Promise.all([startTemporal(), startMoto()]);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-wf-'));
    config = loadConfig({ CLUSTERFLOW_DATA_DIR: dataDir, AWS_ENDPOINT_URL: moto.url, CLUSTERFLOW_TASK_QUEUE: taskQueue });
    dataConverter = { payloadCodecs: [resolvePayloadCodec(config)] };
    client = new Client({ connection: env.connection, dataConverter });
    const store = await SqliteStore.open(dataDir);
    await store.insertCloudAccount({
      id: 'acct-1',
      project: 'default',
      name: 'test',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      sealedSecret: resolveSecretBox(config).seal(JSON.stringify({ secretAccessKey }), 'acct-1'),
      createdAt: new Date().toISOString(),
    });
    await store.close();
  });

  /** A worker runs once; each test gets its own, built as the worker process builds it. */
  async function withWorker<T>(body: () => Promise<T>): Promise<T> {
    const { worker, store, rateLimiter } = await createWorker(config, env.nativeConnection);
    try {
      return await worker.runUntil(body);
    } finally {
      await store.close();
      await rateLimiter.close();
    }
  }

  afterAll(async () => {
    await Promise.all([env?.teardown(), moto?.stop()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the AZs of the region through the account, without the secret in history', async () => {
    const workflowId = 'discover-us-west-2';
    const facts = await withWorker(() =>
      client.workflow.execute(discoverRegion, { taskQueue, workflowId, args: [{ accountId: 'acct-1', region: 'us-west-2' }] }),
    );
    expect(facts.region).toBe('us-west-2');
    expect(facts.availabilityZones).toEqual(expect.arrayContaining(['us-west-2a', 'us-west-2b', 'us-west-2c']));
    expect(facts.availabilityZones.every((az) => az.startsWith('us-west-2'))).toBe(true);

    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    expect(JSON.stringify(history)).not.toContain(secretAccessKey);
    expect(Buffer.from(JSON.stringify(history)).toString('base64')).not.toContain(Buffer.from(secretAccessKey).toString('base64'));

    await expect(
      Worker.runReplayHistory({ ...workflowCode(), dataConverter }, history, workflowId),
    ).resolves.toBeUndefined();
  });

  it('fails with a readable error for an account that does not exist, without retrying', async () => {
    const workflowId = 'discover-missing-account';
    // No execution timeout: the workflow must fail on its own, whatever time the worker takes to start.
    const failed = await withWorker(() =>
      client.workflow.execute(discoverRegion, { taskQueue, workflowId, args: [{ accountId: 'missing', region: 'us-east-1' }] }).catch((e: unknown) => e),
    );
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    const activity = (failed as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    expect((activity as ActivityFailure).cause).toMatchObject({ type: 'CloudAccountNotFound', nonRetryable: true, message: 'cloud account missing does not exist in project default (was it deleted?)' });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    // Retrying cannot bring the account back: one attempt.
    expect(history.events?.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
  });
});
