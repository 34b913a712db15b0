import type { Command } from 'commander';
import { resolveServer } from './config';
import { EXIT } from './exit-codes';
import { ApiClient } from './http';
import { followOperation } from './render/progress';
import { Format, parseFormat } from './render/output';

/** What every command reads from the global options: the server, the output format, and whether stdout is a terminal. */
export interface Context {
  client: ApiClient;
  format: Format;
  tty: boolean;
}

interface GlobalOptions {
  url?: string;
  token?: string;
  project?: string;
  output: string;
}

export function contextOf(command: Command): Context {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const format = parseFormat(opts.output);
  return { client: new ApiClient(resolveServer(opts)), format, tty: !!process.stdout.isTTY };
}

/**
 * After a change is accepted: with --wait, follow its operation and exit 1 unless it
 * succeeded; without, say how to follow it.
 */
export async function acceptedChange(ctx: Context, cluster: string, accepted: { operationId: string }, wait: boolean): Promise<void> {
  if (!wait) {
    if (ctx.format === 'table') process.stdout.write(`${accepted.operationId} started; follow it with \`clusterflow watch ${cluster}\`\n`);
    else process.stdout.write(`${JSON.stringify({ cluster, ...accepted })}\n`);
    return;
  }
  const op = await followOperation(ctx.client, cluster, accepted.operationId, { out: process.stdout, tty: ctx.tty });
  if (op.state !== 'Succeeded') process.exitCode = EXIT.failed;
}
