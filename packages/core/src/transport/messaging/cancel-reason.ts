/** Turns an AbortSignal's reason into the CANCEL frame's reason (SPEC §4). */
import type { CancelReason } from '../../protocol/frames.js';

const REASONS: ReadonlySet<string> = new Set<CancelReason>(['client-disconnected', 'timeout', 'payload-limit', 'shutdown']);

/**
 * A CancelReason given as the abort reason is used as is; `AbortSignal.timeout()`'s TimeoutError
 * means `timeout`; anything else (a plain `abort()`) is taken as the client going away.
 */
export function cancelReasonOf(signal: AbortSignal): CancelReason {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string' && REASONS.has(reason)) return reason as CancelReason;
  if (typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError') return 'timeout';
  return 'client-disconnected';
}
