import { loadConfig } from '../common/config';
import { ConfigError, configFromEnv } from './config';
import { createSimServer } from './server';

/**
 * The simulator process: listens on 127.0.0.1:<port of AWS_ENDPOINT_URL> and talks to moto on
 * CLUSTERFLOW_MOTO_PORT. CLUSTERFLOW_SIM_CONFIG (JSON, the shape PUT /_sim/config takes)
 * sets the startup config, e.g. '{"delayScale":0.05,"throttling":{"rateScale":10}}'.
 */
const config = loadConfig();
let simConfig;
try {
  simConfig = configFromEnv();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`simulator: ${error.message}\n`);
  process.exit(2);
}
const server = createSimServer({ motoUrl: `http://127.0.0.1:${config.motoPort}`, config: simConfig });
server.listen(config.simPort, '127.0.0.1', () => {
  process.stdout.write(`simulator listening on http://127.0.0.1:${config.simPort} (moto on ${config.motoPort})\n`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
