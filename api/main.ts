import { loadConfig } from '../common/config';
import { createApiApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const host = config.apiHost;
  const { app, tokenGenerated, logger } = await createApiApp(config);
  await app.listen(config.apiPort, host);
  logger.info(`listening on http://${host}:${config.apiPort} (OpenAPI at /docs)`);
  if (tokenGenerated) logger.info(`generated an API token, kept in ${config.dataDir}/api-token`);
}

main().catch((error: Error) => {
  process.stderr.write(`api failed to start: ${error.message}\n`);
  process.exit(1);
});
