/**
 * Turns what the server and ioredis say into typed errors, in this one file: fenced-script refusals,
 * NOGROUP, lost connections. Every Valkey-specific error class lives here.
 */
import { BackendUnavailableError, ERROR_CODES, LeaseLostError, SwitchyardError } from '@switchyard/core';

/** Refusal codes the fenced scripts return. */
export const SCRIPT_CODES = Object.freeze({ leaseLost: -1 });

/** Backend options that failed validation; `problems` names every bad key. Never contains a password. */
export class InvalidValkeyOptionsError extends SwitchyardError {
  readonly code = ERROR_CODES.InvalidQueueOptions;
  constructor(readonly problems: readonly string[]) {
    super(`invalid valkey backend options: ${problems.join('; ')}`);
    this.name = 'InvalidValkeyOptionsError';
  }
}

/** The server answered a command with an error nobody can act on by retrying (WRONGTYPE, a script bug, OOM, ...). */
export class ValkeyCommandError extends SwitchyardError {
  readonly code = 'SY_VALKEY_COMMAND_FAILED';
  constructor(readonly queue: string, readonly operation: string, detail: string, options?: ErrorOptions) {
    super(`valkey ${operation} on queue "${queue}" failed: ${detail}`, options);
    this.name = 'ValkeyCommandError';
  }
}

/** True when the server says the stream or consumer group does not exist (it lost its data). */
export function isNoGroup(err: unknown): boolean {
  return err instanceof Error && /\bNOGROUP\b/.test(err.message);
}

const CONNECTION_PATTERNS = [
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/,
  /Reached the max retries per request limit/i,
  /connect ETIMEDOUT|Command timed out/i,
  /LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY/,
  /Failed to refresh slots cache|None of the sentinels are available|All sentinels are unreachable/i,
];

/** True for errors that mean "the server is not reachable right now". */
export function isConnectionError(err: unknown): boolean {
  return err instanceof Error && CONNECTION_PATTERNS.some((p) => p.test(err.message));
}

/**
 * Maps a failed command to a typed error: connection trouble → SY_QUEUE_BACKEND_UNAVAILABLE (naming
 * the server through `describeServer` when given), else SY_VALKEY_COMMAND_FAILED.
 */
export function toBackendError(err: unknown, queue: string, operation: string, describeServer?: () => string): Error {
  if (err instanceof SwitchyardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isConnectionError(err)) {
    const server = describeServer === undefined ? '' : ` cannot reach ${describeServer()}:`;
    return new BackendUnavailableError('valkey', queue, `${operation}:${server} ${message}`, { cause: err });
  }
  return new ValkeyCommandError(queue, operation, message, { cause: err });
}

/** Throws LeaseLostError when a fenced script refused. */
export function checkFenced(reply: number | string, queue: string, messageId: string): void {
  if (reply === SCRIPT_CODES.leaseLost) throw new LeaseLostError(queue, messageId);
}
