import { loadConfig } from '../common/config';
import { createSimServer } from './server';

const config = loadConfig();
const server = createSimServer({ motoUrl: `http://127.0.0.1:${config.motoPort}` });
server.listen(config.simPort, '127.0.0.1', () => {
  process.stdout.write(`simulator listening on http://127.0.0.1:${config.simPort} (moto on ${config.motoPort})\n`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
