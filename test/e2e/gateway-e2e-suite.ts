/**
 * The gateway end-to-end suite (issue 5 item 7), transport-agnostic: real gateway and echo
 * processes started through their CLIs, talking over whatever `transports` entries the caller
 * hands in. The Messaging/Valkey run is `gateway-messaging.e2e.test.ts`; the TCP and TLS runs
 * call `registerGatewayE2E` with their own entries.
 *
 * Three gateway+echo pairs keep the cases independent:
 *   main      — registration, dispatch, 404/405/413/504, identity policy, JWT, client disconnect, 503 after GOODBYE
 *   lifecycle — /health/ready false until echo registers, 429 per client, SIGTERM drain loses nothing
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { eventually, within } from '../harness/wait.js';

/** `transports:` entries for one gateway and the echo service that must reach it. */
export interface E2ETransportEntries {
  readonly gateway: readonly Record<string, unknown>[];
  readonly echo: readonly Record<string, unknown>[];
}

/** Called once per gateway+echo pair; give fresh ports / key prefixes each time. */
export type MakeTransportEntries = () => E2ETransportEntries | Promise<E2ETransportEntries>;

const JWT_SECRET = 'e2e-secret-with-at-least-32-bytes-of-key!';
const ISSUER = 'https://issuer.e2e.test';
const AUDIENCE = 'switchyard-e2e';

interface Pair {
  gateway: TsProcess;
  echo: TsProcess | undefined;
  url: string;
  dir: string;
  entries: E2ETransportEntries;
}

// A run killed half-way must not leave gateways and echo services behind.
const children = new Set<TsProcess>();
process.once('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
});

const configDir = (): string => mkdtempSync(join(tmpdir(), 'sy-e2e-'));

function writeJson(dir: string, name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

async function startGateway(dir: string, entries: E2ETransportEntries, extra: Record<string, unknown>): Promise<{ process: TsProcess; url: string }> {
  const config = {
    node: { id: `gw-e2e-${randomUUID().slice(0, 8)}`, region: 'e2e' },
    http: { host: '127.0.0.1', port: 0, maxBodyBytes: 65_536, shutdownGraceMs: 15_000 },
    transports: entries.gateway,
    routing: { defaultTimeoutMs: 1_500 },
    auth: { jwt: { secret: JWT_SECRET, issuer: ISSUER, audience: AUDIENCE }, anonymous: { subject: 'anonymous' } },
    log: { level: 'info' },
    ...extra,
  };
  const file = writeJson(dir, `gateway-${randomUUID().slice(0, 8)}.json`, config);
  const process = spawnTs('packages/gateway/src/cli.ts', ['--config', file]);
  children.add(process);
  const m = await process.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000);
  return { process, url: m[1] as string };
}

async function startEcho(dir: string, entries: E2ETransportEntries): Promise<TsProcess> {
  const config = { service: { name: 'echo', version: '1.0.0', region: 'e2e' }, transports: entries.echo };
  const file = writeJson(dir, `echo-${randomUUID().slice(0, 8)}.json`, config);
  const echo = spawnTs('examples/echo/main.ts', ['--config', file]);
  children.add(echo);
  await echo.waitFor(/echo listening/, 30_000);
  return echo;
}

async function token(claims: Record<string, unknown>, secret = JWT_SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
}

