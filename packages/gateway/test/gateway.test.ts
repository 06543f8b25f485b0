/**
 * The gateway in-process: real HTTP on port 0, the Messaging transport on the memory backend and
 * real SDK services, for the request-path rules the cross-process e2e suite does not cover.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TransportFailureError, TransportType, silentLogger, type GatewayTransport, type GatewayTransportEvents } from '@switchyard/core';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { createGateway, parseGatewayConfig, type Gateway } from '../src/index.js';
import { eventually, Latch } from '../../../test/harness/wait.js';

const SECRET = 'gateway-test-secret-with-32-bytes-or-more';

interface World {
  gateway: Gateway;
  url: string;
  services: Microservice[];
}

async function world(extra: Record<string, unknown>, register: (ns: string) => Promise<Microservice[]>): Promise<World> {
  const ns = `gw-test-${randomUUID()}`;
  const transport = { type: 'messaging', backend: 'memory', memory: { namespace: ns } };
  const config = await parseGatewayConfig({
    node: { id: `gw-${randomUUID().slice(0, 8)}` },
    http: { host: '127.0.0.1', port: 0 },
    transports: [transport],
    auth: { jwt: { secret: SECRET } },
    ...extra,
  });
  const gateway = await createGateway(config, { logger: silentLogger });
  const url = await gateway.start();
  const services = await register(ns);
  return { gateway, url, services };
}

async function service(ns: string, name: string, version: string, setup: (svc: Microservice) => void): Promise<Microservice> {
  const svc = await createMicroserviceFromConfig(
    { service: { name, version }, transports: [{ type: 'messaging', backend: 'memory', memory: { namespace: ns } }] },
    { logger: silentLogger },
  );
  setup(svc);
  await svc.start();
  return svc;
}

async function teardown(w: World | undefined): Promise<void> {
  if (w === undefined) return;
  for (const s of w.services) await s.stop();
  await w.gateway.stop();
}

const token = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

/** The routing view; it needs an administrator on the client listener (docs/operations.md). */
async function routesView(url: string): Promise<{ routing: { services: Array<{ name: string; versions: Array<{ instances: unknown[] }> }> } }> {
  const admin = { authorization: `Bearer ${await token({ scope: 'switchyard:admin' })}` };
  return (await (await fetch(`${url}/_switchyard/routes`, { headers: admin })).json()) as { routing: { services: Array<{ name: string; versions: Array<{ instances: unknown[] }> }> } };
}

async function registered(url: string, service: string, instances: number): Promise<boolean> {
  const view = await routesView(url);
  const s = view.routing.services.find((x) => x.name === service);
  return (s?.versions.reduce((n, v) => n + v.instances.length, 0) ?? 0) >= instances;
}

// --- versions ---------------------------------------------------------------------------------

const versions = suite('gateway version choice');
let vw: World | undefined;

versions.before(async () => {
  vw = await world({ routing: { defaultVersions: {} } }, async (ns) => [
    await service(ns, 'calc', '1.0.0', (s) => s.get('/calc/version', async () => ({ status: 200, json: { v: '1.0.0' } }))),
    await service(ns, 'calc', '2.0.0', (s) => s.get('/calc/version', async () => ({ status: 200, json: { v: '2.0.0' } }))),
  ]);
  await eventually(() => registered((vw as World).url, 'calc', 2), { what: 'both calc versions to register' });
});
versions.after(() => teardown(vw));

versions('without a header the highest version with an eligible instance answers', async () => {
  const res = await fetch(`${vw?.url}/calc/version`);
  assert.equal(await res.json(), { v: '2.0.0' });
});

versions('x-switchyard-version picks an exact version or a range', async () => {
  assert.equal(await (await fetch(`${vw?.url}/calc/version`, { headers: { 'x-switchyard-version': '1.0.0' } })).json(), { v: '1.0.0' });
  assert.equal(await (await fetch(`${vw?.url}/calc/version`, { headers: { 'x-switchyard-version': '^2' } })).json(), { v: '2.0.0' });
});

versions('a version nobody registered answers 404 SY_GATEWAY_VERSION_NOT_FOUND', async () => {
  const res = await fetch(`${vw?.url}/calc/version`, { headers: { 'x-switchyard-version': '3.0.0' } });
  assert.is(res.status, 404);
  assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SY_GATEWAY_VERSION_NOT_FOUND');
});

