/**
 * SDK unit tests: the Microservice against a recording InstanceTransport (the transport boundary),
 * so each behaviour is checked without a queue. The Messaging scenarios in test/messaging run the
 * same SDK over real queues.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Cancellation,
  ERROR_CODES,
  ManualClock,
  TransportType,
  newFrameId,
  type HeartbeatPayload,
  type HelloPayload,
  type InstanceRequestHandler,
  type InstanceTransport,
  type InstanceTransportEvents,
  type RequestFrame,
  type RequestPayload,
} from '@switchyard/core';
import { createMicroservice, createMicroserviceFromConfig, SERVICE_ERROR_CODES, type Microservice } from '../src/index.js';
import { Latch, rejectsWithCode, within } from '../../../test/harness/wait.js';

class RecordingTransport implements InstanceTransport {
  readonly type = TransportType.InMemory;
  hello: HelloPayload | undefined;
  handle: InstanceRequestHandler | undefined;
  readonly heartbeats: HeartbeatPayload[] = [];
  readonly calls: string[] = [];
  events: InstanceTransportEvents | undefined;

  async start(hello: HelloPayload, handle: InstanceRequestHandler, events?: InstanceTransportEvents): Promise<void> {
    this.calls.push('start');
    this.hello = hello;
    this.handle = handle;
    this.events = events;
  }
  async drain(): Promise<void> {
    this.calls.push('drain');
  }
  async undrain(): Promise<void> {
    this.calls.push('undrain');
  }
  async heartbeat(payload: HeartbeatPayload): Promise<void> {
    this.heartbeats.push(payload);
  }
  async goodbye(): Promise<void> {
    this.calls.push('goodbye');
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
  isReady(): boolean {
    return this.hello !== undefined;
  }

  /** Runs a REQUEST through the service's handler as a transport would. */
  send(payload: Partial<RequestPayload> & { path: string }, cancellation = new Cancellation()) {
    const frame: RequestFrame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: 0,
      payload: {
        method: 'GET',
        query: '',
        headers: {},
        body: new Uint8Array(0),
        deadline: Date.now() + 30_000,
        replyTo: 'gateway.gw-1.responses',
        identity: null,
        ...payload,
      },
    };
    return (this.handle as InstanceRequestHandler)(frame, cancellation);
  }
}

const json = (b: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(b));

function make(extra: Partial<Parameters<typeof createMicroservice>[0]> = {}): { svc: Microservice; t: RecordingTransport } {
  const t = new RecordingTransport();
  const svc = createMicroservice({ name: 'billing', version: '1.4.2', instanceId: 'billing-1', transport: t, ...extra });
  return { svc, t };
}

const test = suite('microservice SDK');

test('a DRAIN from the transport stops intake, beats draining at once, lets the running handler finish, and the service stays up', async () => {
  const { svc, t } = make();
  const release = new Latch(1, 'the test releasing /slow');
  svc.get('/slow', async () => {
    await release.wait();
    return { status: 200, json: { done: true } };
  });
  await svc.start();
  const running = t.send({ path: '/slow' });
  assert.is(svc.status().inFlight, 1);
  t.events?.drain({ instanceId: 'billing-1', reason: 'maintenance', requestedBy: 'olivia' });
  await within(
    (async () => {
      while (!t.calls.includes('drain')) await new Promise((r) => setImmediate(r));
    })(),
    1_000,
    'transport.drain() called',
  );
  assert.is(t.heartbeats.at(-1)?.status, 'draining', 'a heartbeat saying draining went out at once');
  assert.equal({ ...svc.status(), handled: 0 }, { state: 'running', ready: false, drained: true, instanceId: 'billing-1', inFlight: 1, handled: 0 });
  release.count();
  assert.is((await running).status, 200, 'the in-flight request finishes');
  await svc.drain();
  assert.is(t.calls.filter((c) => c === 'drain').length, 1, 'drain is idempotent');
  assert.ok(!t.calls.includes('goodbye'), 'a drained instance does not leave');
  await svc.stop();
  assert.equal(t.calls, ['start', 'drain', 'goodbye', 'close']);
});