interface EchoBody {
  method: string;
  path: string;
  query: unknown;
  headers: Record<string, string>;
  body: unknown;
  identity: { anonymous: boolean; subject?: string; tenant?: string; scopes?: string[] } | null;
  instanceId: string;
}

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/** The routing view needs an administrator on the client listener (docs/operations.md). */
async function adminHeaders(): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await token({ sub: 'operator', scope: 'switchyard:admin' })}` };
}

async function echoRegistered(url: string): Promise<boolean> {
  const res = await fetch(`${url}/_switchyard/routes`, { headers: await adminHeaders() });
  const view = (await res.json()) as { routing?: { services?: Array<{ name: string; versions: Array<{ instances: Array<{ health: string }> }> }> } };
  const echo = view.routing?.services?.find((s) => s.name === 'echo');
  return echo?.versions.some((v) => v.instances.some((i) => i.health === 'healthy')) ?? false;
}

/** Sends a body of `size` bytes with chunked encoding (no Content-Length); resolves with the status. */
function postChunked(url: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/echo/big`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(16_384, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

/** Registers the end-to-end suites over the transport the entries describe. */
export function registerGatewayE2E(transportName: string, makeTransportEntries: MakeTransportEntries): void {
  const main = suite(`gateway e2e over ${transportName}: request path`);
  const pair = {} as Pair;

  main.before(async () => {
    pair.dir = configDir();
    pair.entries = await makeTransportEntries();
    const gw = await startGateway(pair.dir, pair.entries, {});
    pair.gateway = gw.process;
    pair.url = gw.url;
    pair.echo = await startEcho(pair.dir, pair.entries);
    await eventually(() => echoRegistered(pair.url), { within: 20_000, what: 'the echo instance to register with the gateway' });
  });

  main.after(async () => {
    await Promise.all([pair.echo?.stop(), pair.gateway?.stop()]);
  });

  main('HELLO registers the echo instance: the routing view lists it healthy on this transport', async () => {
    const view = (await (await fetch(`${pair.url}/_switchyard/routes`, { headers: await adminHeaders() })).json()) as {
      transports: Array<{ transport: string; ready: boolean }>;
      routing: { services: Array<{ name: string; versions: Array<{ version: string; instances: Array<{ transport: string; health: string }> }> }> };
    };
    assert.ok(view.transports.every((t) => t.ready), JSON.stringify(view.transports));
    const echo = view.routing.services.find((s) => s.name === 'echo');
    assert.ok(echo, 'echo is listed');
    const instance = echo?.versions[0]?.instances[0];
    assert.is(instance?.health, 'healthy');
    assert.is(instance?.transport, String(pair.entries.gateway[0]?.type));
  });

  main('a request is dispatched to the instance and its response comes back, with the request id', async () => {
    const res = await fetch(`${pair.url}/echo/hello/world?x=1&y=two`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-req-1' },
      body: JSON.stringify({ hello: 'world' }),
    });
    assert.is(res.status, 200);
    assert.is(res.headers.get('x-request-id'), 'e2e-req-1');
    const body = (await res.json()) as EchoBody;
    assert.is(body.method, 'POST');
    assert.is(body.path, '/echo/hello/world');
    assert.is(body.body, JSON.stringify({ hello: 'world' }));
    assert.is(body.headers['x-request-id'], 'e2e-req-1', 'the request id reaches the instance');
    assert.ok(body.instanceId.length > 0);
  });

  main('a repeated query parameter reaches the instance with every value, in order', async () => {
    const res = await fetch(`${pair.url}/echo/search?tag=a&q=x&tag=b%20c&tag=a`);
    assert.is(res.status, 200);
    const body = (await res.json()) as EchoBody;
    assert.equal(body.query, { tag: ['a', 'b c', 'a'], q: 'x' });
  });

  main('an unknown path answers 404 with the JSON error body', async () => {
    const res = await fetch(`${pair.url}/nothing/here`);
    assert.is(res.status, 404);
    const body = (await res.json()) as ErrorBody;
    assert.is(body.error.code, 'SY_GATEWAY_NOT_FOUND');
    assert.is(body.error.requestId, res.headers.get('x-request-id'));
  });

  main('a known path with an unserved method answers 405 with Allow', async () => {
    const res = await fetch(`${pair.url}/echo/x`, { method: 'PATCH' });
    assert.is(res.status, 405);
    const allow = (res.headers.get('allow') ?? '').split(/,\s*/).sort();
    for (const m of ['DELETE', 'GET', 'POST', 'PUT']) assert.ok(allow.includes(m), `Allow "${allow.join(', ')}" lists ${m}`);
    assert.is(((await res.json()) as ErrorBody).error.code, 'SY_GATEWAY_METHOD_NOT_ALLOWED');
  });

  main('a body over maxBodyBytes answers 413, by Content-Length and when streamed chunked', async () => {
    const res = await fetch(`${pair.url}/echo/big`, { method: 'POST', body: Buffer.alloc(200_000, 0x62) });
    assert.is(res.status, 413);
    assert.is(((await res.json()) as ErrorBody).error.code, 'SY_GATEWAY_PAYLOAD_TOO_LARGE');
    assert.is(await within(postChunked(pair.url, 4 * 1024 * 1024), 20_000, 'the 413 answer to a chunked 4 MiB body'), 413);
  });

  main('a request past its deadline answers 504 and the instance sees the CANCEL', async () => {
    const before = (await (await fetch(`${pair.url}/echo/stats`)).json()) as { cancelled: number };
    const res = await fetch(`${pair.url}/echo/slow?ms=20000`);
    assert.is(res.status, 504);
    assert.is(((await res.json()) as ErrorBody).error.code, 'SY_GATEWAY_TIMEOUT');
    await eventually(
      async () => ((await (await fetch(`${pair.url}/echo/stats`)).json()) as { cancelled: number }).cancelled > before.cancelled,
      { within: 10_000, what: 'the echo service to count the cancelled slow request' },
    );
  });

  main('a client that disconnects makes the gateway send CANCEL to the instance', async () => {
    const before = (await (await fetch(`${pair.url}/echo/stats`)).json()) as { cancelled: number };
    const controller = new AbortController();
    const pending = fetch(`${pair.url}/echo/slow?ms=1200`, { signal: controller.signal }).catch(() => 'aborted');
    await eventually(async () => (await metricValue(pair.url, 'switchyard_gateway_requests_in_flight')) >= 1, {
      within: 10_000,
      what: 'the slow request to be in flight',
    });
    controller.abort();
    assert.is(await pending, 'aborted');
    await eventually(
      async () => ((await (await fetch(`${pair.url}/echo/stats`)).json()) as { cancelled: number }).cancelled > before.cancelled,
      { within: 10_000, what: 'the echo service to count the request cancelled by the client disconnect' },
    );
  });

  main('spoofed identity headers are removed in any letter case; the instance sees only the anonymous identity', async () => {
    const res = await fetch(`${pair.url}/echo/who`, {
      headers: {
        'X-Switchyard-Identity-Subject': 'admin',
        'X-SWITCHYARD-IDENTITY-TENANT': 'evil-corp',
        'x-user-id': 'root',
        'X-Tenant-Id': 'evil-corp',
        'X-Scopes': 'admin',
        'X-Forwarded-User': 'root',
        'x-kept': 'yes',
      },
    });
    assert.is(res.status, 200);
    const body = (await res.json()) as EchoBody;
    assert.is(body.headers['x-switchyard-identity-subject'], 'anonymous');
    assert.is(body.headers['x-switchyard-identity-anonymous'], 'true');
    assert.is(body.headers['x-switchyard-identity-tenant'], undefined);
    assert.is(body.headers['x-tenant-id'], undefined);
    assert.is(body.headers['x-forwarded-user'], undefined);
    assert.is(body.headers['x-user-id'], 'anonymous');
    assert.is(body.headers['x-scopes'], '');
    assert.is(body.headers['x-kept'], 'yes');
    assert.is(body.identity?.anonymous, true);
  });

  main('a valid JWT becomes the identity the instance sees', async () => {
    const jwt = await token({ sub: 'alice', tenant: 'acme', scope: 'read write' });
    const res = await fetch(`${pair.url}/echo/me`, { headers: { authorization: `Bearer ${jwt}`, 'x-user-id': 'mallory' } });
    assert.is(res.status, 200);
    const body = (await res.json()) as EchoBody;
    assert.is(body.headers['x-switchyard-identity-subject'], 'alice');
    assert.is(body.headers['x-switchyard-identity-tenant'], 'acme');
    assert.is(body.headers['x-user-id'], 'alice');
    assert.is(body.identity?.subject, 'alice');
    assert.is(body.identity?.anonymous, false);
  });

  main('a JWT with a bad signature or audience is rejected with 401', async () => {
    const forged = await token({ sub: 'alice' }, 'another-secret-with-at-least-32-bytes!!');
    const res = await fetch(`${pair.url}/echo/me`, { headers: { authorization: `Bearer ${forged}` } });
    assert.is(res.status, 401);
    assert.is(((await res.json()) as ErrorBody).error.code, 'SY_GATEWAY_UNAUTHENTICATED');
    assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
    const wrongAudience = await new SignJWT({ sub: 'a' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience('someone-else')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    assert.is((await fetch(`${pair.url}/echo/me`, { headers: { authorization: `Bearer ${wrongAudience}` } })).status, 401);
  });

  main('metrics count requests by route, status and transport', async () => {
    const text = await (await fetch(`${pair.url}/metrics`)).text();
    assert.match(text, /switchyard_gateway_requests_total\{route="POST \/echo\/[^"]+",status="200",transport="[a-z]+"\} \d+/);
    assert.match(text, /switchyard_gateway_requests_total\{route="unmatched",status="404"/);
    assert.match(text, /switchyard_gateway_instances\{health="healthy"\} 1/);
    assert.match(text, /switchyard_gateway_request_duration_seconds_bucket/);
  });

  main('after the only instance says GOODBYE, requests answer 503 with Retry-After at once', async () => {
    await pair.echo?.stop();
    pair.echo = undefined;
    await eventually(async () => (await fetch(`${pair.url}/echo/x`)).status === 503, { within: 10_000, what: 'the gateway to stop routing to the departed echo' });
    const res = await fetch(`${pair.url}/echo/x`);
    assert.is(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.is(((await res.json()) as ErrorBody).error.code, 'SY_GATEWAY_NO_INSTANCE');
  });

  main.run();

  const life = suite(`gateway e2e over ${transportName}: readiness, rate limit, drain`);
  const lp = {} as Pair;

  life.before(async () => {
    lp.dir = configDir();
    lp.entries = await makeTransportEntries();
    const gw = await startGateway(lp.dir, lp.entries, {
      health: { requiredServices: ['echo'] },
      rateLimit: { perClient: { requestsPerSecond: 0.01, burst: 3 } },
    });
    lp.gateway = gw.process;
    lp.url = gw.url;
  });

  life.after(async () => {
    await Promise.all([lp.echo?.stop(), lp.gateway?.stop()]);
  });

  life('/health/live is 200 while /health/ready is 503 until the required service registers', async () => {
    assert.is((await fetch(`${lp.url}/health/live`)).status, 200);
    const notReady = await fetch(`${lp.url}/health/ready`);
    assert.is(notReady.status, 503);
    const body = (await notReady.json()) as { ready: boolean; requiredServices: Array<{ service: string; eligible: boolean }> };
    assert.equal(body.requiredServices, [{ service: 'echo', eligible: false }]);
    lp.echo = await startEcho(lp.dir, lp.entries);
    await eventually(async () => (await fetch(`${lp.url}/health/ready`)).status === 200, { within: 20_000, what: '/health/ready to turn 200' });
  });

  life('a client over its rate limit gets 429 with Retry-After; other clients are unaffected', async () => {
    const flood = await token({ sub: 'flooder' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${lp.url}/echo/flood`, { headers: { authorization: `Bearer ${flood}` } })).status);
    assert.equal(statuses, [200, 200, 200, 429, 429]);
    const limited = await fetch(`${lp.url}/echo/flood`, { headers: { authorization: `Bearer ${flood}` } });
    assert.is(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.is(((await limited.json()) as ErrorBody).error.code, 'SY_GATEWAY_RATE_LIMITED');
    const other = await token({ sub: 'calm-client' });
    assert.is((await fetch(`${lp.url}/echo/calm`, { headers: { authorization: `Bearer ${other}` } })).status, 200);
  });

  life('SIGTERM drains: every request accepted before the signal is answered, then the gateway exits 0', async () => {
    const n = 6;
    const tokens = await Promise.all(Array.from({ length: n }, (_, i) => token({ sub: `drain-${i}` })));
    const responses = tokens.map((t) =>
      fetch(`${lp.url}/echo/slow?ms=800`, { headers: { authorization: `Bearer ${t}` } }).then(
        async (r) => ({ status: r.status, body: await r.text() }),
        (err: unknown) => ({ status: -1, body: String(err) }),
      ),
    );
    await eventually(async () => (await metricValue(lp.url, 'switchyard_gateway_requests_in_flight')) >= n, {
      within: 10_000,
      what: `${n} slow requests to be in flight`,
    });
    lp.gateway.child.kill('SIGTERM');
    const results = await Promise.all(responses);
    const lost = results.filter((r) => r.status !== 200);
    assert.equal(lost, [], `every accepted request answers 200 (lost: ${JSON.stringify(lost)})`);
    assert.is(await lp.gateway.exited, 0);
  });

  life.run();
}
