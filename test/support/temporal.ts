import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTemporalCli } from '../../scripts/tools';
import { SEARCH_ATTRIBUTE_KEYS } from '../../common/search-attributes';

/** A real Temporal dev server (the pinned CLI), started by the SDK's test environment. */
export function startTemporal(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: ensureTemporalCli() },
      ip: '127.0.0.1',
      searchAttributes: Object.values(SEARCH_ATTRIBUTE_KEYS),
      extraArgs: ['--log-level', 'error', ...extraArgs],
    },
  });
}
