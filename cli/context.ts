import type { Command } from 'commander';
import { resolveServer } from './config';
import { EXIT } from './exit-codes';
import { ApiClient } from './http';
import { followOperation } from './render/progress';
import type { OperationView } from './render/operation';
import { Format, parseFormat, print } from './render/output';

/** What every command reads from the global options: the server and the output format. */
export interface Context {
  client: ApiClient;
  format: Format;
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
  return { client: new ApiClient(resolveServer(opts)), format };
}

/**
 * Follows an operation to its end and sets the exit code by how it ended. With -o json|yaml
 * the progress goes to stderr and stdout gets the final operation view alone, for scripts.
 */
export async function follow(ctx: Context, cluster: string, operationId: string): Promise<OperationView> {
  const forPeople = ctx.format === 'table';
  const out = forPeople ? process.stdout : process.stderr;
  const op = await followOperation(ctx.client, cluster, operationId, { out, tty: !!out.isTTY });
  if (!forPeople) print(op, ctx.format, () => '');
  if (op.state !== 'Succeeded') process.exitCode = EXIT.failed;
  return op;
}

/**
 * After a change is accepted: with --wait, follow its operation (exit 1 unless it
 * succeeded); without, say how to follow it.
 */
export async function acceptedChange(ctx: Context, cluster: string, accepted: { operationId: string }, wait: boolean): Promise<void> {
  if (wait) {
    await follow(ctx, cluster, accepted.operationId);
    return;
  }
  print({ cluster, ...accepted }, ctx.format, () => `${accepted.operationId} started; follow it with \`clusterflow watch ${cluster}\``);
}
