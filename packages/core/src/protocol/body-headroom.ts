/**
 * Bodies built with room in front for their frame's head. A streamed body's chunk is joined from
 * several source pieces (one copy); signing it for a queue then copied it again, head and body,
 * into the envelope. A chunk joined here has HEADROOM_BYTES of its own buffer in front of it, so
 * the envelope's head can be written there and the sealed frame is a view over both: one copy per
 * chunk instead of two, and one allocation less for the garbage collector.
 *
 * The room is used at most once: a second seal of the same body copies as before (the first
 * sealed view still covers the room).
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
