/** Drives the real launcher (dist/scripts/stack.js) as a child process: for end-to-end tests and benchmarks. */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from '../common/ports';
import { repoRoot } from '../common/paths';

export interface StackPorts {
  api: number;
  temporal: number;
  ui: number;
  sim: number;
  moto: number;
  temporalHttp: number;
  temporalMetrics: number;
  workerMetrics: number;
}

export interface RunningStack {
  child: ChildProcess;
  ports: StackPorts;
  env: NodeJS.ProcessEnv;
  /** Everything every component printed so far. */
  output(): string;
  /** Resolves with the exit code once the launcher is gone. */
  exited: Promise<number | null>;
  /** Ctrl-C, as an operator would press it. */
  interrupt(): Promise<number | null>;
}

export async function stackPorts(): Promise<StackPorts> {
  // Every port the stack binds, the Temporal CLI's HTTP API and metrics included: two picked
  // by the CLI itself could land on one of ours between its pick and our bind.
  const picked = new Set<number>();
  const distinct = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!picked.has(port)) {
        picked.add(port);
        return port;
      }
    }
  };
  return {
    api: await distinct(),
    temporal: await distinct(),
    ui: await distinct(),
    sim: await distinct(),
    moto: await distinct(),
    temporalHttp: await distinct(),
    temporalMetrics: await distinct(),
    workerMetrics: await distinct(),
  };
}

export function stackEnv(ports: StackPorts, dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLUSTERFLOW_API_PORT: String(ports.api),
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    CLUSTERFLOW_TEMPORAL_UI_PORT: String(ports.ui),
    AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.sim}`,
    CLUSTERFLOW_MOTO_PORT: String(ports.moto),
    CLUSTERFLOW_TEMPORAL_HTTP_PORT: String(ports.temporalHttp),
    CLUSTERFLOW_TEMPORAL_METRICS_PORT: String(ports.temporalMetrics),
    CLUSTERFLOW_WORKER_METRICS_PORT: String(ports.workerMetrics),
    CLUSTERFLOW_DATA_DIR: dataDir,
    ...extra,
  };
}

/**
 * Runs the real launcher (`npm start` minus the build) from dist/, and waits for "ready".
 * An exit before ready fails with the launcher's output, unless `mayExit` (a test of refusals).
 */
export async function launchStack(env: NodeJS.ProcessEnv, ports: StackPorts, args: string[] = [], mayExit = false): Promise<RunningStack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(env, ports, args, mayExit);
    } catch (error) {
      // The Temporal CLI picks its HTTP API port itself (free when picked, bound a moment
      // later): on a busy machine another process can take it in between. A new start picks anew.
      if (attempt >= 3 || !/bind: address already in use|EADDRINUSE/.test((error as Error).message)) throw error;
    }
  }
}

async function launchOnce(env: NodeJS.ProcessEnv, ports: StackPorts, args: string[], mayExit: boolean): Promise<RunningStack> {
  const child = spawn(process.execPath, [path.join(repoRoot(), 'dist/scripts/stack.js'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stack: RunningStack = {
    child,
    ports,
    env,
    output: () => output,
    exited,
    interrupt: () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/stack +\| ready/.test(output)) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      if (/stack +\| ready/.test(output)) return;
      if (mayExit && code !== null) resolve();
      else reject(new Error(`the stack exited (code ${code}) before it was ready:\n${output}`));
    });
  });
  return stack;
}
