import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTemporalCli } from '../../scripts/tools';
import { SEARCH_ATTRIBUTE_KEYS } from '../../common/search-attributes';

/** A real Temporal dev server (the pinned CLI), started by the SDK's test environment. */
export async function startTemporal(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: ensureTemporalCli() },
      ip: '127.0.0.1',
      searchAttributes: Object.values(SEARCH_ATTRIBUTE_KEYS),
      extraArgs: ['--log-level', 'error', ...extraArgs],
    },
  });
  // Recording a set of histories to replay after a risky change (docs/architecture.md#replay).
  const dir = process.env.RECORD_HISTORIES;
  if (dir) {
    const teardown = env.teardown.bind(env);
    (env as { teardown: () => Promise<void> }).teardown = async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fs = require('node:fs');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { temporal } = require('@temporalio/proto');
      fs.mkdirSync(dir, { recursive: true });
      for await (const wf of env.client.workflow.list()) {
        const history = await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
        const name = `${wf.type}-${wf.workflowId.replace(/[^a-zA-Z0-9-]+/g, '_')}-${wf.runId.slice(0, 8)}.binpb`;
        fs.writeFileSync(`${dir}/${name}`, temporal.api.history.v1.History.encode(history).finish());
      }
      await teardown();
    };
  }
  return env;
}
