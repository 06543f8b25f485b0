/**
 * The Messaging router transport's behaviour (issue 4 item 5), written once and run against every
 * backend: the memory backend (messaging-memory.test.ts) and a real Valkey-compatible server
 * (messaging-valkey.test.ts). Gateway side = MessagingGatewayTransport with a recording stand-in
 * for the routing state; instance side = the SDK over MessagingInstanceTransport.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Cancellation,
  ERROR_CODES,
  ManualClock,
  TransportType,
  bytesCodec,
  newFrameId,
  systemClock,
  frameCodec,
  type Clock,
  type DispatchTarget,
  type Frame,
  type MessageQueueFactory,
  type RequestFrame,
  type RequestPayload,
} from '@switchyard/core';
import {
  RoutingState,
  TransportFeed,
  MessagingGatewayTransport,
  MessagingInstanceTransport,
  gatewayResponsesQueue,
  serviceControlQueue,
  serviceRequestsQueue,
  GATEWAY_CONTROL_QUEUE,
  type MessagingTransportOptionsInput,
} from '@switchyard/core/internal';
import { createMicroservice, type Handler, type Microservice } from '@switchyard/microservice';
import { Latch, eventually, rejectsWithCode, within } from '../harness/wait.js';
import { RecordingEvents } from './recording-events.js';

export interface MessagingEnv {
  /** Backend name for suite titles. */
  readonly backend: string;
  /** A new factory (its own connection) over the queues of `space` (memory namespace / Valkey key prefix). */
  factory(space: string, clock: Clock): Promise<MessageQueueFactory>;
  /** Whether a ManualClock may drive the backend (memory: yes; Valkey: real time on the server). */
  readonly manualTime: boolean;
}

const SERVICE = 'echo';
const VERSION = '1.0.0';
const utf8 = new TextEncoder();
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface World {
  readonly space: string;
  readonly clock: Clock;
  readonly closers: Array<() => Promise<void>>;
}

const FAST: MessagingTransportOptionsInput = { blockMs: 200 };

/**
 * A gateway node's Messaging side as the gateway wires it: the transport reports into a routing
 * state through a TransportFeed (which sends the RESYNCs routing decides on), recorded on the way.
 */
async function gateway(env: MessagingEnv, w: World, nodeId = 'gw-1', resyncMinIntervalMs = 0) {
  const factory = await env.factory(w.space, w.clock);
  const transport = new MessagingGatewayTransport(
    { factory, options: FAST, ownsFactory: true },
    { clock: w.clock, logger: quietLogger, node: { id: nodeId, region: 'local' } },
  );
  const routing = new RoutingState({ clock: w.clock, resyncMinIntervalMs });
  const feed = new TransportFeed(routing, transport, quietLogger);
  const events = new RecordingEvents(feed);
  // Closed after the test even when start() fails: an open factory would keep the process alive.
  w.closers.push(() => transport.stop());
  await transport.start(events);
  return { transport, events, factory, feed, routing };
}

async function service(
  env: MessagingEnv,
  w: World,
  instanceId: string,
  handlers: Record<string, Handler> = {},
  extra: { heartbeatIntervalMs?: number; concurrency?: number; drainTimeoutMs?: number } = {},
): Promise<{ svc: Microservice; transport: MessagingInstanceTransport }> {
  const factory = await env.factory(w.space, w.clock);
  const transport = new MessagingInstanceTransport(
    { factory, options: { ...FAST, ...(extra.concurrency === undefined ? {} : { concurrency: extra.concurrency }) }, ownsFactory: true },
    { clock: w.clock, logger: quietLogger },
  );
  const svc = createMicroservice({
    name: SERVICE,
    version: VERSION,
    instanceId,
    transport,
    clock: w.clock,
    heartbeatIntervalMs: extra.heartbeatIntervalMs ?? 60_000,
    ...(extra.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: extra.drainTimeoutMs }),
  });
  svc.get('/hello/{name}', async (req, ctx) => ({ status: 200, json: { hello: req.params.name, instanceId: ctx.instanceId } }));
  for (const [path, handler] of Object.entries(handlers)) svc.get(path, handler);
  // As for gateway(): stop() closes the transport (and its factory) even when start() failed.
  w.closers.push(() => svc.stop());
  await svc.start();
  return { svc, transport };
}

const target = (instanceId: string): DispatchTarget => ({
  instanceId,
  service: SERVICE,
  version: VERSION,
  link: { transport: TransportType.Messaging, address: serviceRequestsQueue(SERVICE, VERSION) },
});

