/**
 * Every error Switchyard throws. Each class has a stable `code` (SY_<AREA>_<WHAT>) and carries
 * its context as readonly fields. Branch on `code` (see {@link hasCode}), not on `instanceof`:
 * a third-party backend may bundle its own copy of core.
 */
import { formatValue } from './options/format-value.js';
import { renderProblem, type OptionProblem } from './options/problems.js';

export abstract class SwitchyardError extends Error {
  abstract readonly code: string;
}

/** True when `err` is an object whose `code` equals `code`. */
export const hasCode = (err: unknown, code: string): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;

/** The stable error codes, gathered so docs and tests can name them. */
export const ERROR_CODES = Object.freeze({
  LeaseLost: 'SY_QUEUE_LEASE_LOST',
  QueueClosed: 'SY_QUEUE_CLOSED',
  BackendUnavailable: 'SY_QUEUE_BACKEND_UNAVAILABLE',
  InvalidQueueOptions: 'SY_QUEUE_INVALID_OPTIONS',
  InvalidArgument: 'SY_INVALID_ARGUMENT',
  UnknownBackend: 'SY_PLUGIN_UNKNOWN_BACKEND',
  InvalidPlugin: 'SY_PLUGIN_INVALID',
  PluginVersionMismatch: 'SY_PLUGIN_VERSION_MISMATCH',
  InvalidFrame: 'SY_PROTOCOL_INVALID_FRAME',
  UnauthenticatedFrame: 'SY_PROTOCOL_UNAUTHENTICATED_FRAME',
  RegistrationRefused: 'SY_ROUTING_REGISTRATION_REFUSED',
  RequestCancelled: 'SY_TRANSPORT_REQUEST_CANCELLED',
  TransportFailure: 'SY_TRANSPORT_FAILURE',
  RequestNotSent: 'SY_TRANSPORT_REQUEST_NOT_SENT',
  TransportClosed: 'SY_TRANSPORT_CLOSED',
  BodyAborted: 'SY_TRANSPORT_BODY_ABORTED',
} as const);

/** An ack, renew, release or dead-letter on a lease that expired and was taken by another delivery (fencing). */
export class LeaseLostError extends SwitchyardError {
  readonly code = ERROR_CODES.LeaseLost;
  constructor(readonly queue: string, readonly messageId: string, options?: ErrorOptions) {
    super(
      `lease on ${messageId} in queue "${queue}" was lost: it expired and another delivery took it; ` +
        `nothing was changed. Renew before leaseMs runs out (subscribe() does) or raise leaseMs.`,
      options,
    );
    this.name = 'LeaseLostError';
  }
}

/** An operation on a queue, consumer or factory that was already closed. */
export class QueueClosedError extends SwitchyardError {
  readonly code = ERROR_CODES.QueueClosed;
  constructor(readonly queue: string, readonly operation: string, options?: ErrorOptions) {
    super(`cannot ${operation} on queue "${queue}": it is closed`, options);
    this.name = 'QueueClosedError';
  }
}

/** The backing server cannot be reached (connection refused, lost, or timed out). */
export class BackendUnavailableError extends SwitchyardError {
  readonly code = ERROR_CODES.BackendUnavailable;
  constructor(readonly backend: string, readonly queue: string | undefined, detail: string, options?: ErrorOptions) {
    super(`${backend} backend unavailable${queue === undefined ? '' : ` (queue "${queue}")`}: ${detail}`, options);
    this.name = 'BackendUnavailableError';
  }
}

/** Queue or backend options that failed validation; `problems` lists every one, each naming its option. */
export class InvalidQueueOptionsError extends SwitchyardError {
  readonly code = ERROR_CODES.InvalidQueueOptions;
  constructor(readonly queue: string, readonly problems: readonly string[]) {
    super(`invalid options for queue "${queue}": ${problems.join('; ')}`);
    this.name = 'InvalidQueueOptionsError';
  }
}

/** A call argument that is out of range or of the wrong kind; names the argument. */
export class InvalidArgumentError extends SwitchyardError {
  readonly code = ERROR_CODES.InvalidArgument;
  /** `problems`: every problem found when an options check collected several (see fromProblems). */
  constructor(
    readonly argument: string,
    detail: string,
    readonly problems: readonly OptionProblem[] = [{ path: argument, message: detail }],
  ) {
    super(`${argument} ${detail}`);
    this.name = 'InvalidArgumentError';
  }
  static format(argument: string, expected: string, got: unknown): InvalidArgumentError {
    return new InvalidArgumentError(argument, `must be ${expected} (got ${formatValue(got)})`);
  }
  /** One error for every problem an options check collected: the first one's path leads, the message lists them all. */
  static fromProblems(problems: readonly OptionProblem[]): InvalidArgumentError {
    const [first, ...rest] = problems;
    if (first === undefined) throw new RangeError('InvalidArgumentError.fromProblems needs at least one problem');
    return new InvalidArgumentError(first.path, [first.message, ...rest.map(renderProblem)].join('; '), problems);
  }
}

