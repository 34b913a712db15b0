import type { Command } from 'commander';
import { contextOf } from '../context';
import { usageError } from '../exit-codes';
import type { ApiClient } from '../http';
import { seg } from '../http';
import { print, table } from '../render/output';

interface AccountView {
  id: string;
  name: string;
  accessKeyId: string;
  awsAccountId?: string;
  createdAt: string;
  clusters: string[];
}

const accountsTable = (accounts: AccountView[]) =>
  table(['ID', 'NAME', 'ACCESS KEY', 'AWS ACCOUNT', 'CLUSTERS', 'CREATED'], accounts.map((a) => [a.id, a.name, a.accessKeyId, a.awsAccountId, a.clusters.join(', '), a.createdAt]));

/** Keys from the flags, else from the AWS_* variables: a secret typed on the command line lands in the shell history. */
function keysFrom(opts: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string }) {
  const accessKeyId = opts.accessKeyId ?? process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = opts.secretAccessKey ?? process.env.AWS_SECRET_ACCESS_KEY;
  const sessionToken = opts.sessionToken ?? process.env.AWS_SESSION_TOKEN;
  if (!accessKeyId) throw usageError('needs --access-key-id or AWS_ACCESS_KEY_ID');
  if (!secretAccessKey) throw usageError('needs --secret-access-key or AWS_SECRET_ACCESS_KEY');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** An account by id or by name (names are unique in a project). */
async function accountId(client: ApiClient, idOrName: string): Promise<string> {
  const accounts = await client.get<AccountView[]>('/v1/cloud-accounts');
  return accounts.find((a) => a.id === idOrName || a.name === idOrName)?.id ?? idOrName;
}

const keyOptions = (command: Command) =>
  command
    .option('--access-key-id <id>', 'default: AWS_ACCESS_KEY_ID')
    .option('--secret-access-key <secret>', 'default: AWS_SECRET_ACCESS_KEY (prefer it: a flag stays in the shell history)')
    .option('--session-token <token>', 'default: AWS_SESSION_TOKEN');

export function registerAccounts(program: Command): void {
  const accounts = program.command('accounts').description('cloud accounts: the AWS keys clusters are made with');
  keyOptions(accounts.command('add <name>').description('register AWS keys (checked with STS, stored sealed, never shown again)')).action(
    async (name: string, opts: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string }, command: Command) => {
      const ctx = contextOf(command);
      const account = await ctx.client.request<AccountView>('POST', '/v1/cloud-accounts', { name, ...keysFrom(opts) });
      print(account, ctx.format, () => accountsTable([account]));
    },
  );
  accounts
    .command('list')
    .description("the project's cloud accounts")
    .action(async (_: unknown, command: Command) => {
      const ctx = contextOf(command);
      const list = await ctx.client.get<AccountView[]>('/v1/cloud-accounts');
      print(list, ctx.format, () => accountsTable(list));
    });
  keyOptions(accounts.command('rotate <account>').description("replace an account's keys (the same AWS account); id or name")).action(
    async (idOrName: string, opts: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string }, command: Command) => {
      const ctx = contextOf(command);
      const keys = keysFrom(opts);
      const account = await ctx.client.request<AccountView>('PATCH', `/v1/cloud-accounts/${seg(await accountId(ctx.client, idOrName))}`, keys);
      print(account, ctx.format, () => accountsTable([account]));
    },
  );
  accounts
    .command('delete <account>')
    .description('remove an account no cluster uses; id or name')
    .action(async (idOrName: string, _: unknown, command: Command) => {
      const ctx = contextOf(command);
      const id = await accountId(ctx.client, idOrName);
      await ctx.client.request('DELETE', `/v1/cloud-accounts/${seg(id)}`);
      process.stdout.write(`account ${idOrName} deleted\n`);
    });
}
