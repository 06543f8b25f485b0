/**
 * The HTTP edge against a real gateway (createGateway, real HTTP on port 0, its real pino logger
 * writing to a captured stream) and real SDK services over the memory Messaging backend, driven
 * by fetch and by raw sockets for what fetch would clean up itself (dot segments, absolute-form
 * targets, `Connection`, slow clients).
 */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '@switchyard/core';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { createGateway, parseGatewayConfig, type Gateway } from '../src/index.js';
import { createGatewayLogger } from '../src/logger.js';
import { eventually, within } from '../../../test/harness/wait.js';

const SECRET = 'edge-test-secret-with-at-least-32-bytes';
const TIMEOUTS = { headersTimeoutMs: 400, requestTimeoutMs: 900, bodyIdleTimeoutMs: 300 };
/** Far beyond every answer the edge gives at once: a request that reached dispatch would wait this long. */
const DEADLINE_MS = 10_000;

interface Seen {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface World {
  gateway: Gateway;
  url: string;
  services: Microservice[];
  /** Every request the echo service's handler received. */
  echoSeen: Seen[];
  vaultSeen: Seen[];
  /** Every line the gateway logged. */
  logLines: string[];
}

/** A token signed with the gateway's secret, expiring in `exp` (null: no `exp` claim). */
const sign = (claims: Record<string, unknown>, exp: string | null = '5m'): Promise<string> => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(new TextEncoder().encode(SECRET));
};

async function world(extra: Record<string, unknown> = {}): Promise<World> {
  const ns = `edge-${randomUUID()}`;
  const transport = { type: 'messaging', backend: 'memory', memory: { namespace: ns } };
  const config = await parseGatewayConfig({
    node: { id: `gw-${randomUUID().slice(0, 8)}` },
    http: { host: '127.0.0.1', port: 0, ...TIMEOUTS },
    transports: [transport],
    routing: { defaultTimeoutMs: DEADLINE_MS },
    auth: { jwt: { secret: SECRET }, anonymous: { subject: 'anonymous' } },
    log: { level: 'info', requests: true },
    ...extra,
  });
  const logLines: string[] = [];
  const { logger } = createGatewayLogger(config, { write: (line: string) => void logLines.push(line) });
  const gateway = await createGateway(config, { logger });
  const url = await gateway.start();
  const echoSeen: Seen[] = [];
  const vaultSeen: Seen[] = [];
  const service = async (name: string, setup: (svc: Microservice) => void): Promise<Microservice> => {
    const svc = await createMicroserviceFromConfig({ service: { name, version: '1.0.0' }, transports: [transport] }, { logger: silentLogger });
    setup(svc);
    await svc.start();
    return svc;
  };
  const services = [
    await service('echo', (s) => {
      const echo = async (req: { path: string; headers: Readonly<Record<string, string>> }) => {
        echoSeen.push({ path: req.path, headers: req.headers });
        return { status: 200, json: { path: req.path, headers: req.headers } };
      };
      s.get('/echo/{path...}', echo);
      s.post('/echo/{path...}', echo);
      // Answers after longer than the body idle timeout: waiting for an answer is not an idle body.
      s.post('/late/answer', async (req) => {
        await new Promise((resolve) => setTimeout(resolve, TIMEOUTS.bodyIdleTimeoutMs * 3));
        return { status: 200, text: req.text() };
      });
    }),
    await service('vault', (s) => {
      s.get(
        '/vault/secret',
        async (req) => {
          vaultSeen.push({ path: req.path, headers: req.headers });
          return { status: 200, text: 'the secret' };
        },
        { requiringClaims: [{ claim: 'role', value: 'admin' }] },
      );
    }),
  ];
  await eventually(() => gateway.readiness().ready && gateway.routing.isServiceAvailable('echo') && gateway.routing.isServiceAvailable('vault'), {
    what: 'echo and vault to register',
  });
  return { gateway, url, services, echoSeen, vaultSeen, logLines };
}

async function teardown(w: World | undefined): Promise<void> {
  if (w === undefined) return;
  for (const s of w.services) await s.stop();
  await w.gateway.stop();
}

function socketTo(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `head` as written (CRLF line ends added) on a new connection and reads until the server closes it. */
async function raw(url: string, lines: readonly string[]): Promise<{ status: number; text: string }> {
  const socket = await socketTo(url);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(`${[...lines, 'Connection: close', '', ''].join('\r\n')}`);
  await within(closed, 5_000, `the answer to ${lines[0] ?? ''}`);
  const text = Buffer.concat(chunks).toString('latin1');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text };
}

