#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { registerAccounts } from './commands/accounts';
import { registerApply } from './commands/apply';
import { registerClusterCommands } from './commands/clusters';
import { registerCompletion } from './commands/completion';
import { registerLogin } from './commands/login';
import { registerProfiles } from './commands/profiles';
import { CliError, EXIT } from './exit-codes';
import { FORMATS } from './render/output';

/** The `clusterflow` command tree (docs/cli.md). */
export function buildProgram(): Command {
  const program = new Command('clusterflow')
    .description('Create and run Kubernetes-ready clusters on AWS through the Clusterflow API')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('table'))
    .option('--url <url>', 'the API (default: CLUSTERFLOW_URL, then the login file)')
    .option('--token <token>', 'bearer token (default: CLUSTERFLOW_TOKEN, then the login file)')
    .option('--project <project>', "the admin token's project (default: CLUSTERFLOW_PROJECT, then the login file)")
    .showHelpAfterError('(run with --help for usage)')
    // Inherited by every subcommand declared below: usage errors come back here to exit 2.
    .exitOverride();
  registerLogin(program);
  registerAccounts(program);
  registerProfiles(program);
  registerClusterCommands(program);
  registerApply(program);
  registerCompletion(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.done;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version asked for are not errors; commander has printed what it had to.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.done : EXIT.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
