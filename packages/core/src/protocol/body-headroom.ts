/**
 * Bodies built with room in front for their frame's head. A streamed body's chunk is joined from
 * several source pieces (one copy); encoding it for a queue, signed (sealFrame) or not
 * (encodeFrame), then copied it again, head and body, into one buffer. A chunk joined here has
 * HEADROOM_BYTES of its own buffer in front of it, so the head (and the envelope of a signed
 * frame) can be written there and the encoded frame is a view over both: one copy per chunk
 * instead of two, and one allocation less for the garbage collector.
 *
 * The room is used at most once: a second encode of the same body copies as before (the first
 * encoded view still covers the room).
 */

/** Room kept in front of a joined body: an envelope and a body frame's JSON head fit well inside. */
export const HEADROOM_BYTES = 512;

const withRoom = new WeakSet<Uint8Array>();

/** The pieces joined into one new body, with HEADROOM_BYTES of room in front of it. */
export function joinWithHeadroom(parts: readonly Uint8Array[], size: number): Buffer {
  const whole = Buffer.allocUnsafe(HEADROOM_BYTES + size);
  let at = HEADROOM_BYTES;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  const body = whole.subarray(HEADROOM_BYTES);
  withRoom.add(body);
  return body;
}

/**
 * A view of `bytes` bytes in front of `body` followed by `body`, when `body` was joined here, its
 * room was not used yet and `bytes` fit; the room counts as used from then on. Undefined otherwise.
 */
export function takeHeadroom(body: Uint8Array, bytes: number): Buffer | undefined {
  if (bytes > HEADROOM_BYTES || !withRoom.delete(body)) return undefined;
  return Buffer.from(body.buffer, body.byteOffset - bytes, bytes + body.byteLength);
}
