import { INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApiApp } from '../../api/app';
import { ClusterflowConfig, loadConfig } from '../../common/config';
import { freePort } from '../../common/ports';

/** The API in-process on a real port, with a data dir of its own, as API suites use it. */
export interface ApiUnderTest {
  app: INestApplication;
  base: string;
  token: string;
  dataDir: string;
  config: ClusterflowConfig;
  /** Closes the app and removes its data dir. */
  close(): Promise<void>;
}

/**
 * Starts the API against AWS at `awsEndpoint` (moto or the simulator) and Temporal at
 * `temporalAddress` — by default a port nothing listens on, for suites whose requests must
 * never get as far as starting a workflow. `env` adds settings (a shared store, token and keys).
 */
export async function startApi(options: { awsEndpoint: string; temporalAddress?: string; env?: NodeJS.ProcessEnv }): Promise<ApiUnderTest> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-api-'));
  const config = loadConfig({
    CLUSTERFLOW_DATA_DIR: dataDir,
    AWS_ENDPOINT_URL: options.awsEndpoint,
    TEMPORAL_ADDRESS: options.temporalAddress ?? `127.0.0.1:${await freePort()}`,
    ...options.env,
  });
  const { app, token } = await createApiApp(config, ['error']);
  const port = await freePort();
  await app.listen(port, '127.0.0.1');
  return {
    app,
    base: `http://127.0.0.1:${port}`,
    token,
    dataDir,
    config,
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