test('an UNDRAIN resumes intake and beats healthy at once; undrain() when not drained does nothing', async () => {
  const { svc, t } = make();
  svc.get('/x', async () => ({ status: 200, json: {} }));
  await svc.start();
  await svc.undrain();
  assert.ok(!t.calls.includes('undrain'), 'nothing to undrain');
  await svc.drain({ reason: 'r' });
  t.events?.undrain({ instanceId: 'billing-1', requestedBy: 'olivia' });
  await within(
    (async () => {
      while (t.heartbeats.at(-1)?.status !== 'healthy') await new Promise((r) => setImmediate(r));
    })(),
    1_000,
    'a healthy heartbeat after the UNDRAIN',
  );
  assert.equal(t.calls, ['start', 'drain', 'undrain']);
  assert.is(svc.status().drained, false);
  assert.is(svc.isReady(), true);
  await svc.stop();
});

test('path parameters, including a catch-all, reach the handler percent-decoded', async () => {
  const { svc, t } = make();
  svc.get('/invoices/{id}', async (req) => ({ status: 200, json: req.params }));
  svc.get('/files/{path...}', async (req) => ({ status: 200, json: req.params }));
  await svc.start();
  assert.equal(json((await t.send({ path: '/invoices/a%20b' })).body), { id: 'a b' });
  assert.equal(json((await t.send({ path: '/files/x/y/z.txt' })).body), { path: 'x/y/z.txt' });
  await svc.stop();
});

test('query, headers, body text and JSON, and identity are given to the handler', async () => {
  const { svc, t } = make();
  svc.post('/echo', async (req) => ({
    status: 201,
    json: { q: req.query.get('q'), h: req.headers['x-a'], body: req.json<{ n: number }>().n, text: req.text(), who: req.identity?.subject },
  }));
  await svc.start();
  const res = await t.send({
    method: 'POST',
    path: '/echo',
    query: 'q=1',
    headers: { 'x-a': 'b' },
    body: new TextEncoder().encode('{"n":7}'),
    identity: { anonymous: false, subject: 'u1', claims: {} },
  });
  assert.is(res.status, 201);
  assert.equal(json(res.body), { q: '1', h: 'b', body: 7, text: '{"n":7}', who: 'u1' });
  await svc.stop();
});

test('a repeated query parameter reaches the handler with every value, in order', async () => {
  const { svc, t } = make();
  svc.get('/search', async (req) => ({ status: 200, json: { tags: req.query.getAll('tag'), q: req.query.get('q') } }));
  await svc.start();
  const res = await t.send({ path: '/search', query: 'tag=a&q=x&tag=b%20c&tag=a' });
  assert.equal(json(res.body), { tags: ['a', 'b c', 'a'], q: 'x' });
  await svc.stop();
});

test('ctx.accepted answers 202 with the job id and a status location', async () => {
  const { svc, t } = make();
  svc.post('/reports', async (_req, ctx) => ctx.accepted('job-42'));
  svc.post('/exports', async (_req, ctx) => ctx.accepted('e1', '/exports/e1/status'));
  await svc.start();
  const a = await t.send({ method: 'POST', path: '/reports' });
  assert.is(a.status, 202);
  assert.is(a.headers.location, '/jobs/job-42');
  assert.equal(json(a.body), { jobId: 'job-42', status: 'accepted', location: '/jobs/job-42' });
  const b = await t.send({ method: 'POST', path: '/exports' });
  assert.is(b.headers.location, '/exports/e1/status');
  await svc.stop();
});

test('a handler that throws answers 500 with a JSON error body naming the request', async () => {
  const { svc, t } = make();
  svc.get('/boom', async () => {
    throw new Error('secret detail');
  });
  await svc.start();
  const res = await t.send({ path: '/boom' });
  assert.is(res.status, 500);
  const body = json(res.body) as { error: { code: string; message: string; requestId: string } };
  assert.is(body.error.code, 'SY_SERVICE_HANDLER_FAILED');
  assert.not.match(body.error.message, /secret/);
  assert.is(body.error.requestId.length, 32);
  await svc.stop();
});

