import type { Command } from 'commander';
import { configPath, writeConfigFile } from '../config';
import { usageError } from '../exit-codes';
import { ApiClient } from '../http';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description(`check a server and token, and keep them in ${configPath().replace(process.env.HOME ?? '~', '~')} (mode 0600)`)
    .option('--url <url>', 'the API, e.g. http://127.0.0.1:8080 (default: CLUSTERFLOW_URL)')
    .option('--token <token>', 'a bearer token (default: CLUSTERFLOW_TOKEN; prefer it, a flag is visible to other users in ps)')
    .option('--project <project>', "the admin token's project (X-Clusterflow-Project)")
    .action(async (_: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{ url?: string; token?: string; project?: string }>();
      const url = (opts.url ?? process.env.CLUSTERFLOW_URL)?.replace(/\/+$/, '');
      const token = opts.token ?? process.env.CLUSTERFLOW_TOKEN;
      if (!url) throw usageError('login needs --url (or CLUSTERFLOW_URL)');
      if (!/^https?:\/\/[^\s]+$/.test(url)) throw usageError(`--url must be an http(s) URL (got ${url})`);
      if (!token) throw usageError('login needs --token (or CLUSTERFLOW_TOKEN)');
      const server = { url, token, ...(opts.project ? { project: opts.project } : {}) };
      // A token the server refuses is not kept: the next command would only fail later.
      await new ApiClient(server).get('/v1/cluster-profiles');
      writeConfigFile(server);
      process.stdout.write(`logged in to ${url}${opts.project ? ` (project ${opts.project})` : ''}; saved in ${configPath()}\n`);
    });
}