versions.run();

// --- claims, route limits, request ids, operations --------------------------------------------

const policy = suite('gateway policy');
let pw: World | undefined;

policy.before(async () => {
  pw = await world({ rateLimit: { perRoute: { requestsPerSecond: 0.01, burst: 2 } } }, async (ns) => [
    await service(ns, 'admin', '1.0.0', (s) => {
      s.get('/admin/panel', async (req) => ({ status: 200, json: { subject: req.identity?.subject ?? null } }), { requiringClaims: [{ claim: 'role', value: 'admin' }] });
      s.get('/admin/limited', async () => ({ status: 200, text: 'ok' }));
      s.get('/admin/echo-id', async (req) => ({ status: 200, json: { id: req.headers['x-request-id'] } }));
    }),
  ]);
  await eventually(() => registered((pw as World).url, 'admin', 1), { what: 'the admin service to register' });
});
policy.after(() => teardown(pw));

policy('requiringClaims: no token is 401, a token without the claim is 403, the claim passes', async () => {
  const url = `${pw?.url}/admin/panel`;
  const none = await fetch(url);
  assert.is(none.status, 401);
  assert.is(((await none.json()) as { error: { code: string } }).error.code, 'SY_GATEWAY_UNAUTHENTICATED');
  const user = await fetch(url, { headers: { authorization: `Bearer ${await token({ sub: 'bob', role: 'user' })}` } });
  assert.is(user.status, 403);
  assert.is(((await user.json()) as { error: { code: string } }).error.code, 'SY_GATEWAY_FORBIDDEN');
  const admin = await fetch(url, { headers: { authorization: `Bearer ${await token({ sub: 'ada', role: 'admin' })}` } });
  assert.is(admin.status, 200);
  assert.equal(await admin.json(), { subject: 'ada' });
});

policy('a per-route limit answers 429 with Retry-After once the route burst is spent', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await fetch(`${pw?.url}/admin/limited`)).status);
  assert.equal(statuses, [200, 200, 429]);
  const res = await fetch(`${pw?.url}/admin/limited`);
  assert.is(res.status, 429);
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
});

policy('a safe client request id is kept; an unsafe one is replaced by a generated id', async () => {
  const kept = await fetch(`${pw?.url}/admin/echo-id`, { headers: { 'x-request-id': 'abc-123' } });
  assert.equal(await kept.json(), { id: 'abc-123' });
  const replaced = await fetch(`${pw?.url}/admin/echo-id`, { headers: { 'x-request-id': 'bad id with spaces' } });
  const id = ((await replaced.json()) as { id: string }).id;
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.is(replaced.headers.get('x-request-id'), id);
});

