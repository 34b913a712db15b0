/** The CLI's exit codes (docs/cli.md): scripts branch on them, so they never change meaning. */
export const EXIT = {
  done: 0,
  /** The operation ended Failed or Cancelled, or the API refused the request (4xx/5xx). */
  failed: 1,
  /** The command line itself is wrong (commander's own errors use this too). */
  usage: 2,
  /** No answer from the server: connection refused, unknown host, timeout. */
  unreachable: 3,
} as const;

/** An error the CLI reports in one line and exits with `exitCode`; never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);
