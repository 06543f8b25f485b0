import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readBody, type BodyResult } from '../src/http/body-reader.js';

const LIMIT = 1024;

interface Observed {
  /** readBody answered without a promise. */
  readonly sync: boolean;
  readonly result: BodyResult;
  /** The stream was switched to flowing mode, i.e. listeners read it (the slow path). */
  readonly streamed: boolean;
  /** Calls of socket.setTimeout while the body was read: the idle limit armed and lifted. */
  readonly socketTimeouts: number;
}

/** A server that reads each request's body from the 'request' event, as the gateway does, and reports what happened. */
async function bodyServer(idleMs = 60_000): Promise<{ server: Server; port: number; next: () => Promise<Observed> }> {
  const observed: Observed[] = [];
  const waiters: Array<(o: Observed) => void> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let socketTimeouts = 0;
    const setTimeout = req.socket.setTimeout.bind(req.socket);
    req.socket.setTimeout = ((ms: number, cb?: () => void) => {
      socketTimeouts++;
      return setTimeout(ms, cb);
    }) as typeof req.socket.setTimeout;
    const reading = readBody(req, LIMIT, idleMs);
    const sync = !(reading instanceof Promise);
    void Promise.resolve(reading).then((result) => {
      const o: Observed = { sync, result, streamed: req.readableFlowing === true, socketTimeouts };
      const waiter = waiters.shift();
      if (waiter === undefined) observed.push(o);
      else waiter(o);
      res.shouldKeepAlive = false;
      res.end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const next = (): Promise<Observed> => {
    const o = observed.shift();
    return o !== undefined ? Promise.resolve(o) : new Promise((resolve) => waiters.push(resolve));
  };
  return { server, port, next };
}

/** Sends raw bytes in the given parts, `gapMs` apart, and returns the observed read. */
async function send(port: number, next: () => Promise<Observed>, parts: readonly string[], gapMs = 0): Promise<Observed> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.resume();
  await once(socket, 'connect');
  const seen = next();
  for (const part of parts) {
    socket.write(part);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  const o = await seen;
  socket.destroy();
  return o;
}

const head = (length: number): string => `POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: ${length}\r\n\r\n`;

const body = suite('request body reader');

body('a body that arrives with its headers is taken from the buffer one microtask later, without listeners', async () => {
  const { server, port, next } = await bodyServer();
  try {
    const o = await send(port, next, [head(5) + 'hello']);
    assert.is(o.sync, false, "from the 'request' event the body is not parsed yet");
    assert.is(o.result.kind, 'ok');
    assert.is(Buffer.from((o.result as { body: Uint8Array }).body).toString(), 'hello');
    assert.is(o.streamed, false, 'no data listener was attached');
    assert.is(o.socketTimeouts, 0, 'no idle timer was armed: nothing was waited for');
  } finally {
    server.close();
  }
});

body('a body that arrives after its headers is read from the stream, whole', async () => {
  const { server, port, next } = await bodyServer();
  try {
    const o = await send(port, next, [head(10), 'hello', 'world'], 30);
    assert.is(o.result.kind, 'ok');
    assert.is(Buffer.from((o.result as { body: Uint8Array }).body).toString(), 'helloworld');
    assert.is(o.streamed, true);
    assert.is(o.socketTimeouts, 2, 'the idle limit was armed for the wait and lifted after it');
  } finally {
    server.close();
  }
});

body('a body that stops arriving ends as aborted after the idle limit', async () => {
  const { server, port, next } = await bodyServer(150);
  try {
    const started = Date.now();
    const o = await send(port, next, [head(10), 'hello']);
    assert.is(o.result.kind, 'aborted');
    assert.ok(Date.now() - started >= 140, 'not before the idle limit');
  } finally {
    server.close();
  }
});

body('a declared Content-Length over the limit is refused at once, and an empty body needs no read', async () => {
  const { server, port, next } = await bodyServer();
  try {
    const big = await send(port, next, [head(LIMIT + 1)]);
    assert.equal({ sync: big.sync, kind: big.result.kind }, { sync: true, kind: 'too-large' });
    const empty = await send(port, next, [head(0)]);
    assert.equal({ sync: empty.sync, kind: empty.result.kind }, { sync: true, kind: 'ok' });
  } finally {
    server.close();
  }
});

body('a chunked body that grows past the limit stops at the limit with too-large', async () => {
  const { server, port, next } = await bodyServer();
  try {
    const chunk = 'a'.repeat(600);
    const chunked = `${(600).toString(16)}\r\n${chunk}\r\n`;
    const o = await send(port, next, ['POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n', chunked, chunked, chunked], 30);
    assert.is(o.result.kind, 'too-large');
  } finally {
    server.close();
  }
});

body.run();
