/**
 * Reference gateway over Valkey for bench:stream (`--reference`): the least code of the shape
 * "HTTP body in → Valkey stream → worker → Valkey stream → HTTP body out", with flow control and
 * signed chunks, and none of Switchyard's routing, limits, idle timeouts, cancellation or error
 * handling. It shows what this machine allows for streamed bodies through Valkey.
 *
 *   node valkey-stream-gateway.mjs <redis url> <key prefix> <hex HMAC key, or - for unsigned>
 *
 * Every message is one entry `t <type> i <exchange> n <number> d <bytes> m <mac>` on the
 * receiver's stream (`<prefix>:worker`, `<prefix>:gateway`); each process reads its own stream
 * with plain XREAD and deletes what it read with one XDEL per read. Types: r request (n: bytes
 * to send, -1 for an echo of the request body), h response head (n: the body's length, -1 unknown), c chunk, e end, k credit (n bytes). Each side
 * starts with a window of credit and grants more as the bytes leave it; the request body's
 * pieces that arrive in one turn go out as one chunk of at most 256 KiB.
 */
import { createServer } from 'node:http';
import { CHUNK_BYTES, EMPTY, WINDOW_BYTES, pairEnd } from './valkey-stream-framing.mjs';

const { send, read } = pairEnd('gateway', process.argv.slice(2));
const exchanges = new Map();
let nextId = 0;

/** Sends what the request body has ready, as far as the worker's credit reaches. */
function pump(ex) {
  ex.scheduled = false;
  while (ex.credit > 0 && ex.ready.length > 0) {
    const limit = Math.min(CHUNK_BYTES, ex.credit);
    let size = 0;
    const parts = [];
    while (ex.ready.length > 0 && size < limit) {
      const head = ex.ready[0];
      const take = Math.min(head.length, limit - size);
      parts.push(take === head.length ? head : head.subarray(0, take));
      if (take === head.length) ex.ready.shift();
      else ex.ready[0] = head.subarray(take);
      size += take;
    }
    ex.readyBytes -= size;
    ex.credit -= size;
    send('c', ex.id, 0, parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
  }
  if (ex.readyBytes >= WINDOW_BYTES || ex.credit <= 0) ex.req.pause();
  else ex.req.resume();
  if (ex.ended && ex.readyBytes === 0 && !ex.endSent) {
    ex.endSent = true;
    send('e', ex.id, 0, EMPTY);
  }
}

const server = createServer((req, res) => {
  if (req.url === '/health/ready') return void res.end('ok');
  const path = new URL(req.url ?? '/', 'http://x');
  const id = String(++nextId);
  const download = req.method === 'GET' && path.pathname === '/echo/bytes';
  const ex = { id, req, res, credit: WINDOW_BYTES, ready: [], readyBytes: 0, ended: false, endSent: false, scheduled: false, owed: 0 };
  exchanges.set(id, ex);
  send('r', id, download ? Number(path.searchParams.get('n') ?? '0') : -1, EMPTY);
  if (download) {
    req.resume();
    ex.endSent = true;
    return;
  }
  req.on('data', (piece) => {
    ex.ready.push(piece);
    ex.readyBytes += piece.length;
    if (!ex.scheduled) {
      ex.scheduled = true;
      setImmediate(pump, ex);
    }
  });
  req.on('end', () => {
    ex.ended = true;
    pump(ex);
  });
});

/** The response's bytes left this process: the worker may send as many more. */
function written(ex, bytes) {
  ex.owed += bytes;
  if (ex.owed >= WINDOW_BYTES / 4) {
    send('k', ex.id, ex.owed, EMPTY);
    ex.owed = 0;
  }
}

function onMessage({ type, id, n, data }) {
  const ex = exchanges.get(id);
  if (ex === undefined) return;
  if (type === 'h') ex.res.writeHead(200, n >= 0 ? { 'content-type': 'application/octet-stream', 'content-length': String(n) } : { 'content-type': 'application/octet-stream' });
  else if (type === 'c') ex.res.write(data, () => written(ex, data.length));
  else if (type === 'k') {
    ex.credit += n;
    pump(ex);
  } else if (type === 'e') {
    exchanges.delete(id);
    ex.res.end();
  }
}

void read(onMessage);
server.listen(0, '127.0.0.1', () => console.log(`gateway listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
