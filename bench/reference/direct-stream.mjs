/**
 * The direct server of bench:stream, the baseline the gateway rows are compared with: one Node
 * HTTP server streaming the same bytes as the echo service's streaming endpoints.
 * POST /echo/stream pipes the request body back; GET /echo/bytes?n=N sends N bytes of the echo's
 * pattern (byte j of every 64 KiB block is (j * 31 + 7) & 255) with a Content-Length.
 *
 *   node direct-stream.mjs
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';

const BLOCK = 64 * 1024;
const block = Buffer.allocUnsafe(BLOCK);
for (let j = 0; j < BLOCK; j++) block[j] = (j * 31 + 7) & 255;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'POST' && url.pathname === '/echo/stream') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    pipeline(req, res).catch(() => res.destroy());
    return;
  }
  if (req.method === 'GET' && url.pathname === '/echo/bytes') {
    let left = Number(url.searchParams.get('n') ?? '0');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
    const write = () => {
      while (left > 0) {
        const piece = left >= BLOCK ? block : block.subarray(0, left);
        left -= piece.length;
        if (!res.write(piece)) return void res.once('drain', write);
      }
      res.end();
    };
    write();
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => console.log(`direct listening on http://127.0.0.1:${server.address().port}`));
