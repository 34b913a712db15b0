import type { Command } from 'commander';
import * as readline from 'node:readline/promises';
import type { ClusterStatus } from '../../common/cluster-status';
import { contextOf, follow } from '../context';
import { diffCluster, renderDiff } from '../diff';
import { EXIT, usageError } from '../exit-codes';
import { ApiRefusal, seg } from '../http';
import { readClusterFile } from '../spec-file';

async function confirmed(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('make a cluster what its file says: show the diff, then run the pool operations it needs, one after another')
    .requiredOption('-f, --file <file>', 'the cluster file (- for stdin)')
    .option('-y, --yes', 'do not ask before changing anything')
    .action(async (opts: { file: string; yes?: boolean }, command: Command) => {
      const spec = readClusterFile(opts.file);
      if (typeof spec.name !== 'string' || !Array.isArray(spec.pools)) throw usageError(`${opts.file}: needs name and pools`);
      const ctx = contextOf(command);
      let status: ClusterStatus | undefined;
      try {
        status = await ctx.client.get<ClusterStatus>(`/v1/clusters/${seg(spec.name)}`);
      } catch (error) {
        if (!(error instanceof ApiRefusal && error.status === 404)) throw error;
      }
      const out = process.stdout;
      if (!status || status.phase === 'Deleted') {
        out.write(`cluster ${spec.name}:\n  + cluster ${spec.name} (create)\n`);
        if (!(await ask(opts.yes, 'Create it?'))) return;
        const accepted = await ctx.client.request<{ operationId: string }>('POST', '/v1/clusters', spec);
        await follow(ctx, spec.name, accepted.operationId);
        return;
      }
      const changes = diffCluster(spec, status);
      out.write(`${renderDiff(spec.name, changes)}\n`);
      if (changes.length === 0 || !(await ask(opts.yes, `Apply ${changes.length} change${changes.length === 1 ? '' : 's'}?`))) return;
      // Operations on one cluster run one at a time (the API answers 409 to a second), so each is followed to its end.
      for (const change of changes) {
        out.write(`${change.method} ${change.path}\n`);
        const accepted = await ctx.client.request<{ operationId: string }>(change.method, change.path, change.body);
        const op = await follow(ctx, spec.name, accepted.operationId);
        if (op.state !== 'Succeeded') {
          out.write(`stopped: ${changes.length - changes.indexOf(change) - 1} change(s) not applied\n`);
          process.exitCode = EXIT.failed;
          return;
        }
      }
    });
}

async function ask(yes: boolean | undefined, question: string): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw usageError('stdin is not a terminal to ask on: pass --yes to apply without asking');
  const ok = await confirmed(`${question} [y/N] `);
  if (!ok) process.stdout.write('nothing changed\n');
  return ok;
}
