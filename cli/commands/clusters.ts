import type { Command } from 'commander';
import type { ClusterListing } from '../../common/cluster-listing';
import type { ClusterStatus } from '../../common/cluster-status';
import type { ApiClient } from '../http';
import { acceptedChange, contextOf, follow } from '../context';
import { CliError, EXIT, usageError } from '../exit-codes';
import { seg } from '../http';
import type { OperationView } from '../render/operation';
import { summary } from '../render/operation';
import { print } from '../render/output';
import { renderDryRun } from '../render/plan';
import { clustersTable, describeCluster, nodesTable, operationsTable, poolsTable, rowOfListing, rowOfStatus } from '../render/tables';
import { readClusterFile } from '../spec-file';

const cluster = (name: string) => `/v1/clusters/${seg(name)}`;

function count(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw usageError(`${what} must be a whole number (got ${value})`);
  return Number(value);
}

/** Every page of the list (GET /v1/clusters pages by name; the largest page is 200). */
async function listClusters(client: ApiClient, filters: { phase?: string; region?: string }): Promise<ClusterListing[]> {
  const items: ClusterListing[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '200', ...(filters.phase ? { phase: filters.phase } : {}), ...(filters.region ? { region: filters.region } : {}), ...(pageToken ? { pageToken } : {}) });
    const page = await client.get<{ items: ClusterListing[]; nextPageToken?: string }>(`/v1/clusters?${query}`);
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return items;
}