/** Body of a raw answer, as JSON. */
function jsonOf(text: string): { path?: string; headers?: Record<string, string>; error?: { code: string } } {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { path?: string; headers?: Record<string, string>; error?: { code: string } };
}

/**
 * Opens a connection, sends `first`, then `drip` every `everyMs` until the server closes the
 * connection; resolves with how long after `first` that was and what the server wrote.
 */
async function slowClient(url: string, first: string, drip: string, everyMs: number): Promise<{ closedAfterMs: number; text: string }> {
  const socket = await socketTo(url);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  const started = performance.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - started)));
  socket.write(first);
  const dripping = setInterval(() => {
    if (drip !== '' && socket.writable) socket.write(drip);
  }, everyMs);
  try {
    const closedAfterMs = await within(closed, 5_000, 'the gateway to cut the slow client');
    return { closedAfterMs, text: Buffer.concat(chunks).toString('latin1') };
  } finally {
    clearInterval(dripping);
    socket.destroy();
  }
}

// --- protocol limits and paths ----------------------------------------------------------------

const limits = suite('edge: protocol limits and paths');
let lw: World | undefined;
limits.before(async () => {
  lw = await world();
});
limits.after(() => teardown(lw));

limits('an over-long path or query answers 414 at once, not 504 after the deadline, and reaches no service', async () => {
  const w = lw as World;
  for (const target of [`/echo/${'a'.repeat(9_000)}`, `/echo/x?q=${'b'.repeat(9_000)}`]) {
    const started = performance.now();
    const res = await fetch(`${w.url}${target}`);
    const ms = performance.now() - started;
    assert.is(res.status, 414, `${target.slice(0, 12)}… answers 414`);
    assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SY_GATEWAY_URI_TOO_LONG');
    assert.ok(ms < DEADLINE_MS / 4, `414 came after ${Math.round(ms)} ms; it must not wait for the ${DEADLINE_MS} ms deadline`);
  }
  assert.is(w.echoSeen.length, 0, 'no over-long request reached echo');
});

limits('headers over http.maxHeaderBytes answer 431 with the JSON error body', async () => {
  const res = await raw((lw as World).url, ['GET /echo/big HTTP/1.1', 'Host: gw', `X-Big: ${'c'.repeat(20_000)}`]);
  assert.is(res.status, 431);
  assert.is(jsonOf(res.text).error?.code, 'SY_GATEWAY_HEADERS_TOO_LARGE');
});

limits('/echo/../vault/secret does not reach echo: it is normalised to /vault/secret and meets its claim check', async () => {
  const w = lw as World;
  for (const target of ['/echo/../vault/secret', '/echo/%2e%2e/vault/secret', '/echo/.%2E/vault/./secret', '//echo//..//vault/secret']) {
    const res = await raw(w.url, [`GET ${target} HTTP/1.1`, 'Host: gw']);
    assert.is(res.status, 401, `${target} is the vault's endpoint, which needs a token`);
  }
  const admin = await sign({ sub: 'ada', role: 'admin' });
  const res = await raw(w.url, ['GET /echo/../vault/secret HTTP/1.1', 'Host: gw', `Authorization: Bearer ${admin}`]);
  assert.is(res.status, 200);
  assert.equal(w.vaultSeen.at(-1)?.path, '/vault/secret', 'the vault saw the normalised path');
  assert.is(w.echoSeen.length, 0, 'echo saw none of them');
});

limits('encoded slashes, backslashes, fragments and climbs above the root answer 400 before matching', async () => {
  const w = lw as World;
  for (const target of ['/echo/..%2fvault/secret', '/echo/a%2Fb', '/echo/a%5cb', '/echo/a\\b', '/echo/%zz', '/../echo/x', '/echo/x%00']) {
    const res = await raw(w.url, [`GET ${target} HTTP/1.1`, 'Host: gw']);
    assert.is(res.status, 400, `${target} answers 400`);
    assert.is(jsonOf(res.text).error?.code, 'SY_GATEWAY_BAD_REQUEST', target);
  }
  assert.is(w.echoSeen.length, 0);
});

