import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Where the global set-up leaves the bundle of the workflow sources for this run's in-process workers and replays. */
const SOURCE_BUNDLE = 'CF_TEST_WORKFLOW_BUNDLE';

/**
 * The workflow code of every in-process worker and replay: bundled once per test run by the
 * global set-up instead of by each `Worker.create` and each replay (webpack takes seconds each
 * time, and a run made over a hundred). Outside a run with that set-up, the sources themselves.
 */
export function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const codePath = process.env[SOURCE_BUNDLE];
  return codePath ? { workflowBundle: { codePath } } : { workflowsPath: require.resolve('../../workflows') };
}

/**
 * Bundles the workflow sources for the in-process workers, and the built ones (dist/, what the
 * stacks' workers run) for every stack the run starts (`CLUSTERFLOW_WORKFLOW_BUNDLE`, which
 * the stack's environment inherits). The files go when the run ends.
 */
export async function bundleWorkflowsForRun(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-bundles-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const write = async (name: string, workflowsPath: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, (await bundleWorkflowCode({ workflowsPath, logger: quiet })).code);
    return file;
  };
  process.env[SOURCE_BUNDLE] = await write('workflows-source.js', require.resolve('../../workflows'));
  const built = path.resolve(__dirname, '../../dist/workflows/index.js');
  if (fs.existsSync(built)) process.env.CLUSTERFLOW_WORKFLOW_BUNDLE = await write('workflows-dist.js', built);
}
