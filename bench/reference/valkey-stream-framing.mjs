/**
 * What the reference gateway and worker of bench:stream share (valkey-stream-gateway.mjs): the
 * window and chunk sizes (Switchyard's defaults), the MAC of a message, sending a message and
 * reading a process's own stream. A MAC is HMAC-SHA256 over the message's type, exchange and
 * bytes, as Switchyard signs a frame's head and body; with key `-` messages go unsigned.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Redis } from 'ioredis';

export const WINDOW_BYTES = 1024 * 1024;
export const CHUNK_BYTES = 256 * 1024;
/** The bytes of a message that carries none. */
export const EMPTY = Buffer.alloc(0);

/** The MAC function for `keyHex`: (type, id, data) → MAC bytes (empty when unsigned). */
function sealer(keyHex) {
  if (keyHex === undefined || keyHex === '-') return () => EMPTY;
  const key = Buffer.from(keyHex, 'hex');
  return (type, id, data) => createHmac('sha256', key).update(`${type}:${id}`).update(data).digest();
}

/**
 * This process's end of the pair, from its arguments `<redis url> <key prefix> <hex key or ->`:
 * `send(type, id, n, bytes)` appends to the other end's stream, `read(onMessage)` reads its own.
 */
export function pairEnd(own, [url, prefix, keyHex]) {
  const commands = new Redis(url);
  const reader = new Redis(url);
  const seal = sealer(keyHex);
  const other = own === 'gateway' ? 'worker' : 'gateway';
  return {
    send: sender(commands, `${prefix}:${other}`, seal),
    read: (onMessage) => readOwnStream(reader, commands, `${prefix}:${own}`, seal, onMessage),
  };
}

/** A function that appends a message to `stream`: (type, exchange id, number, bytes). */
function sender(commands, stream, seal) {
  return (type, id, n, data) => void commands.xadd(stream, '*', 't', type, 'i', id, 'n', String(n), 'd', data, 'm', seal(type, id, data));
}

/** Reads `stream` from its start forever with plain XREAD, hands each message to `onMessage`, and deletes what each read brought. */
async function readOwnStream(reader, commands, stream, seal, onMessage) {
  let last = '0';
  for (;;) {
    const result = await reader.xreadBuffer('COUNT', 64, 'BLOCK', 1000, 'STREAMS', stream, last);
    if (result === null) continue;
    const ids = [];
    for (const entry of result[0][1]) {
      last = entry[0].toString();
      ids.push(last);
      onMessage(parseEntry(entry, seal));
    }
    void commands.xdel(stream, ...ids);
  }
}

/** An XREAD entry (fields t, i, n, d, m, as Buffers) read and its MAC checked; throws on a bad MAC. */
function parseEntry(entry, seal) {
  const fields = entry[1];
  const type = fields[1].toString();
  const id = fields[3].toString();
  const data = fields[7];
  const mac = seal(type, id, data);
  if (mac.length > 0 && !timingSafeEqual(mac, fields[9])) throw new Error(`bad MAC on entry ${entry[0]}`);
  return { type, id, n: Number(fields[5].toString()), data };
}
