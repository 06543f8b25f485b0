/**
 * The HTTP/2 limits of http.http2Limits, driven by real clients: the advertised settings, a
 * header list over maxHeaderListBytes refused on its stream only, a rapid-reset client sent
 * GOAWAY ENHANCE_YOUR_CALM past maxResetsPerSecond, and a CONTINUATION flood (raw frames) cut off
 * by the server — each while other connections keep being served.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { constants, type ClientHttp2Session } from 'node:http2';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Latch } from '../../../test/harness/wait.js';
import { edgeService, edgeWorld, h2connect, h2request, type EdgeWorld } from './edge-fixtures.js';

const LIMITS = { maxConcurrentStreams: 7, maxHeaderListBytes: 4096, maxResetsPerSecond: 20 };

const limits = suite('HTTP/2 limits');
let w: EdgeWorld | undefined;

limits.before(async () => {
  w = await edgeWorld({ http2: true, http2Limits: LIMITS }, async (ns) => [
    await edgeService(ns, 'lim', (s) => {
      s.get('/lim', async () => ({ status: 200, text: 'ok' }));
      s.get('/lim/hang', async (_req, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        return { status: 200, text: 'late' };
      });
    }),
  ]);
});
limits.after(async () => {
  await w?.stop();
});

/** A new session once the server's SETTINGS have arrived. */
async function settled(): Promise<ClientHttp2Session> {
  const s = await h2connect(w?.url as string);
  if (s.remoteSettings.maxConcurrentStreams !== LIMITS.maxConcurrentStreams) {
    const got = new Latch(1, "the server's SETTINGS frame");
    s.once('remoteSettings', () => got.count());
    await got.wait(5_000);
  }
  return s;
}

limits('the server advertises maxConcurrentStreams and the header list size', async () => {
  const s = await settled();
  try {
    assert.is(s.remoteSettings.maxConcurrentStreams, LIMITS.maxConcurrentStreams);
    assert.is(s.remoteSettings.maxHeaderListSize, LIMITS.maxHeaderListBytes);
  } finally {
    s.destroy();
  }
});

limits('a header list over maxHeaderListBytes is refused on its stream; the session keeps serving', async () => {
  const s = await settled();
  try {
    const err = await h2request(s, { ':path': '/lim', 'x-large': 'a'.repeat(LIMITS.maxHeaderListBytes + 1_000) }).then(
      (r) => assert.unreachable(`an oversized header list was answered ${r.status}`),
      (e: unknown) => e as { code?: string; message: string },
    );
    assert.is(err?.code, 'ERR_HTTP2_STREAM_ERROR', err?.message);
    assert.match(err?.message ?? '', /ENHANCE_YOUR_CALM/);
    assert.is((await h2request(s, { ':path': '/lim' })).status, 200);
  } finally {
    s.destroy();
  }
});

limits('a client resetting streams faster than maxResetsPerSecond gets GOAWAY ENHANCE_YOUR_CALM; others are served', async () => {
  // Raw frames, as the attack sends them: HEADERS then RST_STREAM at once, stream after stream,
  // so no more than one stream is ever open (node:http2's client would wait for stream slots).
  const attacker = rawConnection();
  try {
    const path = Buffer.from('/lim/hang');
    const authority = Buffer.from('localhost');
    // GET, http (static table), then literal :path and :authority (nghttp2 refuses a request without an authority).
    const headers = Buffer.concat([Buffer.from([0x82, 0x86, 0x04, path.length]), path, Buffer.from([0x01, authority.length]), authority]);
    const cancel = Buffer.alloc(4);
    cancel.writeUInt32BE(constants.NGHTTP2_CANCEL);
    for (let i = 0; i < LIMITS.maxResetsPerSecond * 3; i++) {
      const id = 1 + 2 * i;
      attacker.socket.write(Buffer.concat([frame(0x1, 0x5, id, headers), frame(0x3, 0, id, cancel)])); // END_STREAM | END_HEADERS
    }
    const code = await attacker.goaway.wait(5_000);
    assert.is(code, constants.NGHTTP2_ENHANCE_YOUR_CALM, 'GOAWAY error code');
  } finally {
    attacker.socket.destroy();
  }
  const other = await settled();
  try {
    assert.is((await h2request(other, { ':path': '/lim' })).status, 200);
  } finally {
    other.destroy();
  }
});

/** A raw HTTP/2 connection (preface and SETTINGS sent) and the error code of the first GOAWAY it receives. */
function rawConnection(): { socket: Socket; goaway: { wait(ms: number): Promise<number> } } {
  const socket = netConnect(Number(new URL(w?.url as string).port), '127.0.0.1');
  socket.on('error', () => undefined);
  let received = Buffer.alloc(0);
  let code: number | undefined;
  const got = new Latch(1, 'a GOAWAY frame from the server');
  socket.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    while (received.length >= 9) {
      const length = received.readUIntBE(0, 3);
      if (received.length < 9 + length) break;
      if (received[3] === 0x7 && code === undefined) {
        code = received.readUInt32BE(9 + 4);
        got.count();
      }
      received = received.subarray(9 + length);
    }
  });
  socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  socket.write(frame(0x4, 0, 0, Buffer.alloc(0)));
  return { socket, goaway: { wait: async (ms) => (await got.wait(ms), code as number) } };
}

/** One raw HTTP/2 frame: 24-bit length, type, flags, stream id, payload. */
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

limits('a CONTINUATION flood (a header block that never ends) gets the connection closed; others are served', async () => {
  const socket = netConnect(Number(new URL(w?.url as string).port), '127.0.0.1');
  const cut = new Latch(1, 'the server to close the flooding connection');
  socket.once('end', () => cut.count());
  socket.once('close', () => cut.count());
  socket.on('error', () => undefined);
  socket.resume();
  try {
    socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    socket.write(frame(0x4, 0, 0, Buffer.alloc(0))); // SETTINGS
    // HEADERS on stream 1 (:method GET, :path /, :scheme http from the static table), no END_HEADERS.
    socket.write(frame(0x1, 0x1, 1, Buffer.from([0x82, 0x84, 0x86])));
    // CONTINUATION frames, each one more literal header, none with END_HEADERS.
    const field = (i: number): Buffer => Buffer.concat([Buffer.from([0x00, 5]), Buffer.from(`x-${String(i % 100).padStart(3, '0')}`), Buffer.from([64]), Buffer.alloc(64, 0x76)]);
    for (let i = 0; i < 10_000 && !socket.destroyed && !socket.writableEnded; i++) {
      if (!socket.write(frame(0x9, 0, 1, field(i)))) break;
    }
    await cut.wait(5_000);
  } finally {
    socket.destroy();
  }
  const s = await settled();
  try {
    assert.is((await h2request(s, { ':path': '/lim' })).status, 200);
  } finally {
    s.destroy();
  }
});

limits.run();