limits('an absolute-form target is reduced to its path; its authority is ignored', async () => {
  const w = lw as World;
  const res = await raw(w.url, ['GET http://elsewhere.example/echo/abs?x=1 HTTP/1.1', 'Host: gw']);
  assert.is(res.status, 200);
  assert.is(jsonOf(res.text).path, '/echo/abs');
  const other = await raw(w.url, ['GET ftp://elsewhere.example/echo/abs HTTP/1.1', 'Host: gw']);
  assert.is(other.status, 400);
});

limits.run();

// --- headers and claims -----------------------------------------------------------------------

const headers = suite('edge: headers and claims');
let hw: World | undefined;
headers.before(async () => {
  hw = await world();
});
headers.after(() => teardown(hw));

headers('x_user_id and other spellings of reserved identity headers never reach a handler', async () => {
  const w = hw as World;
  const res = await raw(w.url, ['GET /echo/who HTTP/1.1', 'Host: gw', 'x_user_id: root', 'X_USER-ID: root', 'x-switchyard_identity_subject: root', 'X_Tenant_Id: evil']);
  assert.is(res.status, 200);
  const seen = w.echoSeen.at(-1)?.headers ?? {};
  for (const [name, value] of Object.entries(seen)) {
    assert.not.ok(value === 'root' || value === 'evil', `the handler got ${name}: ${value} from the client`);
  }
  assert.is(seen['x-user-id'], 'anonymous', 'x-user-id comes from the gateway only');
});

headers('hop-by-hop headers and every header named in Connection are removed before forwarding', async () => {
  const w = hw as World;
  const res = await raw(w.url, [
    'GET /echo/hop HTTP/1.1',
    'Host: gw',
    'Connection: x-hop-secret, close',
    'X-Hop-Secret: drop-me',
    'Keep-Alive: timeout=5',
    'Proxy-Authorization: Basic Zm9vOmJhcg==',
    'TE: trailers',
    'Upgrade: websocket',
    'X-Kept: yes',
  ]);
  assert.is(res.status, 200);
  const seen = w.echoSeen.at(-1)?.headers ?? {};
  for (const name of ['connection', 'x-hop-secret', 'keep-alive', 'proxy-authorization', 'te', 'upgrade']) {
    assert.is(seen[name], undefined, `${name} was forwarded`);
  }
  assert.is(seen['x-kept'], 'yes');
});

headers('a claim of any JSON type is compared without throwing: an object-valued claim gets 403', async () => {
  const w = hw as World;
  const before = w.vaultSeen.length;
  for (const role of [{ admin: true }, { toString: 'admin' }, [{ role: 'admin' }], null, 1, true]) {
    const res = await fetch(`${w.url}/vault/secret`, { headers: { authorization: `Bearer ${await sign({ sub: 'mallory', role })}` } });
    assert.is(res.status, 403, `role ${JSON.stringify(role)} answers 403`);
  }
  const listed = await fetch(`${w.url}/vault/secret`, { headers: { authorization: `Bearer ${await sign({ sub: 'ada', role: ['user', 'admin'] })}` } });
  assert.is(listed.status, 200, 'a list holding the value passes');
  assert.is(w.vaultSeen.length, before + 1);
});

headers('a subject with CR/LF is refused before dispatch', async () => {
  const w = hw as World;
  const before = w.echoSeen.length;
  const res = await fetch(`${w.url}/echo/crlf`, { headers: { authorization: `Bearer ${await sign({ sub: 'ada\r\nx-user-id: root' })}` } });
  assert.is(res.status, 401);
  assert.is(w.echoSeen.length, before);
});

headers('a token without exp is refused by default', async () => {
  const w = hw as World;
  const res = await fetch(`${w.url}/vault/secret`, { headers: { authorization: `Bearer ${await sign({ sub: 'ada', role: 'admin' }, null)}` } });
  assert.is(res.status, 401);
});

