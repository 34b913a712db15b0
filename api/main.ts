import { Logger } from '@nestjs/common';
import { loadConfig } from '../common/config';
import { createApiApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const host = config.apiHost;
  const { app, tokenGenerated } = await createApiApp(config);
  await app.listen(config.apiPort, host);
  const logger = new Logger('api');
  logger.log(`listening on http://${host}:${config.apiPort} (OpenAPI at /docs)`);
  if (tokenGenerated) logger.log(`generated an API token, kept in ${config.dataDir}/api-token`);
}

main().catch((error: Error) => {
  process.stderr.write(`api failed to start: ${error.message}\n`);
  process.exit(1);
});