/** A queue backend name that is neither built in nor an installed package exporting a plugin. */
export class UnknownBackendError extends SwitchyardError {
  readonly code = ERROR_CODES.UnknownBackend;
  constructor(readonly backend: string, detail: string, options?: ErrorOptions) {
    super(`unknown queue backend "${backend}": ${detail}`, options);
    this.name = 'UnknownBackendError';
  }
}

/** A package that was named as a backend but does not export a valid plugin. */
export class InvalidPluginError extends SwitchyardError {
  readonly code = ERROR_CODES.InvalidPlugin;
  constructor(readonly packageName: string, detail: string) {
    super(`package "${packageName}" is not a Switchyard queue backend plugin: ${detail}`);
    this.name = 'InvalidPluginError';
  }
}

/** A plugin built for a core version range that does not include this core. */
export class PluginVersionMismatchError extends SwitchyardError {
  readonly code = ERROR_CODES.PluginVersionMismatch;
  constructor(readonly packageName: string, readonly wanted: string, readonly actual: string) {
    super(`plugin "${packageName}" supports @switchyard/core ${wanted}, but this is ${actual}; install a matching version`);
    this.name = 'PluginVersionMismatchError';
  }
}

/** A frame that failed decoding or validation; `reason` says what was wrong (docs/protocol.md). */
export class InvalidFrameError extends SwitchyardError {
  readonly code = ERROR_CODES.InvalidFrame;
  constructor(readonly reason: string, options?: ErrorOptions) {
    super(`invalid frame: ${reason}`, options);
    this.name = 'InvalidFrameError';
  }
}


/**
 * A frame whose authenticator is missing, does not verify, names an unknown key, was signed with
 * the wrong role's key, lies outside the replay window or was seen before (docs/protocol.md,
 * "Frame authentication"). The queue layer dead-letters it with reason `unauthenticated`.
 */
export class UnauthenticatedFrameError extends SwitchyardError {
  readonly code = ERROR_CODES.UnauthenticatedFrame;
  constructor(readonly queue: string, readonly reason: string, options?: ErrorOptions) {
    super(`unauthenticated frame on queue "${queue}": ${reason}`, options);
    this.name = 'UnauthenticatedFrameError';
  }
}

/**
 * A HELLO the gateway's registration policy refused (docs/protocol.md, "Registration policy"):
 * `why` says which rule; nothing in the routing state changed.
 */
export class RegistrationRefusedError extends SwitchyardError {
  readonly code = ERROR_CODES.RegistrationRefused;
  constructor(
    readonly why: 'instance-changed' | 'endpoints-differ' | 'too-many-instances' | 'too-many-endpoints',
    readonly instanceId: string,
    readonly service: string,
    readonly version: string,
    detail: string,
  ) {
    super(`HELLO of instance "${instanceId}" (${service} ${version}) refused (${why}): ${detail}`);
    this.name = 'RegistrationRefusedError';
  }
}

/** A dispatched request that was cancelled (timeout, client gone, payload limit, shutdown) before its RESPONSE came. */
export class RequestCancelledError extends SwitchyardError {
  readonly code = ERROR_CODES.RequestCancelled;
  constructor(readonly requestId: string, readonly reason: string) {
    super(`request ${requestId} was cancelled: ${reason}`);
    this.name = 'RequestCancelledError';
  }
}

/** The router transport could not carry a request or its response (connection lost, bad RESPONSE). Maps to 502. */
export class TransportFailureError extends SwitchyardError {
  readonly code = ERROR_CODES.TransportFailure;
  constructor(readonly transport: string, detail: string, options?: ErrorOptions) {
    super(`${transport} transport failure: ${detail}`, options);
    this.name = 'TransportFailureError';
  }
}

/**
 * The transport failed a REQUEST it never wrote (no connection, or the connection closed before
 * the frame left this process): no handler can have run it, so the caller may send it elsewhere.
 * Any other failure of a dispatch may come after the request reached a handler. Maps to 502 when
 * there is nowhere else to send it.
 */
export class RequestNotSentError extends SwitchyardError {
  readonly code = ERROR_CODES.RequestNotSent;
  constructor(readonly transport: string, readonly requestId: string, detail: string, options?: ErrorOptions) {
    super(`${transport} transport did not send request ${requestId}: ${detail}`, options);
    this.name = 'RequestNotSentError';
  }
}

/** A router transport used after stop(). */
export class TransportClosedError extends SwitchyardError {
  readonly code = ERROR_CODES.TransportClosed;
  constructor(readonly transport: string, readonly operation: string) {
    super(`cannot ${operation}: the ${transport} transport is stopped`);
    this.name = 'TransportClosedError';
  }
}

/**
 * A streamed body that ended without completing: its sender aborted it, a chunk was lost, it
 * stopped arriving for longer than its idle limit, or the exchange was cancelled. `reason` is
 * short and machine-readable (`client-disconnected`, `idle-timeout`, `chunk-lost`, ...).
 */
export class BodyAbortedError extends SwitchyardError {
  readonly code = ERROR_CODES.BodyAborted;
  constructor(readonly requestId: string, readonly stream: 'request' | 'response', readonly reason: string, detail?: string) {
    super(`the ${stream} body of ${requestId} was aborted: ${reason}${detail === undefined ? '' : ` (${detail})`}`);
    this.name = 'BodyAbortedError';
  }
}
