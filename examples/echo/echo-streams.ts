/**
 * The echo service's streaming endpoints: `POST /echo/stream` sends the request body back as it
 * arrives (bodies up to 2 GiB), `GET /echo/bytes?n=N` streams N bytes of a fixed pattern
 * (echoBytesPattern), and `GET /echo/events?n=N&ms=M` sends N server-sent events M ms apart.
 */
import { EventStream, type Microservice } from '@switchyard/microservice';
import { Readable } from 'node:stream';

/** Largest body POST /echo/stream accepts. */
export const ECHO_STREAM_MAX_BYTES = 2 * 1024 ** 3;
/** Largest n GET /echo/bytes serves (2^40). */
const MAX_BYTES_N = 2 ** 40;
const BLOCK = 64 * 1024;

/** The bytes GET /echo/bytes repeats: byte j of every 64 KiB block is (j * 31 + 7) & 255. */
export function echoBytesPattern(): Buffer {
  const block = Buffer.allocUnsafe(BLOCK);
  for (let j = 0; j < BLOCK; j++) block[j] = (j * 31 + 7) & 255;
  return block;
}

export function registerEchoStreams(svc: Microservice): void {
  svc.post('/echo/stream', async (req) => ({ status: 200, headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' }, stream: req.stream }), {
    summary: 'Streams the request body back as it arrives',
    description: 'The response body is the request body, sent as it arrives, with flow control both ways. Bodies up to 2 GiB.',
    tags: ['echo'],
    streaming: true,
    maxBodyBytes: ECHO_STREAM_MAX_BYTES,
    timeoutMs: 60_000,
  });

  svc.get('/echo/bytes', async (req) => {
    const n = Number(req.query.get('n') ?? '0');
    if (!Number.isSafeInteger(n) || n < 0 || n > MAX_BYTES_N) {
      return { status: 400, json: { error: { code: 'BAD_N', message: `n must be an integer 0–${MAX_BYTES_N}` } } };
    }
    const block = echoBytesPattern();
    async function* bytes(): AsyncGenerator<Uint8Array> {
      for (let left = n; left > 0; left -= BLOCK) yield left >= BLOCK ? block : block.subarray(0, left);
    }
    return { status: 200, headers: { 'content-type': 'application/octet-stream', 'content-length': String(n) }, stream: Readable.from(bytes(), { objectMode: false }) };
  }, {
    summary: 'Streams n bytes',
    description: 'n bytes of a fixed pattern (byte j of every 64 KiB block is (j * 31 + 7) & 255), with a Content-Length.',
    tags: ['echo'],
    streaming: 'response',
    query: { type: 'object', properties: { n: { type: 'integer', minimum: 0, description: 'how many bytes' } } },
  });

  svc.get('/echo/events', async (req, ctx) => {
    const n = Number(req.query.get('n') ?? '3');
    const ms = Number(req.query.get('ms') ?? '100');
    if (!Number.isSafeInteger(n) || n < 0 || !Number.isFinite(ms) || ms < 0) {
      return { status: 400, json: { error: { code: 'BAD_QUERY', message: 'n must be an integer ≥ 0 and ms a number ≥ 0' } } };
    }
    const events = new EventStream();
    void (async () => {
      try {
        for (let i = 1; i <= n && !ctx.signal.aborted; i++) {
          await events.send({ id: String(i), event: 'tick', data: { i, at: Date.now() } });
          if (i < n) await new Promise((resolve) => setTimeout(resolve, ms));
        }
      } catch {
        // The client went away.
      }
      events.close();
    })();
    return events.response();
  }, {
    summary: 'Server-sent events',
    description: 'Sends n `tick` events (data `{"i", "at"}`), ms milliseconds apart, as text/event-stream.',
    tags: ['echo'],
    streaming: 'response',
    timeoutMs: 60_000,
    query: { type: 'object', properties: { n: { type: 'integer', minimum: 0, default: 3 }, ms: { type: 'number', minimum: 0, default: 100 } } },
  });
}