test('a body that is not JSON answers 400 when the handler asks for JSON', async () => {
  const { svc, t } = make();
  svc.post('/j', async (req) => ({ status: 200, json: req.json() }));
  await svc.start();
  const res = await t.send({ method: 'POST', path: '/j', body: new TextEncoder().encode('{nope') });
  assert.is(res.status, 400);
  assert.is((json(res.body) as { error: { code: string } }).error.code, SERVICE_ERROR_CODES.InvalidJson);
  await svc.stop();
});

test('an unknown path answers 404 and a wrong method 405 with Allow', async () => {
  const { svc, t } = make();
  svc.get('/items/{id}', async () => ({ status: 200 }));
  svc.put('/items/{id}', async () => ({ status: 200 }));
  await svc.start();
  assert.is((await t.send({ path: '/nothing' })).status, 404);
  const res = await t.send({ method: 'DELETE', path: '/items/1' });
  assert.is(res.status, 405);
  assert.is(res.headers.allow, 'GET, PUT');
  await svc.stop();
});

test('the instance matches a path as the gateway does: literal before parameter, trailing and doubled slashes ignored', async () => {
  const { svc, t } = make();
  svc.get('/items/{id}', async (req) => ({ status: 200, json: { by: 'id', ...req.params } }));
  svc.get('/items/special', async () => ({ status: 200, json: { by: 'literal' } }));
  await svc.start();
  assert.equal(json((await t.send({ path: '/items/special' })).body), { by: 'literal' }, 'registered second, still wins');
  assert.equal(json((await t.send({ path: '/items/7' })).body), { by: 'id', id: '7' });
  assert.equal(json((await t.send({ path: '/items/7/' })).body), { by: 'id', id: '7' });
  assert.equal(json((await t.send({ path: '//items//special' })).body), { by: 'literal' });
  assert.is((await t.send({ method: 'HEAD', path: '/items/7' })).status, 200, 'HEAD is served by GET');
  await svc.stop();
});

test('HELLO carries the endpoints with timeouts, claims and an endpoints hash', async () => {
  const { svc, t } = make({ region: 'eu-west-1' });
  svc.get('/a/{id}', async () => ({ status: 200 }), { timeoutMs: 1_000, requiringClaims: [{ claim: 'scope', value: 'read' }] });
  await svc.start();
  const hello = t.hello as HelloPayload;
  assert.equal(hello.instance, { service: 'billing', version: '1.4.2', region: 'eu-west-1', instanceId: 'billing-1', address: '' });
  assert.equal(hello.endpoints, [{ method: 'GET', path: '/a/{id}', timeoutMs: 1_000, requiringClaims: [{ claim: 'scope', value: 'read' }], streaming: false }]);
  assert.is(hello.endpointsHash.length, 64);
  await svc.stop();
});

test('heartbeats go out every interval with a rising seq, status, inFlight and the endpoints hash', async () => {
  const clock = new ManualClock();
  const { svc, t } = make({ clock, heartbeatIntervalMs: 5_000 });
  svc.get('/x', async () => ({ status: 200 }));
  await svc.start();
  await clock.advance(5_000);
  await clock.advance(5_000);
  assert.equal(t.heartbeats.map((h) => h.seq), [1, 2, 3]);
  assert.ok(t.heartbeats.every((h) => h.status === 'healthy' && h.inFlight === 0 && h.endpointsHash === t.hello?.endpointsHash));
  await svc.stop();
  await clock.advance(10_000);
  assert.is(t.heartbeats.length, 3, 'no heartbeat after stop');
});

test('stop sends GOODBYE, waits for in-flight handlers, then closes the transport', async () => {
  const { svc, t } = make();
  const running = new Latch(1, 'handler running');
  let finish!: () => void;
  const gate = new Promise<void>((r) => (finish = r));
  svc.get('/hold', async () => {
    running.count();
    await gate;
    return { status: 200, text: 'late but answered' };
  });
  await svc.start();
  const call = t.send({ path: '/hold' });
  await running.wait();
  const stopped = svc.stop();
  await new Promise((r) => setImmediate(r));
  assert.equal(t.calls, ['start', 'goodbye'], 'GOODBYE first; close waits for the handler');
  assert.is(svc.status().state, 'draining');
  assert.is(svc.status().inFlight, 1);
  finish();
  assert.is((await within(call, 5_000, 'the in-flight answer')).status, 200);
  await within(stopped, 5_000, 'stop()');
  assert.equal(t.calls, ['start', 'goodbye', 'close']);
  assert.is(svc.status().state, 'stopped');
});