headers('the Authorization header and credential query values appear in no log line', async () => {
  const w = hw as World;
  const good = await sign({ sub: 'ada', role: 'admin' });
  const forged = `${good.slice(0, -4)}AAAA`;
  const ok = await fetch(`${w.url}/vault/secret?access_token=${good}&page=2`, { headers: { authorization: `Bearer ${good}`, cookie: 'session=cookie-secret' } });
  assert.is(ok.status, 200);
  const denied = await fetch(`${w.url}/vault/secret?access_token=${forged}&api_key=key-secret`, { headers: { authorization: `Bearer ${forged}` } });
  assert.is(denied.status, 401);
  const tooLong = await fetch(`${w.url}/echo/x?token=${good}&pad=${'p'.repeat(9_000)}`, { headers: { authorization: `Bearer ${good}` } });
  assert.is(tooLong.status, 414);
  await eventually(() => w.logLines.filter((l) => l.includes('"status":401') || l.includes('"status":414')).length >= 2, { what: 'the 401 and 414 request lines' });
  const log = w.logLines.join('');
  assert.ok(log.includes('"msg":"request"'), 'requests were logged');
  // Request lines log the path without its query; a URL that is logged (an internal error's) goes through scrubUrl (edge-policy.test.ts).
  assert.not.ok(log.includes('access_token='), 'no request line logged the query string');
  for (const secret of [good, forged, good.split('.')[2] as string, 'cookie-secret', 'key-secret']) {
    assert.not.ok(log.includes(secret), `a log line holds ${secret.slice(0, 16)}…`);
  }
});

headers.run();

// --- slow clients -----------------------------------------------------------------------------

const slow = suite('edge: slow clients');
let sw: World | undefined;
slow.before(async () => {
  sw = await world();
});
slow.after(() => teardown(sw));

slow('a client that trickles its headers is cut after http.headersTimeoutMs with 408', async () => {
  const { closedAfterMs, text } = await slowClient((sw as World).url, 'GET /echo/slow HTTP/1.1\r\nHost: gw\r\n', 'X-Drip: 1\r\n', 100);
  assert.ok(closedAfterMs >= TIMEOUTS.headersTimeoutMs - 50, `cut after ${Math.round(closedAfterMs)} ms, before the headers deadline`);
  assert.ok(closedAfterMs < TIMEOUTS.headersTimeoutMs + 1_000, `cut after ${Math.round(closedAfterMs)} ms; headersTimeoutMs is ${TIMEOUTS.headersTimeoutMs}`);
  assert.match(text, /^HTTP\/1\.1 408 /);
});

slow('a client that trickles its body is cut after http.requestTimeoutMs; its request reaches no handler', async () => {
  const w = sw as World;
  const before = w.echoSeen.length;
  const head = 'POST /echo/slow-body HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\n\r\n';
  const { closedAfterMs } = await slowClient(w.url, head, 'x', 100);
  assert.ok(closedAfterMs < TIMEOUTS.requestTimeoutMs + 1_000, `cut after ${Math.round(closedAfterMs)} ms; requestTimeoutMs is ${TIMEOUTS.requestTimeoutMs}`);
  assert.is(w.echoSeen.length, before);
});

slow('a client whose body stops arriving is cut after http.bodyIdleTimeoutMs', async () => {
  const w = sw as World;
  const head = 'POST /echo/stalled HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\n\r\nsome of it';
  const { closedAfterMs } = await slowClient(w.url, head, '', 100);
  assert.ok(closedAfterMs < TIMEOUTS.requestTimeoutMs, `cut after ${Math.round(closedAfterMs)} ms: the idle timeout (${TIMEOUTS.bodyIdleTimeoutMs} ms) should fire before the request deadline`);
});

slow('a request with a body whose answer takes longer than the body idle timeout is answered', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${(sw as World).url}/late/answer`, { method: 'POST', body: `payload ${i}` });
    assert.is(res.status, 200);
    assert.is(await res.text(), `payload ${i}`);
  }
});

slow.run();

// --- connection cap ---------------------------------------------------------------------------

const cap = suite('edge: connections per client');
let cw: World | undefined;
cap.before(async () => {
  cw = await world({ http: { host: '127.0.0.1', port: 0, ...TIMEOUTS, maxConnectionsPerClient: 2 } });
});
cap.after(() => teardown(cw));

cap('past http.maxConnectionsPerClient a new connection from the same address is closed at once', async () => {
  const url = (cw as World).url;
  const held = [await socketTo(url), await socketTo(url)];
  try {
    const third = await socketTo(url);
    await within(new Promise((resolve) => third.once('close', resolve)), 2_000, 'the third connection to be closed');
    held[0]?.destroy();
    await eventually(async () => (await raw(url, ['GET /health/live HTTP/1.1', 'Host: gw'])).status === 200, { what: 'a connection to be accepted again once one closed' });
  } finally {
    for (const s of held) s.destroy();
  }
});

cap.run();