policy('operations endpoints answer GET only and /metrics is Prometheus text', async () => {
  assert.is((await fetch(`${pw?.url}/health/live`)).status, 200);
  assert.is((await fetch(`${pw?.url}/metrics`, { method: 'POST' })).status, 405);
  const metrics = await fetch(`${pw?.url}/metrics`);
  assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
  const text = await metrics.text();
  for (const name of ['switchyard_gateway_requests_total', 'switchyard_gateway_request_duration_seconds', 'switchyard_gateway_requests_in_flight', 'switchyard_gateway_instances', 'switchyard_gateway_queue_depth', 'switchyard_gateway_queue_dead_letters', 'switchyard_gateway_transport_ready']) {
    assert.ok(text.includes(`# TYPE ${name} `), `metrics expose ${name}`);
  }
  assert.match(text, /switchyard_gateway_queue_depth\{transport="messaging#0",queue="gateway\.gw-[^"]+\.responses"\} \d+/);
});

policy.run();

// --- departed routes --------------------------------------------------------------------------

const departed = suite('gateway departed routes');

departed('a route whose instances all left answers 503 for rememberDepartedMs, then 404', async () => {
  const w = await world({ routing: { rememberDepartedMs: 2_000, sweepIntervalMs: 50 } }, async (ns) => [
    await service(ns, 'gone', '1.0.0', (s) => s.get('/gone/soon', async () => ({ status: 200, text: 'here' }))),
  ]);
  try {
    await eventually(() => registered(w.url, 'gone', 1), { what: 'the service to register' });
    assert.is((await fetch(`${w.url}/gone/soon`)).status, 200);
    await (w.services.pop() as Microservice).stop();
    await eventually(async () => (await routesView(w.url)).routing.services.length === 0, {
      what: 'the GOODBYE to remove the instance',
    });
    const res = await fetch(`${w.url}/gone/soon`);
    assert.is(res.status, 503, 'the departed route is remembered');
    assert.is(res.headers.get('retry-after'), '1');
    assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SY_GATEWAY_NO_INSTANCE');
    assert.is((await fetch(`${w.url}/never/existed`)).status, 404);
    await eventually(async () => (await fetch(`${w.url}/gone/soon`)).status === 404, { within: 15_000, what: 'the remembered route to expire' });
  } finally {
    await teardown(w);
  }
});

departed.run();

// --- shutdown ---------------------------------------------------------------------------------

const shutdown = suite('gateway shutdown');

shutdown('past the grace period in-flight requests are cancelled with 503 and the instance sees the CANCEL', async () => {
  const started = new Latch(1, 'the slow handler to start');
  const cancelled = new Latch(1, 'the slow handler to be aborted');
  const w = await world({ http: { host: '127.0.0.1', port: 0, shutdownGraceMs: 200 } }, async (ns) => [
    await service(ns, 'slow', '1.0.0', (s) =>
      s.get('/slow', async (_req, ctx) => {
        started.count();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        cancelled.count();
        return { status: 200, text: 'late' };
      }),
    ),
  ]);
  try {
    await eventually(() => registered(w.url, 'slow', 1), { what: 'the slow service to register' });
    const pending = fetch(`${w.url}/slow`);
    await started.wait(10_000);
    const stopped = w.gateway.stop();
    const res = await pending;
    assert.is(res.status, 503);
    assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SY_GATEWAY_SHUTTING_DOWN');
    await cancelled.wait(10_000);
    await stopped;
  } finally {
    for (const s of w.services) await s.stop();
  }
});

shutdown.run();

// --- transport failures -----------------------------------------------------------------------

const failures = suite('gateway transport failures');

/** A transport that registers one instance and fails every dispatch the way a broken connection does. */
class FailingTransport implements GatewayTransport {
  readonly type = TransportType.Tcp;
  async start(events: GatewayTransportEvents): Promise<void> {
    events.control(
      {
        v: 1,
        type: 'HELLO',
        id: '0'.repeat(32),
        sentAt: Date.now(),
        payload: {
          instance: { service: 'flaky', version: '1.0.0', region: 'default', instanceId: 'flaky-1', address: 'tcp:conn-1' },
          endpoints: [{ method: 'GET', path: '/flaky', requiringClaims: [], streaming: false }],
          endpointsHash: 'h',
        },
      },
      { transport: TransportType.Tcp, address: 'conn-1' },
    );
  }
  dispatch(): Promise<never> {
    return Promise.reject(new TransportFailureError('tcp', 'connection closed while the request was in flight'));
  }
  async resync(): Promise<void> {}
  isReady(): boolean {
    return true;
  }
  async stop(): Promise<void> {}
}

failures('a transport failure answers 502 SY_GATEWAY_BAD_GATEWAY', async () => {
  const config = await parseGatewayConfig({ http: { host: '127.0.0.1', port: 0 }, transports: [{ type: 'tcp' }] });
  const gateway = await createGateway(config, { logger: silentLogger, transports: [new FailingTransport()] });
  const url = await gateway.start();
  try {
    const res = await fetch(`${url}/flaky`);
    assert.is(res.status, 502);
    assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SY_GATEWAY_BAD_GATEWAY');
  } finally {
    await gateway.stop();
  }
});

failures('a transport entry the factory rejects fails createGateway naming the key', async () => {
  // parseGatewayConfig already refuses this entry; createGateway must too when handed a config built another way.
  const valid = await parseGatewayConfig({ transports: [{ type: 'messaging', backend: 'memory' }] });
  const config = { ...valid, transports: [{ type: 'messaging' as const, backend: 'no-such-backend-package' }] };
  try {
    await createGateway(config, { logger: silentLogger });
    assert.unreachable('createGateway should fail');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_GATEWAY_INVALID_CONFIG');
    assert.match((err as Error).message, /no-such-backend-package/);
  }
});

failures.run();