test('a drain that outlasts drainTimeoutMs aborts the handlers with shutdown', async () => {
  const clock = new ManualClock();
  const { svc, t } = make({ clock, drainTimeoutMs: 1_000 });
  const running = new Latch(1, 'handler running');
  let reason: unknown;
  svc.get('/hold', async (_req, ctx) => {
    running.count();
    await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
    reason = ctx.signal.reason;
    return { status: 503 };
  });
  await svc.start();
  const call = t.send({ path: '/hold' });
  await running.wait();
  const stopped = svc.stop();
  // Let stop() send GOODBYE and start its drain wait before time moves.
  await new Promise((r) => setImmediate(r));
  await clock.advance(1_000);
  await within(stopped, 5_000, 'stop() after the drain timeout');
  assert.is(reason, 'shutdown');
  assert.is((await call).status, 503);
});

test('the transport signal (CANCEL or deadline) reaches ctx.signal', async () => {
  const { svc, t } = make();
  let reason: unknown;
  svc.get('/wait', async (_req, ctx) => {
    await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
    reason = ctx.signal.reason;
    return { status: 499 };
  });
  await svc.start();
  const controller = new Cancellation();
  const call = t.send({ path: '/wait' }, controller);
  controller.cancel('client-disconnected');
  await call;
  assert.is(reason, 'client-disconnected');
  await svc.stop();
});

test('names, versions and templates are validated with errors that name the option', async () => {
  const t = new RecordingTransport();
  await rejectsWithCode(Promise.resolve().then(() => createMicroservice({ name: 'a.b', version: '1.0.0', transport: t })), ERROR_CODES.InvalidArgument, 'a dotted name');
  const err = await rejectsWithCode(Promise.resolve().then(() => createMicroservice({ name: 'a', version: 'v1.0', transport: t })), ERROR_CODES.InvalidArgument, 'a loose version');
  assert.match(err.message, /^version /);
  const svc = createMicroservice({ name: 'a', version: '1.0.0-rc.1', transport: t });
  assert.throws(() => svc.get('items/{id}', async () => ({ status: 200 })), /must start with/);
  svc.get('/items/{id}', async () => ({ status: 200 }));
  await rejectsWithCode(Promise.resolve().then(() => svc.get('/items/{id}', async () => ({ status: 200 }))), SERVICE_ERROR_CODES.DuplicateEndpoint, 'a duplicate');
  await svc.start();
  await rejectsWithCode(Promise.resolve().then(() => svc.get('/late', async () => ({ status: 200 }))), SERVICE_ERROR_CODES.InvalidState, 'an endpoint after start');
  await rejectsWithCode(svc.start(), SERVICE_ERROR_CODES.InvalidState, 'a second start');
  await svc.stop();
});

test('a config file gives the service its name and its transport (memory backend)', async () => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'sy-svc-'));
  const file = join(dir, 'svc.yaml');
  writeFileSync(file, 'service: { name: billing, version: 2.0.0, region: r1 }\ntransports:\n  - { type: messaging, backend: memory, memory: { namespace: cfg-test } }\n');
  const svc = await createMicroserviceFromConfig(file, { instanceId: 'from-config' });
  assert.is(svc.name, 'billing');
  assert.is(svc.version, '2.0.0');
  assert.is(svc.transportType, 'messaging');
  svc.get('/x', async () => ({ status: 200 }));
  await svc.start();
  assert.ok(svc.isReady());
  await svc.stop();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'service: { name: billing }\ntransports: []\nextra: 1\n');
  const err = await rejectsWithCode(createMicroserviceFromConfig(bad), SERVICE_ERROR_CODES.InvalidConfig, 'a bad config');
  assert.match(err.message, /service\.version/);
  assert.match(err.message, /transports must be a non-empty list/);
  assert.match(err.message, /extra is not a key/);
  // A .json file is read as JSON (without the YAML parser); a broken one names the file and the format.
  const json = join(dir, 'svc.json');
  writeFileSync(json, JSON.stringify({ service: { name: 'ledger', version: '1.0.0' }, transports: [{ type: 'messaging', backend: 'memory', memory: { namespace: 'cfg-json' } }] }));
  assert.is((await createMicroserviceFromConfig(json, { instanceId: 'from-json' })).name, 'ledger');
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "service": ');
  const jsonErr = await rejectsWithCode(createMicroserviceFromConfig(broken), SERVICE_ERROR_CODES.InvalidConfig, 'a broken JSON file');
  assert.match(jsonErr.message, /broken\.json/);
  assert.match(jsonErr.message, /not valid JSON/);
});

