import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../common/config';
import { createWorker } from './worker';

function say(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM: running activities get to
  // finish (or heartbeat-cancel) within the shutdown grace time.
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'] });
  say(`connecting to Temporal at ${config.temporalAddress} (namespace ${config.temporalNamespace})`);
  const { worker, connection, store } = await createWorker(config);
  let last = '';
  const health = setInterval(() => {
    const state = worker.getState();
    if (state !== last) say(`worker state ${state} on task queue ${config.taskQueue}`);
    last = state;
  }, 500);
  try {
    await worker.run();
  } finally {
    clearInterval(health);
    say('worker state STOPPED');
    await connection.close();
    store.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`worker failed: ${error.message}\n`);
  process.exit(1);
});
