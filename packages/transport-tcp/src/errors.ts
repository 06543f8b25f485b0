/**
 * Errors of the TCP and TLS transports. Connection-level failures seen by callers are core's
 * `TransportFailureError` (SY_TRANSPORT_FAILURE → 502) and `TransportClosedError`; the classes
 * here cover what only this package can get wrong: its options and its framing.
 */
import { SwitchyardError } from '@switchyard/core';

/** Stable codes of this package. */
export const TCP_ERROR_CODES = Object.freeze({
  InvalidOptions: 'SY_TCP_INVALID_OPTIONS',
  FrameTooLarge: 'SY_TCP_FRAME_TOO_LARGE',
} as const);

/**
 * A `tcp` or `tls` config entry that failed validation. Every problem starts with the key it is
 * about (`port must be ...`), so a caller can prefix `transports[<index>].`.
 */
export class InvalidTcpOptionsError extends SwitchyardError {
  readonly code = TCP_ERROR_CODES.InvalidOptions;
  constructor(readonly transport: string, readonly problems: readonly string[]) {
    super(`invalid ${transport} transport options: ${problems.join('; ')}`);
    this.name = 'InvalidTcpOptionsError';
  }
}

/** A length prefix (received) or an encoded frame (to send) over `maxFrameBytes`. */
export class FrameTooLargeError extends SwitchyardError {
  readonly code = TCP_ERROR_CODES.FrameTooLarge;
  constructor(readonly frameBytes: number, readonly maxFrameBytes: number) {
    super(
      `frame of ${frameBytes} bytes exceeds maxFrameBytes (${maxFrameBytes}); ` +
        `raise maxFrameBytes on both the gateway and the instance, or send a smaller body`,
    );
    this.name = 'FrameTooLargeError';
  }
}
