import { ensureMoto, ensureTemporalCli } from '../../scripts/tools';
import { bundleWorkflowsForRun } from './workflow-code';

/** Tests bootstrap their own tools: a fresh clone needs nothing run before `npm test`. */
export default async function globalSetup(): Promise<void> {
  ensureTemporalCli();
  ensureMoto();
  await bundleWorkflowsForRun();
}