test("SWITCHYARD_* variables override a config file's keys, and a bad value is named by key", async () => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'sy-env-')), 'service.yaml');
  writeFileSync(file, 'service: { name: billing, version: 1.4.2 }\ntransports: [{ type: inmemory }]\n');
  const svc = await createMicroserviceFromConfig(file, { env: { SWITCHYARD_SERVICE__INSTANCE_ID: 'billing-from-env', SWITCHYARD_REQUIRE_VALKEY: '1' } });
  assert.is(svc.instanceId, 'billing-from-env');
  await svc.stop();
  const err = await rejectsWithCode(createMicroserviceFromConfig(file, { env: { SWITCHYARD_SERVICE__VERSION: '2' } }), SERVICE_ERROR_CODES.InvalidConfig, 'a number for service.version');
  assert.match(err.message, /service\.version must be a string/);
});

test('the README example runs: config file, a path parameter, a 202 for long work', async () => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { silentLogger, systemClock } = await import('@switchyard/core');
  const { createGatewayTransports, regionRequestsQueue } = await import('@switchyard/core/internal');
  const dir = mkdtempSync(join(tmpdir(), 'sy-readme-'));
  const entry = { type: 'messaging', backend: 'memory', memory: { namespace: `readme-${Date.now()}` } };
  writeFileSync(join(dir, 'service.yaml'), `service: { name: billing, version: 1.4.2, region: eu-west-1 }\ntransports:\n  - ${JSON.stringify(entry)}\n`);
  const [gateway] = await createGatewayTransports([entry], { clock: systemClock, logger: silentLogger, node: { id: 'gw-1', region: 'eu-west-1' } });
  await gateway?.start({ control: () => undefined, lost: () => undefined });

  // --- README "Smallest working example", verbatim apart from the file's location ---
  const svc = await createMicroserviceFromConfig(join(dir, 'service.yaml')); // service: {name, version} + transports:
  svc.get('/invoices/{id}', async (req, ctx) => ({ status: 200, json: { id: req.params.id, by: ctx.instanceId } }));
  svc.post('/reports', async (_req, ctx) => ctx.accepted(crypto.randomUUID())); // 202 + job id + Location
  await svc.start();
  // ---

  // The instance's link, as its HELLO gives it to a gateway: its region's requests queue.
  const target = { instanceId: svc.instanceId, service: 'billing', version: '1.4.2', link: { transport: TransportType.Messaging, address: regionRequestsQueue('billing', '1.4.2', 'eu-west-1') } };
  const call = (method: 'GET' | 'POST', path: string) =>
    (gateway as NonNullable<typeof gateway>).dispatch(
      target,
      { method, path, query: '', headers: {}, body: new Uint8Array(0), deadline: Date.now() + 10_000, identity: null },
      {},
    );
  const invoice = await within(call('GET', '/invoices/42'), 10_000, 'GET /invoices/42');
  assert.equal(json(invoice.body), { id: '42', by: svc.instanceId });
  const report = await within(call('POST', '/reports'), 10_000, 'POST /reports');
  assert.is(report.status, 202);
  assert.match(report.headers.location ?? '', /^\/jobs\/[0-9a-f-]{36}$/);
  await svc.stop();
  await gateway?.stop();
});

test.run();
