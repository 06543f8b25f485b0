/**
 * The edge limits (header size, header deadline, the JSON answer to parser refusals, the cap on
 * connections per client) on the listener kinds besides plain HTTP/1.1, which edge.test.ts
 * covers: HTTPS, the HTTP/1.1 fallback of an HTTP/2 listener over TLS, and h2c.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestPki, type TestPki } from '../../../test/harness/certs.js';
import { eventually } from '../../../test/harness/wait.js';
import { edgeService, edgeWorld, h2connect, h2request, type EdgeWorld } from './edge-fixtures.js';

const LIMITS = { maxHeaderBytes: 2048, headersTimeoutMs: 300, requestTimeoutMs: 2_000 };

const ping = (ns: string) =>
  edgeService(ns, 'ping', (s) => {
    s.get('/ping', async () => ({ status: 200, json: { pong: true } }));
    s.post('/ping', async () => ({ status: 200, json: { pong: true } }));
  });

/**
 * Sends `text` over TLS (offering only HTTP/1.1 in ALPN) and collects what comes back until the
 * server closes the connection; fails after `ms`.
 */
function tlsExchange(url: string, ca: string, text: string, ms = 5_000): Promise<{ text: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = tlsConnect({ host: hostname, port: Number(port), ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () => socket.write(text));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the gateway at ${url} did not close the connection within ${ms} ms; got: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedAfterMs: performance.now() - started });
    });
  });
}

let pki: TestPki | undefined;
const caPem = (): string => readFileSync(pki?.ca.cert ?? '', 'utf8');

for (const [name, http] of [
  ['HTTPS', {}],
  ['the HTTP/1.1 fallback of HTTP/2 over TLS', { http2: true }],
] as const) {
  const tls = suite(`edge limits on ${name}`);
  let world: EdgeWorld | undefined;
  tls.before(async () => {
    const files = (pki ??= await createTestPki());
    world = await edgeWorld({ ...LIMITS, ...http, tls: { cert: files.server.cert, key: files.server.key } }, async (ns) => [await ping(ns)]);
  });
  tls.after(async () => {
    await world?.stop();
  });

  tls('headers over http.maxHeaderBytes answer 431 with the JSON error body', async () => {
    const res = await tlsExchange(world?.url ?? '', caPem(), `GET /ping HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(4_000)}\r\n\r\n`);
    assert.match(res.text, /^HTTP\/1\.1 431 /);
    assert.match(res.text, /"code":"SY_GATEWAY_HEADERS_TOO_LARGE"/);
  });

  tls('a client that never finishes its headers gets 408 after http.headersTimeoutMs and is disconnected', async () => {
    const res = await tlsExchange(world?.url ?? '', caPem(), 'GET /ping HTTP/1.1\r\nHost: localhost\r\n');
    assert.match(res.text, /^HTTP\/1\.1 408 /);
    assert.match(res.text, /"code":"SY_GATEWAY_REQUEST_TIMEOUT"/);
    assert.ok(res.closedAfterMs < 1_900, `cut after ${Math.round(res.closedAfterMs)} ms, past the 300 ms header deadline plus its checking interval`);
  });

  tls('a complete request within the limits is answered', async () => {
    const res = await tlsExchange(world?.url ?? '', caPem(), 'GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.match(res.text, /^HTTP\/1\.1 200 /);
    assert.match(res.text, /"pong":true/);
  });

  tls.run();
}

const h2c = suite('edge limits on h2c');
let cleartext: EdgeWorld | undefined;
h2c.before(async () => {
  cleartext = await edgeWorld({ http2: true, maxConnectionsPerClient: 1, bodyIdleTimeoutMs: 300 }, async (ns) => [await ping(ns)]);
});
h2c.after(async () => {
  await cleartext?.stop();
  await pki?.remove();
});

h2c('a body that stops arriving resets its HTTP/2 stream after http.bodyIdleTimeoutMs; the connection and its other streams go on', async () => {
  const session = await h2connect(cleartext?.url ?? '');
  try {
    const stalled = session.request({ ':method': 'POST', ':path': '/ping', 'content-length': '100' }, { endStream: false });
    stalled.on('error', () => undefined);
    stalled.write('abc');
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the stalled stream was not reset within 3 s (bodyIdleTimeoutMs is 300 ms)')), 3_000);
      stalled.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    assert.is(stalled.rstCode, constants.NGHTTP2_CANCEL);
    const after = performance.now() - started;
    assert.ok(after >= 250, `reset after ${Math.round(after)} ms, before the 300 ms idle limit`);
    assert.not.ok(session.closed || session.destroyed, 'the session was closed with the stream');
    assert.is((await h2request(session, { ':method': 'GET', ':path': '/ping' })).status, 200);
  } finally {
    session.destroy();
  }
});

h2c('a second connection from the same address past http.maxConnectionsPerClient is closed; the first keeps working', async () => {
  const url = cleartext?.url ?? '';
  // The server may not yet have seen the previous test's connection close: until it has, that
  // connection holds the one slot.
  const first = await eventually(
    async () => {
      const session = await h2connect(url);
      const answer = await h2request(session, { ':method': 'GET', ':path': '/ping' }).catch(() => undefined);
      if (answer?.status === 200) return session;
      session.destroy();
      return undefined;
    },
    { what: 'a first HTTP/2 connection to be answered' },
  );
  try {
    const second = await h2connect(url).catch(() => undefined);
    if (second !== undefined) {
      // Connected before the server's close arrived: the request on it fails or the session closes.
      // (a stream the closing session ends has no status).
      const outcome = await h2request(second, { ':method': 'GET', ':path': '/ping' }, undefined, 5_000).then(
        (a) => (Number.isNaN(a.status) ? 'refused' : `answered ${a.status}`),
        () => 'refused',
      );
      second.destroy();
      assert.is(outcome, 'refused');
    }
    assert.is((await h2request(first, { ':method': 'GET', ':path': '/ping' })).status, 200);
  } finally {
    first.destroy();
  }
});

h2c.run();
