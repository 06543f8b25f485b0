/**
 * The request path over HTTP/2 (h2c with prior knowledge), with real clients: nghttp and h2load,
 * and node:http2 where a test must reset a stream or stream a body. Identity policy (pseudo-headers
 * never forwarded), CANCEL on a client stream reset, 413 on a stream over maxBodyBytes, deadlines,
 * rate limits, auth and the operations endpoints work as they do over HTTP/1.1.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, type ClientHttp2Session } from 'node:http2';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Latch } from '../../../test/harness/wait.js';
import { edgeService, edgeWorld, h2connect, h2request, runClient, type EdgeWorld } from './edge-fixtures.js';

const MAX_BODY = 64 * 1024;

const path = suite('HTTP/2 (h2c) request path');
let w: EdgeWorld | undefined;
let session: ClientHttp2Session | undefined;
let resetSeen: Latch | undefined;
let resetStarted: Latch | undefined;
let resetReason: unknown;

path.before(async () => {
  w = await edgeWorld({ http2: true, maxBodyBytes: MAX_BODY }, async (ns) => [
    await edgeService(ns, 'h2', (s) => {
      s.get('/h2/headers', async (req) => ({ status: 200, json: req.headers }));
      s.post('/h2/echo', async (req) => ({ status: 200, body: req.body, headers: { 'content-type': 'application/octet-stream' } }));
      // A streamed request body, hashed as it arrives (the gateway reads it piece by piece from the HTTP/2 stream).
      s.post('/h2/sink', async (req) => {
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of req.stream) {
          hash.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
        }
        return { status: 200, json: { bytes, sha256: hash.digest('hex') } };
      }, { streaming: 'request', maxBodyBytes: 16 * 1024 * 1024 });
      s.get('/h2/hang', async (_req, ctx) => {
        resetStarted?.count();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        resetReason = ctx.signal.reason;
        resetSeen?.count();
        return { status: 200, text: 'too late' };
      });
      s.get('/h2/slow', async (_req, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        return { status: 200, text: 'too late' };
      }, { timeoutMs: 100 });
      s.get('/h2/admin', async () => ({ status: 200, text: 'secret' }), { requiringClaims: [{ claim: 'role', value: 'admin' }] });
    }),
  ]);
  session = await h2connect(w.url);
});
path.after(async () => {
  session?.destroy();
  await w?.stop();
});

path('the gateway URL is http:// and nghttp (prior knowledge) gets an answer', async () => {
  assert.match(w?.url ?? '', /^http:\/\//);
  const res = await runClient('nghttp', ['-v', `${w?.url}/h2/headers`]);
  assert.is(res.code, 0, res.stderr);
  assert.match(res.stdout, /:status: 200/);
});

path('h2load with 4 connections × 10 streams gets 200 for every request', async () => {
  const res = await runClient('h2load', ['-n', '400', '-c', '4', '-m', '10', `${w?.url}/h2/headers`]);
  assert.is(res.code, 0, res.stderr);
  assert.match(res.stdout, /requests: 400 total, 400 started, 400 done, 400 succeeded, 0 failed/);
  assert.match(res.stdout, /status codes: 400 2xx/);
});

path('pseudo-headers are never forwarded; the authority arrives as host; spoofed identity headers are stripped', async () => {
  const res = await h2request(session as ClientHttp2Session, {
    ':path': '/h2/headers',
    'x-switchyard-identity-subject': 'admin',
    'x-switchyard-identity-anonymous': 'false',
    'x-tenant-id': 'evil',
    'x-scopes': 'admin',
    'x-user-id': 'root',
    'x-forwarded-user': 'root',
    'x-custom': 'kept',
  });
  assert.is(res.status, 200);
  const seen = JSON.parse(res.body.toString()) as Record<string, string>;
  assert.equal(Object.keys(seen).filter((k) => k.startsWith(':')), [], 'no pseudo-header reaches the handler');
  assert.is(seen.host, new URL(w?.url as string).host);
  assert.is(seen['x-switchyard-identity-subject'], 'anonymous');
  assert.is(seen['x-switchyard-identity-anonymous'], 'true');
  // The gateway writes x-user-id and x-scopes from the anonymous identity; the client's values never arrive.
  assert.is(seen['x-user-id'], 'anonymous');
  assert.is(seen['x-scopes'], '');
  for (const h of ['x-tenant-id', 'x-forwarded-user']) assert.is(seen[h], undefined, `${h} must not reach the handler`);
  assert.is(seen['x-custom'], 'kept');
});

path('spoofed identity headers sent by nghttp in mixed case never reach the handler', async () => {
  const res = await runClient('nghttp', ['-H', 'X-Switchyard-Identity-Subject: admin', '-H', 'X-Tenant-Id: evil', `${w?.url}/h2/headers`]);
  assert.is(res.code, 0, res.stderr);
  const seen = JSON.parse(res.stdout) as Record<string, string>;
  assert.is(seen['x-switchyard-identity-subject'], 'anonymous');
  assert.is(seen['x-tenant-id'], undefined);
});

path('a body streamed without content-length reaches the handler whole', async () => {
  const body = Buffer.alloc(40_000, 0x62);
  const res = await h2request(session as ClientHttp2Session, { ':method': 'POST', ':path': '/h2/echo' }, body);
  assert.is(res.status, 200);
  assert.is(res.body.length, body.length);
  assert.ok(res.body.equals(body));
});

path('a streamed request body arrives whole over HTTP/2, written in many pieces', async () => {
  const body = randomBytes(3 * 1024 * 1024 + 123);
  const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const stream = (session as ClientHttp2Session).request({ ':method': 'POST', ':path': '/h2/sink' }, { endStream: false });
    let status = 0;
    let text = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => resolve({ status, text }));
    stream.on('error', reject);
    for (let at = 0; at < body.length; at += 50_000) stream.write(body.subarray(at, at + 50_000));
    stream.end();
  });
  assert.is(res.status, 200, res.text);
  assert.equal(JSON.parse(res.text), { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
});

path('a stream over maxBodyBytes answers 413 and the connection keeps serving other streams', async () => {
  // A session of its own: after the server resets the oversized streams, the client's unsent bytes
  // keep its side of them open until the session is destroyed.
  const s = await h2connect(w?.url as string);
  try {
    const tooLarge = await h2request(s, { ':method': 'POST', ':path': '/h2/echo' }, Buffer.alloc(MAX_BODY * 2, 0x61));
    assert.is(tooLarge.status, 413);
    assert.is((JSON.parse(tooLarge.body.toString()) as { error: { code: string } }).error.code, 'SY_GATEWAY_PAYLOAD_TOO_LARGE');
    const declared = await h2request(s, { ':method': 'POST', ':path': '/h2/echo', 'content-length': String(MAX_BODY + 1) }, Buffer.alloc(MAX_BODY + 1));
    assert.is(declared.status, 413);
    assert.ok(!s.destroyed, 'the session survives the 413s');
    assert.is((await h2request(s, { ':path': '/h2/headers' })).status, 200);
  } finally {
    s.destroy();
  }
});

path('a client still sending past maxBodyBytes gets 413 and only its stream is reset, with NO_ERROR', async () => {
  // A session of its own: the flow-control windows of the other tests' bodies do not matter here.
  const s = await h2connect(w?.url as string);
  const stream = s.request({ ':method': 'POST', ':path': '/h2/echo' }, { endStream: false });
  try {
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('error', () => undefined);
    // 'aborted': the stream closed while this side was still sending, i.e. the server reset it.
    const reset = new Latch(1, 'the server to reset the oversized stream');
    stream.once('aborted', () => reset.count());
    stream.resume();
    // More than the flow-control window, and the body never ends: only the server can close this stream.
    stream.write(Buffer.alloc(MAX_BODY * 2, 0x61));
    await reset.wait(3_000);
    assert.is(status, 413);
    assert.is(stream.rstCode, constants.NGHTTP2_NO_ERROR);
    assert.ok(!s.destroyed, 'the session survives');
    assert.is((await h2request(s, { ':path': '/h2/headers' })).status, 200);
  } finally {
    // The client's unsent bytes would otherwise keep its side of the stream open.
    stream.destroy();
    s.destroy();
  }
});

path('a stream reset by the client reaches the handler as CANCEL (its signal fires with client-disconnected)', async () => {
  resetStarted = new Latch(1, 'the handler to start');
  resetSeen = new Latch(1, 'the handler signal to fire after the client reset its stream');
  const stream = (session as ClientHttp2Session).request({ ':path': '/h2/hang' });
  stream.on('error', () => undefined);
  await resetStarted.wait(10_000);
  stream.close(constants.NGHTTP2_CANCEL);
  await resetSeen.wait(10_000);
  assert.is(resetReason, 'client-disconnected');
});

path('a deadline passed answers 504 over HTTP/2', async () => {
  const res = await h2request(session as ClientHttp2Session, { ':path': '/h2/slow' });
  assert.is(res.status, 504);
});

path('an endpoint requiring claims answers 401 without credentials', async () => {
  const res = await h2request(session as ClientHttp2Session, { ':path': '/h2/admin' });
  assert.is(res.status, 401);
});

path('the operations endpoints answer over HTTP/2', async () => {
  const s = session as ClientHttp2Session;
  assert.is((await h2request(s, { ':path': '/health/live' })).status, 200);
  assert.is((await h2request(s, { ':path': '/health/ready' })).status, 200);
  const metrics = await h2request(s, { ':path': '/metrics' });
  assert.is(metrics.status, 200);
  assert.match(metrics.body.toString(), /switchyard_gateway_/);
});

path.run();

// --- rate limits -------------------------------------------------------------------------------

const limited = suite('HTTP/2 rate limits');
let lw: EdgeWorld | undefined;

limited.before(async () => {
  lw = await edgeWorld({ http2: true }, async (ns) => [await edgeService(ns, 'rl', (s) => s.get('/rl', async () => ({ status: 200, text: 'ok' })))], {
    rateLimit: { perClient: { requestsPerSecond: 0.01, burst: 2 }, clientKey: 'ip' },
  });
});
limited.after(async () => {
  await lw?.stop();
});

limited('the client limit counts HTTP/2 streams: past the burst the answer is 429 with retry-after', async () => {
  const s = await h2connect(lw?.url as string);
  try {
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let i = 0; i < 3; i++) {
      const r = await h2request(s, { ':path': '/rl' });
      statuses.push(r.status);
      retryAfter ??= r.headers['retry-after'];
    }
    assert.equal(statuses, [200, 200, 429]);
    assert.ok(Number(retryAfter) > 0, 'retry-after is set');
  } finally {
    s.close();
  }
});

limited.run();

// --- shutdown -----------------------------------------------------------------------------------

const shutdown = suite('HTTP/2 shutdown');

shutdown('stopping sends GOAWAY; past the grace period an in-flight stream is answered 503 and the handler sees the CANCEL', async () => {
  const started = new Latch(1, 'the slow handler to start');
  const cancelled = new Latch(1, 'the slow handler to be aborted');
  const sw = await edgeWorld({ http2: true, shutdownGraceMs: 200 }, async (ns) => [
    await edgeService(ns, 'slow', (s) =>
      s.get('/slow', async (_req, ctx) => {
        started.count();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        cancelled.count();
        return { status: 200, text: 'late' };
      }),
    ),
  ]);
  const s = await h2connect(sw.url);
  const goaway = new Latch(1, 'GOAWAY from the stopping gateway');
  s.on('goaway', () => goaway.count());
  s.on('error', () => undefined);
  try {
    const pending = h2request(s, { ':path': '/slow' });
    await started.wait(10_000);
    const stopped = sw.gateway.stop();
    await goaway.wait(5_000);
    const res = await pending;
    assert.is(res.status, 503);
    assert.is((JSON.parse(res.body.toString()) as { error: { code: string } }).error.code, 'SY_GATEWAY_SHUTTING_DOWN');
    await cancelled.wait(10_000);
    await stopped;
  } finally {
    s.destroy();
    for (const svc of sw.services) await svc.stop();
  }
});

shutdown.run();