export function registerClusterCommands(program: Command): void {
  const create = program.command('create').description('create a resource from a file');
  create
    .command('cluster')
    .description('create a cluster from a YAML file (apiVersion: clusterflow.io/v1, kind: Cluster)')
    .requiredOption('-f, --file <file>', 'the cluster file (- for stdin)')
    .option('--dry-run', 'show the plan, preflight checks and hourly cost; create nothing')
    .option('--keep-on-failure', 'keep what a failed or cancelled create made (default: roll it back)')
    .option('--wait', 'follow the create until it ends')
    .action(async (opts: { file: string; dryRun?: boolean; keepOnFailure?: boolean; wait?: boolean }, command: Command) => {
      const spec = readClusterFile(opts.file);
      const ctx = contextOf(command);
      if (opts.dryRun) {
        const plan = await ctx.client.request('POST', '/v1/clusters?dryRun=true', spec);
        print(plan, ctx.format, () => renderDryRun(plan));
        return;
      }
      const accepted = await ctx.client.request<{ name: string; operationId: string }>('POST', `/v1/clusters${opts.keepOnFailure ? '?keepOnFailure=true' : ''}`, spec);
      await acceptedChange(ctx, accepted.name, accepted, !!opts.wait);
    });

  const get = program.command('get').description('list or show resources');
  get
    .command('clusters')
    .description("the project's live clusters, by name (the list's summary; `get cluster NAME` has everything)")
    .option('--phase <phase>', 'only clusters in this phase (Creating, Running, Updating, Failed, Deleting)')
    .option('--region <region>', 'only clusters in this region')
    .action(async (opts: { phase?: string; region?: string }, command: Command) => {
      const ctx = contextOf(command);
      const clusters = await listClusters(ctx.client, opts);
      print(clusters, ctx.format, () => clustersTable(clusters.map(rowOfListing)));
    });
  get
    .command('cluster <name>')
    .description("a cluster's status")
    .action(async (name: string, _: unknown, command: Command) => {
      const ctx = contextOf(command);
      const status = await ctx.client.get<ClusterStatus>(cluster(name));
      print(status, ctx.format, () => clustersTable([rowOfStatus(status)]));
    });
  get
    .command('pools <cluster>')
    .description("a cluster's pools")
    .action(async (name: string, _: unknown, command: Command) => {
      const ctx = contextOf(command);
      const status = await ctx.client.get<ClusterStatus>(cluster(name));
      print(status.pools, ctx.format, () => poolsTable(status));
    });
  get
    .command('nodes <cluster>')
    .description("a cluster's nodes")
    .action(async (name: string, _: unknown, command: Command) => {
      const ctx = contextOf(command);
      const status = await ctx.client.get<ClusterStatus>(cluster(name));
      print(status.pools.flatMap((p) => p.spot?.nodes ?? p.nodes), ctx.format, () => nodesTable(status));
    });
  get
    .command('operations <cluster>')
    .description("a cluster's operations, oldest first")
    .option('--limit <n>', 'how many of the latest', '50')
    .action(async (name: string, opts: { limit: string }, command: Command) => {
      const ctx = contextOf(command);
      const ops = await ctx.client.get<OperationView[]>(`${cluster(name)}/operations?limit=${count(opts.limit, '--limit')}`);
      print(ops, ctx.format, () => operationsTable(ops));
    });

  program
    .command('describe')
    .description('a resource in detail')
    .command('cluster <name>')
    .description("a cluster's status, network, pools, nodes and recent operations")
    .action(async (name: string, _: unknown, command: Command) => {
      const ctx = contextOf(command);
      const status = await ctx.client.get<ClusterStatus>(cluster(name));
      const ops = await ctx.client.get<OperationView[]>(`${cluster(name)}/operations?limit=5`);
      print({ ...status, operations: ops }, ctx.format, () => describeCluster(status, ops));
    });

  program
    .command('scale <cluster> <pool> <size>')
    .description("set a pool's node count")
    .option('--wait', 'follow the operation until it ends')
    .action(async (name: string, pool: string, size: string, opts: { wait?: boolean }, command: Command) => {
      const n = count(size, 'size');
      const ctx = contextOf(command);
      const accepted = await ctx.client.request('PATCH', `${cluster(name)}/pools/${seg(pool)}`, { size: n });
      await acceptedChange(ctx, name, accepted, !!opts.wait);
    });

  program
    .command('delete')
    .description('delete a resource')
    .command('cluster <name>')
    .description('delete a cluster and everything it made in AWS')
    .option('--wait', 'follow the delete until it ends')
    .action(async (name: string, opts: { wait?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const accepted = await ctx.client.request('DELETE', cluster(name));
      await acceptedChange(ctx, name, accepted, !!opts.wait);
    });

  program
    .command('cancel <cluster> [operation]')
    .description('cancel the running operation (or the one named)')
    .option('--wait', 'follow it until it has stopped')
    .action(async (name: string, operation: string | undefined, opts: { wait?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const id = operation ?? (await runningOperation(ctx.client, name));
      const accepted = await ctx.client.request('POST', `${cluster(name)}/operations/${seg(id)}/cancel`);
      await acceptedChange(ctx, name, accepted, !!opts.wait);
    });

  program
    .command('retry <cluster> <operation>')
    .description('run a failed or cancelled operation again')
    .option('--wait', 'follow the new operation until it ends')
    .action(async (name: string, operation: string, opts: { wait?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const accepted = await ctx.client.request('POST', `${cluster(name)}/operations/${seg(operation)}/retry`);
      await acceptedChange(ctx, name, accepted, !!opts.wait);
    });

  program
    .command('watch <cluster>')
    .description("follow the cluster's running operation (or the one named) until it ends")
    .option('--operation <id>', 'an operation other than the running one')
    .action(async (name: string, opts: { operation?: string }, command: Command) => {
      const ctx = contextOf(command);
      let id = opts.operation ?? (await ctx.client.get<ClusterStatus>(cluster(name))).currentOperation?.id;
      if (!id) {
        // Nothing runs: say how the last operation ended, and exit by it.
        const [last] = await ctx.client.get<OperationView[]>(`${cluster(name)}/operations?limit=1`);
        if (!last) throw new CliError(`cluster ${name} has no operations`, EXIT.failed);
        id = last.id;
        if (last.state !== 'Running') {
          print(last, ctx.format, () => `no operation is running on ${name}; the last one:\n${summary(last)}`);
          if (last.state !== 'Succeeded') process.exitCode = EXIT.failed;
          return;
        }
      }
      await follow(ctx, name, id);
    });
}

async function runningOperation(client: ReturnType<typeof contextOf>['client'], name: string): Promise<string> {
  const id = (await client.get<ClusterStatus>(cluster(name))).currentOperation?.id;
  if (!id) throw new CliError(`no operation is running on ${name}; nothing to cancel`, EXIT.failed);
  return id;
}
