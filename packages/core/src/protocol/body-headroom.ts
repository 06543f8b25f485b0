/**
 * Bodies with room in front for their frame's head. A streamed body's chunk is joined from
 * several source pieces (one copy); encoding it for a queue, signed (sealFrame) or not
 * (encodeFrame), then copied it again, head and body, into one buffer. A chunk joined here has
 * HEADROOM_BYTES of its own buffer in front of it, so the head (and the envelope of a signed
 * frame) can be written there and the encoded frame is a view over both: one copy per chunk
 * instead of two, and one allocation less for the garbage collector.
 *
 * A chunk received from a queue has room too: the bytes of its own envelope and head, in front of
 * it in the payload it was decoded from. Its reader lends them (lendHeadroom) when nothing reads
 * that payload again, so a chunk sent on as it came (an echo, a proxy) is not copied either.
 *
 * The room is used at most once: a second encode of the same body copies as before (the first
 * encoded view still covers the room).
 */

/** Room kept in front of a joined body: an envelope and a body frame's JSON head fit well inside. */
export const HEADROOM_BYTES = 512;

/** Bodies with free bytes in front of them in their buffer, and how many. */
const room = new WeakMap<Uint8Array, number>();

/** The pieces joined into one new body, with HEADROOM_BYTES of room in front of it. */
export function joinWithHeadroom(parts: readonly Uint8Array[], size: number): Buffer {
  const whole = Buffer.allocUnsafe(HEADROOM_BYTES + size);
  let at = HEADROOM_BYTES;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  const body = whole.subarray(HEADROOM_BYTES);
  room.set(body, HEADROOM_BYTES);
  return body;
}

/**
 * Marks the `bytes` bytes in front of `body`, in its buffer, as free for a frame's head. Only for a
 * caller that owns them and will not read them again: the envelope and head of a received frame
 * whose body this is, once decoded.
 */
export function lendHeadroom(body: Uint8Array, bytes: number): void {
  if (bytes > 0 && bytes <= body.byteOffset) room.set(body, bytes);
}

/**
 * A view of `bytes` bytes in front of `body` followed by `body`, when `body` has room (joined here,
 * or lent), its room was not used yet and `bytes` fit; the room counts as used from then on.
 * Undefined otherwise.
 */
export function takeHeadroom(body: Uint8Array, bytes: number): Buffer | undefined {
  const free = room.get(body);
  if (free === undefined || bytes > free) return undefined;
  room.delete(body);
  return Buffer.from(body.buffer, body.byteOffset - bytes, bytes + body.byteLength);
}
