import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ClusterflowConfig } from '../common/config';
import { ensureDataDir, resolvePayloadCodec, resolveSecretBox } from '../common/data-dir';
import { openStore } from '../store/open-store';
import { Store } from '../store/store';
import { awsCallCounters } from './metrics';

export interface RunningWorker {
  worker: Worker;
  connection: NativeConnection;
  store: Store;
}

/** Connects to Temporal and builds the worker with every workflow and activity registered. */
export async function createWorker(config: ClusterflowConfig, connection?: NativeConnection): Promise<RunningWorker> {
  ensureDataDir(config);
  const store = await openStore(config);
  const conn = connection ?? (await NativeConnection.connect({ address: config.temporalAddress }));
  const worker = await Worker.create({
    connection: conn,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    // A bundle built beforehand saves the seconds webpack takes at each start.
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : { workflowsPath: require.resolve('../workflows') }),
    // Inputs, results and details reach Temporal encrypted; the API decrypts with the same key.
    dataConverter: { payloadCodecs: [resolvePayloadCodec(config)] },
    // No project here: each activity resolves its account within its cluster's project (its scope's owner).
    // Every AWS call is counted on the runtime's meter (served with the SDK's metrics when main.ts installed an exporter).
    activities: createActivities({ config, store, secretBox: resolveSecretBox(config), awsCalls: awsCallCounters(Runtime.instance().metricMeter) }),
  });
  return { worker, connection: conn, store };
}
