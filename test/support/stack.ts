import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchStack, RunningStack, stackEnv, stackPorts, StackPorts } from '../../scripts/stack-driver';

/** The whole stack of one end-to-end suite, as its tests use it. */
export interface StackUnderTest {
  api: string;
  sim: string;
  token: string;
  ports: StackPorts;
  dataDir: string;
  running: RunningStack;
}

export interface StackOptions {
  /** The simulator's startup config (CLUSTERFLOW_SIM_CONFIG). */
  sim?: unknown;
  /** More environment for every process of the stack. */
  env?: NodeJS.ProcessEnv;
  /** The launcher's arguments (`--workers 3`). */
  args?: string[];
}

/**
 * Launches the real stack (dist/scripts/stack.js) before a suite's tests, on free ports and a
 * data dir of its own, and stops it (Ctrl-C) and removes the data dir after them. AWS waits
 * poll every 200 ms so the simulator's delays, not the poll, set the pace. The object answers
 * for the running stack inside tests and hooks.
 */
export function useStack(options: StackOptions = {}): StackUnderTest {
  let current: StackUnderTest | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-e2e-'));
    const ports = await stackPorts();
    const env = stackEnv(ports, dataDir, {
      CLUSTERFLOW_AWS_POLL_MS: '200',
      ...(options.sim === undefined ? {} : { CLUSTERFLOW_SIM_CONFIG: JSON.stringify(options.sim) }),
      ...options.env,
    });
    const running = await launchStack(env, ports, options.args);
    current = {
      api: `http://127.0.0.1:${ports.api}`,
      sim: `http://127.0.0.1:${ports.sim}`,
      token: fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim(),
      ports,
      dataDir,
      running,
    };
  });
  afterAll(async () => {
    await current?.running.interrupt();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return new Proxy({} as StackUnderTest, {
    get(_, name: keyof StackUnderTest) {
      if (!current) throw new Error(`the stack is not running (reading ${String(name)} outside a test or hook)`);
      return current[name];
    },
  });
}
