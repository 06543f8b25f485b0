/**
 * Reference gateway over Valkey for bench:http (`--reference`): the least code of the shape
 * "HTTP in → stream → worker → stream → HTTP out", with none of Switchyard's routing, auth,
 * deadlines, cancellation, fencing, redelivery or metrics. It shows what this machine allows
 * for the shape, so the Switchyard rows can be read against it as well as against direct.
 *
 *   node valkey-gateway.mjs <redis url> <key prefix>
 *
 * Requests of one event-loop turn go out as one pipeline of XADDs; one connection blocks on
 * XREAD over the reply stream and answers each reply's HTTP response.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const [url, prefix] = process.argv.slice(2);
const requests = `${prefix}:requests`;
const replies = `${prefix}:replies`;
const commands = new Redis(url);
const reader = new Redis(url);
await commands.xgroup('CREATE', requests, 'workers', '$', 'MKSTREAM').catch(() => undefined);

const waiting = new Map();
let nextId = 0;
let outgoing = [];

function flush() {
  const pipeline = commands.pipeline();
  for (const [id, frame] of outgoing) pipeline.xadd(requests, '*', 'i', id, 'f', frame);
  outgoing = [];
  void pipeline.exec();
}

const server = createServer((req, res) => {
  if (req.url === '/health/ready') return void res.end('ok');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const id = String(++nextId);
    waiting.set(id, res);
    const frame = JSON.stringify({ m: req.method, u: req.url, h: req.headers, b: Buffer.concat(chunks).toString('utf8') });
    if (outgoing.push([id, frame]) === 1) setImmediate(flush);
  });
});

async function readReplies() {
  let last = '$';
  for (;;) {
    const result = await reader.xreadBuffer('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', replies, last);
    if (result === null) continue;
    for (const [entryId, fields] of result[0][1]) {
      last = entryId.toString();
      const id = fields[1].toString();
      const res = waiting.get(id);
      if (res === undefined) continue;
      waiting.delete(id);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': fields[3].length });
      res.end(fields[3]);
    }
  }
}

void readReplies();
server.listen(0, '127.0.0.1', () => console.log(`gateway listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
