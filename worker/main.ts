import { Runtime } from '@temporalio/worker';
import { ClusterflowConfig, loadConfig } from '../common/config';
import { createLogger } from '../common/logging';
import { PinoSdkLogger } from './sdk-logger';
import { createWorker } from './worker';

/** `--metrics-port <n>` moves the metrics endpoint, as CLUSTERFLOW_WORKER_METRICS_PORT does. */
function withArgs(config: ClusterflowConfig, argv: string[]): ClusterflowConfig {
  const index = argv.indexOf('--metrics-port');
  if (index < 0) return config;
  const port = Number(argv[index + 1]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--metrics-port must be a port number, got "${argv[index + 1] ?? ''}"`);
  return { ...config, workerMetricsPort: port };
}

async function main(): Promise<void> {
  const config = withArgs(loadConfig(), process.argv.slice(2));
  const logger = createLogger('worker');
  const metricsAddress = `${config.workerMetricsHost}:${config.workerMetricsPort}`;
  Runtime.install({
    logger: new PinoSdkLogger(logger),
    // The SDK shuts the worker down gracefully on SIGINT/SIGTERM: running activities get to
    // finish (or heartbeat-cancel) within the shutdown grace time.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions: {
      // Rust core's messages through the same logger, so every line the worker prints is JSON.
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      // Counters end in _total, as Prometheus names them; durations in seconds, as its histograms do.
      metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } },
    },
  });
  // Which Node runs it: the machine's, or the one scripts/node-runtime.js fetched when the machine's is older.
  logger.info({ node: process.version }, `worker on Node.js ${process.version}`);
  logger.info(`metrics on http://${metricsAddress}/metrics`);
  logger.info(`connecting to Temporal at ${config.temporalAddress} (namespace ${config.temporalNamespace})`);
  const { worker, connection, store, rateLimiter } = await createWorker(config);
  let last = '';
  const health = setInterval(() => {
    const state = worker.getState();
    if (state !== last) logger.info({ state, taskQueue: config.taskQueue }, `worker state ${state} on task queue ${config.taskQueue}`);
    last = state;
  }, 500);
  try {
    await worker.run();
  } finally {
    clearInterval(health);
    logger.info({ state: 'STOPPED' }, 'worker state STOPPED');
    await connection.close();
    await store.close();
    await rateLimiter.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`worker failed: ${error.message}\n`);
  process.exit(1);
});
