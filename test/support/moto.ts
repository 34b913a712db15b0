import { ChildProcess, spawn } from 'node:child_process';
import { ensureMoto } from '../../scripts/tools';
import { freePort, waitFor } from '../../common/ports';

export interface RunningMoto {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A real moto_server on a free loopback port, for one test file. */
export async function startMoto(): Promise<RunningMoto> {
  const { server, env } = ensureMoto();
  const port = await freePort();
  const child: ChildProcess = spawn(server, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('moto', async () => (await fetch(`${url}/moto-api/`)).ok, 60000);
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
