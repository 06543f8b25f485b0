/**
 * Reference gateway over TCP for bench:http (`--reference`): the least code of the shape
 * "HTTP in → framed TCP → worker → framed TCP → HTTP out", with none of Switchyard's routing,
 * auth, deadlines, cancellation, validation or metrics (see valkey-gateway.mjs for why).
 * Frames are a u32 big-endian length and JSON; one worker connects; the frames of one event-loop
 * turn go out in one write.
 *
 *   node tcp-gateway.mjs <worker port>
 */
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { readFrames, frame } from './framing.mjs';

const port = Number(process.argv[2]);
const waiting = new Map();
let worker;
let nextId = 0;
let outgoing = [];

function flush() {
  worker?.write(Buffer.concat(outgoing));
  outgoing = [];
}

createTcpServer((socket) => {
  socket.setNoDelay(true);
  worker = socket;
  readFrames(socket, (reply) => {
    const res = waiting.get(reply.i);
    if (res === undefined) return;
    waiting.delete(reply.i);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply.b) });
    res.end(reply.b);
  });
}).listen(port, '127.0.0.1');

const server = createServer((req, res) => {
  if (req.url === '/health/ready') {
    res.statusCode = worker === undefined ? 503 : 200;
    return void res.end();
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const id = ++nextId;
    waiting.set(id, res);
    const f = frame({ i: id, m: req.method, u: req.url, h: req.headers, b: Buffer.concat(chunks).toString('utf8') });
    if (outgoing.push(f) === 1) setImmediate(flush);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`gateway listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
