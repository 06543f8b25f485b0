/**
 * Every reason Switchyard itself writes on a dead letter, in one place (listed in
 * docs/operations.md, "Dead letters"). A handler's own `deadLetter(reason)` is free text.
 */
export const DEAD_LETTER_REASONS = Object.freeze({
  /** Delivered `maxDeliveries` times without being settled. */
  maxDeliveries: 'max-deliveries',
  /** The payload could not be decoded with the queue's codec. */
  decodeError: 'decode-error',
  /** A valid frame of a type the queue never carries (e.g. a RESPONSE on a requests queue). */
  unexpectedFrameType: 'unexpected-frame-type',
  /** A REQUEST whose `replyTo` names no gateway responses queue. */
  invalidReplyTo: 'invalid-reply-to',
  /** A frame without a valid signature, or outside the replay window (docs/messaging-transport.md, "Signed frames"). */
  unauthenticated: 'unauthenticated',
  /** Released by a `tail` consumer's handler (or its drain): a tail queue has no other reader to deliver it to again. */
  tailReleased: 'tail-released',
} as const);

/** `unexpected-frame-type: <type> on <where>`. */
export function unexpectedFrameTypeReason(type: string, where: string): string {
  return `${DEAD_LETTER_REASONS.unexpectedFrameType}: ${type} on ${where}`;
}

/** `invalid-reply-to: <replyTo, at most 200 characters>`. */
export function invalidReplyToReason(replyTo: string): string {
  return `${DEAD_LETTER_REASONS.invalidReplyTo}: ${replyTo.slice(0, 200)}`;
}
