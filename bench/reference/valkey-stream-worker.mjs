/**
 * Reference worker of bench:stream (see valkey-stream-gateway.mjs): answers `r` with a head,
 * then either sends the bytes asked for (GET /echo/bytes) or sends each request chunk back as it
 * arrives (POST /echo/stream), within the gateway's credit, granting request credit as the
 * chunks leave it.
 *
 *   node valkey-stream-worker.mjs <redis url> <key prefix> <hex HMAC key, or - for unsigned>
 */
import { CHUNK_BYTES, EMPTY, WINDOW_BYTES, pairEnd } from './valkey-stream-framing.mjs';

const { send, read } = pairEnd('worker', process.argv.slice(2));
const exchanges = new Map();
// The echo service's pattern: byte j of every 64 KiB block is (j * 31 + 7) & 255.
const block = Buffer.allocUnsafe(CHUNK_BYTES);
for (let j = 0; j < CHUNK_BYTES; j++) block[j] = ((j % 65536) * 31 + 7) & 255;

/** Sends what is ready (request chunks to echo, or bytes left to generate) within the response credit. */
function drain(ex) {
  while (ex.credit > 0) {
    let piece;
    if (ex.left > 0) {
      piece = block.subarray(0, Math.min(CHUNK_BYTES, ex.left, ex.credit));
      ex.left -= piece.length;
    } else if (ex.pending.length > 0) {
      const head = ex.pending[0];
      piece = head.length <= ex.credit ? head : head.subarray(0, ex.credit);
      if (piece === head) ex.pending.shift();
      else ex.pending[0] = head.subarray(piece.length);
      ex.owed += piece.length;
    } else break;
    ex.credit -= piece.length;
    send('c', ex.id, 0, piece);
  }
  if (ex.owed >= WINDOW_BYTES / 4) {
    send('k', ex.id, ex.owed, EMPTY);
    ex.owed = 0;
  }
  if (ex.ended && ex.left === 0 && ex.pending.length === 0) {
    exchanges.delete(ex.id);
    send('e', ex.id, 0, EMPTY);
  }
}

console.log('echo listening');
process.on('SIGTERM', () => process.exit(0));

await read(({ type, id, n, data }) => {
  if (type === 'r') {
    // n ≥ 0: send n bytes, and nothing will come from the request; -1: echo the request body until its end.
    const ex = { id, credit: WINDOW_BYTES, left: Math.max(n, 0), ended: n >= 0, pending: [], owed: 0 };
    exchanges.set(id, ex);
    send('h', id, n, EMPTY);
    drain(ex);
    return;
  }
  const ex = exchanges.get(id);
  if (ex === undefined) return;
  if (type === 'c') ex.pending.push(data);
  else if (type === 'k') ex.credit += n;
  else if (type === 'e') ex.ended = true;
  drain(ex);
});
