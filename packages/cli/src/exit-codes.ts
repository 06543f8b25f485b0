/** The `switchyard` CLI's exit codes (documented in docs/operations.md and the package README). */
export const EXIT = Object.freeze({
  /** Done. */
  ok: 0,
  /** The operation failed (the gateway or Valkey answered with an error, a redrive failed). */
  failed: 1,
  /** The command line is wrong: unknown command or option, bad value, missing --gateway/--valkey. */
  usage: 2,
  /** The gateway refused the token: 401 (no or unknown token) or 403 (role too low, cross-site). */
  denied: 3,
  /** The instance, queue, dead letter or task does not exist. */
  notFound: 4,
  /** The gateway or Valkey could not be reached. */
  unreachable: 5,
  /** Interrupted (Ctrl-C): a redrive stopped cleanly; what was not replayed is still dead-lettered. */
  interrupted: 130,
} as const);

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that ends the CLI with `exitCode` and prints `message` to stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