function req(clock: Clock, path: string, deadlineInMs = 30_000): Omit<RequestPayload, 'replyTo'> {
  const q = path.indexOf('?');
  return {
    method: 'GET',
    path: q < 0 ? path : path.slice(0, q),
    query: q < 0 ? '' : path.slice(q + 1),
    headers: { 'x-test': '1' },
    body: new Uint8Array(0),
    deadline: clock.now() + deadlineInMs,
    identity: null,
  };
}

const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function registerMessagingScenarios(env: MessagingEnv): void {
  const test = suite<World>(`messaging transport over ${env.backend}`, { space: '', clock: systemClock, closers: [] });

  test.before.each((w) => {
    (w as { space: string }).space = `t-${randomUUID()}`;
    (w as { clock: Clock }).clock = systemClock;
    w.closers.length = 0;
  });
  test.after.each(async (w) => {
    // A closer that fails may leave a connection open, which would keep the process from exiting:
    // say so, so a run that hangs at exit shows why.
    for (const close of w.closers.reverse()) await close().catch((err: unknown) => console.error('closing after the test failed:', err));
  });

  test('an instance registers with HELLO over messaging, with its endpoints and its requests queue', async (w) => {
    const gw = await gateway(env, w);
    await service(env, w, 'echo-a');
    await gw.events.waitForHello('echo-a');
    const hello = gw.events.hellos.get('echo-a');
    assert.ok(hello);
    assert.is(hello.link.transport, TransportType.Messaging);
    assert.is(hello.link.address, 'service.echo.1.0.0.requests');
    assert.is(hello.frame.payload.instance.address, 'messaging:service.echo.1.0.0.requests');
    assert.equal(hello.frame.payload.endpoints.map((e) => `${e.method} ${e.path}`), ['GET /hello/{name}']);
  });

  test('a dispatched REQUEST comes back as the RESPONSE of its handler', async (w) => {
    const gw = await gateway(env, w);
    await service(env, w, 'echo-a');
    await gw.events.waitForHello('echo-a');
    const res = await within(gw.transport.dispatch(target('echo-a'), req(w.clock, '/hello/world'), {}), 10_000, 'RESPONSE');
    assert.is(res.status, 200);
    assert.is(res.instanceId, 'echo-a');
    assert.is(res.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(text(res.body)), { hello: 'world', instanceId: 'echo-a' });
    assert.is(gw.transport.metrics().dispatched, 1);
    assert.is(gw.transport.metrics().responses, 1);
  });

  test('two gateway replicas each receive only their own responses', async (w) => {
    const a = await gateway(env, w, 'gw-a');
    const b = await gateway(env, w, 'gw-b');
    await service(env, w, 'echo-a');
    await a.events.waitForHello('echo-a');
    const n = 50;
    const calls = [];
    for (let i = 0; i < n; i++) {
      calls.push(a.transport.dispatch(target('echo-a'), req(w.clock, `/hello/a${i}`), {}));
      calls.push(b.transport.dispatch(target('echo-a'), req(w.clock, `/hello/b${i}`), {}));
    }
    const results = await within(Promise.all(calls), 20_000, `${2 * n} responses`);
    results.forEach((res, i) => {
      const expected = i % 2 === 0 ? `a${i / 2}` : `b${(i - 1) / 2}`;
      assert.is((JSON.parse(text(res.body)) as { hello: string }).hello, expected);
    });
    for (const gw of [a, b]) {
      const m = gw.transport.metrics();
      assert.is(m.responses, n, 'each node matched exactly its own responses');
      assert.is(m.droppedResponses, 0, 'no node saw another node’s response');
    }
  });

  test('two instances of one version share the load', async (w) => {
    const gw = await gateway(env, w);
    const seen = new Map<string, number>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started = new Latch(2, 'both instances running a request');
    const slow: Handler = async (_req, ctx) => {
      const before = seen.get(ctx.instanceId) ?? 0;
      seen.set(ctx.instanceId, before + 1);
      if (before === 0) started.count();
      await gate;
      return { status: 200, text: ctx.instanceId };
    };
    // One handler slot each: an instance that is busy pulls nothing, so the other must take work.
    await service(env, w, 'echo-a', { '/slow': slow }, { concurrency: 1 });
    await service(env, w, 'echo-b', { '/slow': slow }, { concurrency: 1 });
    await gw.events.waitForHello('echo-a');
    await gw.events.waitForHello('echo-b');
    const calls = Array.from({ length: 10 }, () => gw.transport.dispatch(target('echo-a'), req(w.clock, '/slow'), {}));
    await started.wait(10_000);
    release();
    const results = await within(Promise.all(calls), 20_000, '10 responses');
    const by = new Map<string, number>();
    for (const r of results) by.set(r.instanceId, (by.get(r.instanceId) ?? 0) + 1);
    assert.ok((by.get('echo-a') ?? 0) > 0 && (by.get('echo-b') ?? 0) > 0, `both instances answered: ${JSON.stringify([...by])}`);
  });

  test('aborting a dispatch sends CANCEL, which aborts the running handler with its reason', async (w) => {
    const gw = await gateway(env, w);
    const running = new Latch(1, 'handler running');
    let abortedWith: unknown;
    const aborted = new Promise<void>((resolve) => {
      void service(env, w, 'echo-a', {
        '/wait': async (_req, ctx) => {
          running.count();
          await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
          abortedWith = ctx.signal.reason;
          resolve();
          return { status: 499 };
        },
      }).then(() => gw.events.waitForHello('echo-a'));
    });
    await gw.events.waitForHello('echo-a');
    const controller = new Cancellation();
    const call = gw.transport.dispatch(target('echo-a'), req(w.clock, '/wait'), { cancellation: controller });
    await running.wait(10_000);
    controller.cancel('client-disconnected');
    await rejectsWithCode(call, ERROR_CODES.RequestCancelled, 'the aborted dispatch');
    await within(aborted, 10_000, 'the handler to see the CANCEL');
    assert.is(abortedWith, 'client-disconnected');
    assert.is(gw.transport.metrics().cancels, 1);
  });

  test('a REQUEST cancelled while still queued is acked and never executed', async (w) => {
    const gw = await gateway(env, w);
    const running = new Latch(1, 'the first handler running');
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    let counted = 0;
    // One handler slot: while /hold runs, the next REQUEST waits in the queue.
    const { transport } = await service(
      env,
      w,
      'echo-a',
      {
        '/hold': async () => {
          running.count();
          await gate;
          return { status: 200 };
        },
        '/count': async () => {
          counted += 1;
          return { status: 200 };
        },
      },
      { concurrency: 1 },
    );
    await gw.events.waitForHello('echo-a');
    const held = gw.transport.dispatch(target('echo-a'), req(w.clock, '/hold'), {});
    await running.wait(10_000);
    const controller = new Cancellation();
    const queued = gw.transport.dispatch(target('echo-a'), req(w.clock, '/count'), { cancellation: controller });
    controller.cancel('client-disconnected');
    await rejectsWithCode(queued, ERROR_CODES.RequestCancelled, 'the cancelled dispatch');
    await eventually(() => transport.metrics().cancels === 1, { within: 10_000, what: 'the instance to receive the CANCEL' });
    finish();
    await within(held, 10_000, 'the held RESPONSE');
    await eventually(() => transport.metrics().cancelledBeforeStart === 1, { within: 10_000, what: 'the queued REQUEST to be dropped' });
    assert.is(counted, 0, 'the cancelled REQUEST never ran');
  });

  test('a REQUEST past its deadline is acked and never executed', async (w) => {
    const factory = await env.factory(w.space, w.clock);
    w.closers.push(() => factory.close());
    let ran = 0;
    const { transport } = await service(env, w, 'echo-a', {
      '/count': async () => {
        ran += 1;
        return { status: 200 };
      },
    });
    const requests = factory.queue<Frame>(serviceRequestsQueue(SERVICE, VERSION), { codec: frameCodec, leaseMs: 5_000 });
    const expired: RequestFrame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: w.clock.now(),
      payload: { ...req(w.clock, '/count'), deadline: w.clock.now() - 1, replyTo: gatewayResponsesQueue('gw-x') },
    };
    await requests.enqueue(expired);
    await eventually(() => transport.metrics().expired === 1, { within: 10_000, what: 'the expired REQUEST to be dropped' });
    assert.is(ran, 0);
    await eventually(async () => (await requests.stats()).depth + (await requests.stats()).inFlight === 0, { within: 10_000, what: 'the expired REQUEST to be acked' });
    assert.is((await requests.stats()).deadLetters, 0);
  });

  test('a copy of a REQUEST answered and acked here is acked without running again or a second RESPONSE', async (w) => {
    const factory = await env.factory(w.space, w.clock);
    w.closers.push(() => factory.close());
    let ran = 0;
    const { transport } = await service(env, w, 'echo-a', {
      '/count': async () => {
        ran += 1;
        return { status: 200, json: { run: ran } };
      },
    });
    const requests = factory.queue<Frame>(serviceRequestsQueue(SERVICE, VERSION), { codec: frameCodec, leaseMs: 5_000 });
    const responsesName = gatewayResponsesQueue('gw-dup');
    const responses = factory.queue<Frame>(responsesName, { codec: frameCodec });
    const frame: RequestFrame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: w.clock.now(),
      payload: { ...req(w.clock, '/count'), replyTo: responsesName },
    };
    const settledRequests = async (): Promise<boolean> => {
      const st = await requests.stats();
      return st.depth + st.inFlight === 0;
    };
    await requests.enqueue(frame);
    const first = await within(responses.lease({ max: 10, blockMs: 5_000 }), 10_000, 'the first RESPONSE');
    assert.is(first.length, 1);
    await first[0]?.ack();
    await eventually(settledRequests, { within: 10_000, what: 'the first copy to be acked' });
    // The same REQUEST enqueued again (a client that re-sent its enqueue after a reconnect).
    await requests.enqueue(frame);
    await eventually(() => transport.metrics().replayed === 1, { within: 10_000, what: 'the copy to be recognised' });
    await eventually(settledRequests, { within: 10_000, what: 'the copy to be acked' });
    assert.is(ran, 1, 'the handler ran once');
    assert.is((await responses.lease({ max: 10, blockMs: 300 })).length, 0, 'no second RESPONSE: the gateway has the first');
    assert.is((await requests.stats()).deadLetters, 0);
  });

  test('a REQUEST delivered again while it still runs joins the running handler: one run, one RESPONSE', async (w) => {
    const factory = await env.factory(w.space, w.clock);
    w.closers.push(() => factory.close());
    let ran = 0;
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const { transport } = await service(env, w, 'echo-a', {
      '/hold': async () => {
        ran += 1;
        await gate;
        return { status: 200, text: 'once' };
      },
    });
    const requests = factory.queue<Frame>(serviceRequestsQueue(SERVICE, VERSION), { codec: frameCodec, leaseMs: 5_000 });
    const responsesName = gatewayResponsesQueue('gw-join');
    const responses = factory.queue<Frame>(responsesName, { codec: frameCodec });
    const frame: RequestFrame = { v: 1, type: 'REQUEST', id: newFrameId(), sentAt: w.clock.now(), payload: { ...req(w.clock, '/hold'), replyTo: responsesName } };
    await requests.enqueueBatch([{ message: frame }, { message: frame }]);
    await eventually(() => ran === 1 && transport.metrics().replayed === 1, { within: 10_000, what: 'one run and one joined delivery' });
    finish();
    await eventually(async () => {
      const st = await requests.stats();
      return st.depth + st.inFlight === 0;
    }, { within: 10_000, what: 'both deliveries to be acked' });
    const got = await responses.lease({ max: 10, blockMs: 500 });
    assert.is(got.length, 1, 'exactly one RESPONSE');
    assert.is(ran, 1);
  });

  test('a late or duplicate RESPONSE is dropped and counted', async (w) => {
    const gw = await gateway(env, w);
    await service(env, w, 'echo-a');
    await gw.events.waitForHello('echo-a');
    const requestId = newFrameId();
    const res = await within(gw.transport.dispatch(target('echo-a'), req(w.clock, '/hello/x'), { requestId }), 10_000, 'RESPONSE');
    const responses = gw.factory.queue<Frame>(gatewayResponsesQueue('gw-1'), { codec: frameCodec });
    const again = { v: 1 as const, type: 'RESPONSE' as const, id: requestId, sentAt: w.clock.now(), payload: res };
    await responses.enqueue(again);
    await responses.enqueue({ ...again, id: newFrameId() });
    await eventually(() => gw.transport.metrics().droppedResponses === 2, { within: 10_000, what: 'two dropped RESPONSEs' });
    assert.is(gw.transport.metrics().responses, 1);
  });

  test('a malformed frame on any queue is dead-lettered and traffic keeps flowing', async (w) => {
    const gw = await gateway(env, w);
    await service(env, w, 'echo-a');
    await gw.events.waitForHello('echo-a');
    const raw = await env.factory(w.space, w.clock);
    w.closers.push(() => raw.close());
    const names = [GATEWAY_CONTROL_QUEUE, gatewayResponsesQueue('gw-1'), serviceRequestsQueue(SERVICE, VERSION), serviceControlQueue(SERVICE)];
    for (const name of names) {
      const q = raw.queue<Uint8Array>(name, { codec: bytesCodec, ...(name.endsWith('.requests') ? { leaseMs: 5_000 } : {}) });
      await q.enqueue(utf8.encode('{"this is": not a frame'));
    }
    // A well-formed frame of the wrong type for its queue is dead-lettered too.
    const frames = await env.factory(w.space, w.clock);
    w.closers.push(() => frames.close());
    await frames.queue<Frame>(gatewayResponsesQueue('gw-1'), { codec: frameCodec }).enqueue({ v: 1, type: 'RESYNC', id: newFrameId(), sentAt: w.clock.now(), payload: { instanceId: 'x' } });
    const dlq = async (name: string): Promise<number> => frames.queue<Frame>(name, { codec: frameCodec, ...(name.endsWith('.requests') ? { leaseMs: 5_000 } : {}) }).deadLetters.count();
    await eventually(async () => (await dlq(gatewayResponsesQueue('gw-1'))) === 2, { within: 10_000, what: 'responses queue: 2 dead letters' });
    await eventually(async () => (await dlq(serviceRequestsQueue(SERVICE, VERSION))) === 1, { within: 10_000, what: 'requests queue: 1 dead letter' });
    // Fan-out queues: each subscriber group dead-letters its own copy, so at least one.
    await eventually(async () => (await dlq(GATEWAY_CONTROL_QUEUE)) >= 1, { within: 10_000, what: 'gateway.control: dead letter' });
    await eventually(async () => (await dlq(serviceControlQueue(SERVICE))) >= 1, { within: 10_000, what: 'service control: dead letter' });
    const res = await within(gw.transport.dispatch(target('echo-a'), req(w.clock, '/hello/after'), {}), 10_000, 'RESPONSE after the poison');
    assert.is(res.status, 200);
  });

  test('GOODBYE on stop reaches the gateway and in-flight requests still answer', async (w) => {
    const gw = await gateway(env, w);
    const running = new Latch(1, 'handler running');
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const { svc } = await service(env, w, 'echo-a', {
      '/hold': async () => {
        running.count();
        await gate;
        return { status: 200, text: 'done' };
      },
    });
    await gw.events.waitForHello('echo-a');
    const call = gw.transport.dispatch(target('echo-a'), req(w.clock, '/hold'), {});
    await running.wait(10_000);
    const stopped = svc.stop();
    await gw.events.until(() => gw.events.count('GOODBYE', 'echo-a') === 1, 'GOODBYE');
    assert.is(svc.status().state, 'draining');
    finish();
    const res = await within(call, 10_000, 'the in-flight RESPONSE');
    assert.is(text(res.body), 'done');
    await within(stopped, 10_000, 'stop() to finish');
    assert.is(svc.status().state, 'stopped');
  });

  if (env.manualTime) {
    test('a restarted gateway routes again after one heartbeat, with no instance restarted', async (w) => {
      const clock = new ManualClock();
      (w as { clock: Clock }).clock = clock;
      const first = await gateway(env, w, 'gw-1');
      await service(env, w, 'echo-a', {}, { heartbeatIntervalMs: 5_000 });
      await first.events.waitForHello('echo-a');
      await first.transport.stop();
      const second = await gateway(env, w, 'gw-1');
      assert.is(second.events.hellos.size, 0, 'the new node starts empty');
      await clock.advance(5_000);
      await second.events.waitForHello('echo-a');
      assert.is(second.events.count('HEARTBEAT', 'echo-a'), 1, 'one heartbeat was enough');
      const res = await within(second.transport.dispatch(target('echo-a'), req(clock, '/hello/again'), {}), 10_000, 'RESPONSE');
      assert.is(res.status, 200);
    });

    test('RESYNCs to one instance are at least resyncMinIntervalMs apart, however many heartbeats ask', async (w) => {
      const clock = new ManualClock();
      (w as { clock: Clock }).clock = clock;
      const { transport, feed } = await gateway(env, w, 'gw-1', 1_000);
      const beat = (instanceId: string, seq: number): void =>
        feed.control({ v: 1, type: 'HEARTBEAT', id: newFrameId(), sentAt: clock.now(), payload: { instanceId, seq, status: 'healthy', inFlight: 0, endpointsHash: 'h' } }, target(instanceId).link);
      // resync() counts a RESYNC as it starts sending it, so the counter is exact right after each beat.
      beat('echo-a', 1);
      beat('echo-a', 2);
      assert.is(transport.metrics().resyncs, 1, 'the second RESYNC inside the interval is not sent');
      beat('echo-b', 1);
      assert.is(transport.metrics().resyncs, 2, 'another instance has its own interval');
      await clock.advance(1_000);
      beat('echo-a', 3);
      assert.is(transport.metrics().resyncs, 3, 'after the interval the next RESYNC goes out');
    });

    test('a REQUEST still running through a long service drain stays with its instance: no second run elsewhere', async (w) => {
      const clock = new ManualClock();
      (w as { clock: Clock }).clock = clock;
      const gw = await gateway(env, w);
      const runs: string[] = [];
      let finish!: () => void;
      const gate = new Promise<void>((resolve) => (finish = resolve));
      const running = new Latch(1, 'the handler running');
      const hold: Handler = async (_req, ctx) => {
        runs.push(ctx.instanceId);
        running.count();
        await gate;
        return { status: 200, text: 'done' };
      };
      const a = await service(env, w, 'echo-a', { '/hold': hold }, { drainTimeoutMs: 120_000 });
      await gw.events.waitForHello('echo-a');
      const call = gw.transport.dispatch(target('echo-a'), req(clock, '/hold', 600_000), {});
      await running.wait(10_000);
      await service(env, w, 'echo-b', { '/hold': hold });
      await gw.events.waitForHello('echo-b');
      const stopped = a.svc.stop();
      try {
        await gw.events.until(() => gw.events.count('GOODBYE', 'echo-a') === 1, 'GOODBYE');
        // 60 s of drain, past a queue subscription's default drainTimeoutMs (30 s), renewing as it goes.
        for (let i = 0; i < 60; i++) await clock.advance(1_000);
        assert.equal(runs, ['echo-a'], 'the REQUEST was not handed to echo-b while echo-a still ran it');
      } finally {
        finish(); // also on failure, so the services can stop
      }
      const res = await within(call, 10_000, 'the RESPONSE from the draining instance');
      assert.is(text(res.body), 'done');
      await within(stopped, 10_000, 'stop() to finish');
      assert.equal(runs, ['echo-a']);
    });

    test('the deadline aborts a running handler and no RESPONSE is sent', async (w) => {
      const clock = new ManualClock();
      (w as { clock: Clock }).clock = clock;
      const gw = await gateway(env, w);
      const running = new Latch(1, 'handler running');
      let reason: unknown;
      const aborted = new Latch(1, 'handler aborted');
      const { transport } = await service(env, w, 'echo-a', {
        '/wait': async (_req, ctx) => {
          running.count();
          await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
          reason = ctx.signal.reason;
          aborted.count();
          return { status: 200 };
        },
      });
      await gw.events.waitForHello('echo-a');
      const controller = new Cancellation();
      const call = gw.transport.dispatch(target('echo-a'), req(clock, '/wait', 1_000), { cancellation: controller });
      await running.wait(10_000);
      await clock.advance(1_200);
      await aborted.wait(10_000);
      assert.is(reason, 'timeout');
      await eventually(() => transport.metrics().aborted === 1, { within: 5_000, what: 'the aborted count' });
      controller.cancel('timeout');
      await rejectsWithCode(call, ERROR_CODES.RequestCancelled, 'the timed-out dispatch');
      assert.is(gw.transport.metrics().droppedResponses, 0, 'no RESPONSE was sent for the aborted handler');
    });
  } else {
    test('a restarted gateway routes again after one heartbeat, with no instance restarted', async (w) => {
      const first = await gateway(env, w, 'gw-1');
      await service(env, w, 'echo-a', {}, { heartbeatIntervalMs: 1_000 });
      await first.events.waitForHello('echo-a');
      await first.transport.stop();
      const second = await gateway(env, w, 'gw-1');
      assert.is(second.events.hellos.size, 0, 'the new node starts empty');
      await second.events.waitForHello('echo-a', 10_000);
      assert.ok(second.events.count('HEARTBEAT', 'echo-a') <= 2, `HELLO came after the first heartbeat the node saw (saw ${second.events.count('HEARTBEAT', 'echo-a')})`);
      const res = await within(second.transport.dispatch(target('echo-a'), req(w.clock, '/hello/again'), {}), 10_000, 'RESPONSE');
      assert.is(res.status, 200);
    });
  }

  test.run();
}
