/**
 * What the reference gateway and worker of bench:stream share (valkey-stream-gateway.mjs): the
 * window and chunk sizes (Switchyard's defaults), the MAC of a message and the reading of an
 * entry. A MAC is HMAC-SHA256 over the message's type, exchange and bytes, as Switchyard signs a
 * frame's head and body; with key `-` messages go unsigned.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WINDOW_BYTES = 1024 * 1024;
export const CHUNK_BYTES = 256 * 1024;
const NONE = Buffer.alloc(0);

/** The MAC function for `keyHex`: (type, id, data) → MAC bytes (empty when unsigned). */
export function sealer(keyHex) {
  if (keyHex === undefined || keyHex === '-') return () => NONE;
  const key = Buffer.from(keyHex, 'hex');
  return (type, id, data) => createHmac('sha256', key).update(`${type}:${id}`).update(data).digest();
}

/** An XREAD entry (fields t, i, n, d, m, as Buffers) read and its MAC checked; throws on a bad MAC. */
export function parseEntry(entry, seal) {
  const fields = entry[1];
  const type = fields[1].toString();
  const id = fields[3].toString();
  const data = fields[7];
  const mac = seal(type, id, data);
  if (mac.length > 0 && !timingSafeEqual(mac, fields[9])) throw new Error(`bad MAC on entry ${entry[0]}`);
  return { type, id, n: Number(fields[5].toString()), data };
}
