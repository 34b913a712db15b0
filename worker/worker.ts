import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ClusterflowConfig } from '../common/config';
import { ensureDataDir, resolvePayloadCodec, resolveSecretBox } from '../common/data-dir';
import { openStore } from '../store/open-store';
import { Store } from '../store/store';
import { openRateLimiter } from '../cloud/open-rate-limiter';
import type { SharedRateLimiter } from '../cloud/rate-limiter';
import { awsCallCounters } from './metrics';

export interface RunningWorker {
  worker: Worker;
  connection: NativeConnection;
  store: Store;
  /** The EC2 request buckets this worker shares with every other worker of the deployment. */
  rateLimiter: SharedRateLimiter;
}

/** Connects to Temporal and builds the worker with every workflow and activity registered. */
export async function createWorker(config: ClusterflowConfig, connection?: NativeConnection): Promise<RunningWorker> {
  ensureDataDir(config);
  const store = await openStore(config);
  const rateLimiter = openRateLimiter(config);
  const conn = connection ?? (await NativeConnection.connect({ address: config.temporalAddress }));
  const worker = await Worker.create({
    connection: conn,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    // A bundle built beforehand saves the seconds webpack takes at each start.
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : { workflowsPath: require.resolve('../workflows') }),
    // Inputs, results and details reach Temporal encrypted; the API decrypts with the same key.
    dataConverter: { payloadCodecs: [resolvePayloadCodec(config)] },
    // A wait holds its slot for as long as AWS takes (a node's status checks, a NAT gateway),
    // and a fleet created at once has several per cluster: at the SDK's default of 100, twenty
    // clusters' calls queued behind their own waits. Waits are cheap now that their reads are
    // batched (cloud/poll-reads.ts) and every call keeps to the shared buckets.
    maxConcurrentActivityTaskExecutions: 500,
    // The SDK's default (bounded by the heap) unless set: a cache smaller than the spot watchers
    // made the bench's watchers launch nodes they did not need (docs/architecture.md#spot-watcher, an open bug).
    ...(config.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: config.maxCachedWorkflows }),
    // No project here: each activity resolves its account within its cluster's project (its scope's owner).
    // Every AWS call is counted on the runtime's meter (served with the SDK's metrics when main.ts installed an exporter).
    // Every EC2 call waits for its tokens in the buckets all workers share (cloud/rate-limiter.ts).
    activities: createActivities({
      config,
      store,
      secretBox: resolveSecretBox(config),
      awsCalls: awsCallCounters(Runtime.instance().metricMeter),
      rateLimiter,
    }),
  });
  return { worker, connection: conn, store, rateLimiter };
}
