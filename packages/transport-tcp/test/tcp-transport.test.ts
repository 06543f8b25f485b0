import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  Cancellation,
  encodeFrame,
  makeFrame,
  silentLogger,
  systemClock,
  TransportType,
  type InstanceRequestHandler,
  type RequestFrame,
} from '@switchyard/core';
import { createTcpGatewayTransport, createTcpInstanceTransport, type TcpGatewayTransport, type TcpInstanceTransport } from '../src/index.js';
import { encodeLengthPrefixed } from '../src/framing.js';
import { eventually, rejectsWithCode, Latch } from '../../../test/harness/wait.js';
import { helloFor, RecordingEvents, requestTo } from './fixtures.js';

const deps = { clock: systemClock, logger: silentLogger, node: { id: 'gw-test', region: 'local' } };

const echo: InstanceRequestHandler = async (request) => ({ status: 200, headers: { 'x-path': request.payload.path }, body: request.payload.body });

interface Pair {
  gateway: TcpGatewayTransport;
  events: RecordingEvents;
  port: number;
  instances: TcpInstanceTransport[];
  addInstance(id: string, handler?: InstanceRequestHandler, extra?: Record<string, unknown>): Promise<TcpInstanceTransport>;
  close(): Promise<void>;
}

async function startPair(gatewayOptions: Record<string, unknown> = {}, port = 0): Promise<Pair> {
  const gateway = createTcpGatewayTransport({ type: 'tcp', host: '127.0.0.1', port, ...gatewayOptions }, deps);
  const events = new RecordingEvents();
  await gateway.start(events);
  const bound = gateway.address()!.port;
  const instances: TcpInstanceTransport[] = [];
  return {
    gateway,
    events,
    port: bound,
    instances,
    async addInstance(id, handler = echo, extra = {}) {
      const instance = createTcpInstanceTransport({ type: 'tcp', host: '127.0.0.1', port: bound, reconnectMinMs: 20, reconnectMaxMs: 200, ...extra }, deps);
      instances.push(instance);
      await instance.start(helloFor(id), handler);
      await eventually(() => events.links.has(id), { within: 10_000, what: `HELLO from ${id}` });
      return instance;
    },
    async close() {
      await Promise.all(instances.map((i) => i.close()));
      await gateway.stop();
    },
  };
}

function rawClient(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  return once(socket, 'connect').then(() => socket);
}

const dispatch = suite('TCP transport: HELLO and dispatch');

dispatch('an instance connects and its HELLO reaches the gateway with a tcp link addressed by connection', async () => {
  const pair = await startPair();
  try {
    const instance = await pair.addInstance('i-1');
    const hello = pair.events.frames.find((f) => f.frame.type === 'HELLO')!;
    assert.is(hello.link.transport, TransportType.Tcp);
    assert.match(hello.link.address, /^tcp-/);
    assert.match((hello.frame.payload as { instance: { address: string } }).instance.address, /^tcp:127\.0\.0\.1:\d+$/);
    assert.ok(instance.isReady(), 'instance should be ready once HELLO is sent');
    assert.ok(pair.gateway.isReady(), 'gateway should be ready while listening');
    assert.is(pair.gateway.metrics().instances, 1);
  } finally {
    await pair.close();
  }
});

dispatch('a dispatched REQUEST runs on the instance and its RESPONSE resolves the dispatch', async () => {
  const pair = await startPair();
  try {
    let seen: RequestFrame | undefined;
    await pair.addInstance('i-1', async (req, signal) => {
      seen = req;
      return echo(req, signal);
    });
    const response = await pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo', 'hello'), {});
    assert.is(response.status, 200);
    assert.is(Buffer.from(response.body).toString(), 'hello');
    assert.is(response.instanceId, 'i-1');
    assert.is(response.headers['x-path'], '/echo');
    assert.is(seen?.payload.replyTo, pair.events.links.get('i-1')!.address, 'replyTo is the connection id');
  } finally {
    await pair.close();
  }
});

dispatch('500 concurrent requests over one connection each get their own response', async () => {
  const pair = await startPair();
  try {
    await pair.addInstance('i-1');
    const target = pair.events.target('i-1', TransportType.Tcp);
    const bodies = Array.from({ length: 500 }, (_, i) => `body-${i}-${'x'.repeat(i)}`);
    const responses = await Promise.all(
      bodies.map((b) => pair.gateway.dispatch(target, requestTo('/echo', b), {})),
    );
    const mismatched = responses.map((r, i) => (Buffer.from(r.body).toString() === bodies[i] ? -1 : i)).filter((i) => i >= 0);
    assert.equal(mismatched, [], 'responses matched to the wrong requests');
    assert.is(pair.gateway.metrics().inFlight, 0);
  } finally {
    await pair.close();
  }
});

dispatch('a 4 MiB body travels both ways intact', async () => {
  const pair = await startPair();
  try {
    await pair.addInstance('i-1');
    const body = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const response = await pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo', body), {});
    assert.ok(Buffer.from(response.body).equals(body), 'body changed in transit');
  } finally {
    await pair.close();
  }
});

dispatch.run();

const cancel = suite('TCP transport: cancellation, deadlines, goodbye');

cancel('aborting a dispatch sends CANCEL: the handler signal aborts with the reason and the dispatch rejects as cancelled', async () => {
  const pair = await startPair();
  try {
    const aborted = new Latch(1, 'handler signal aborted');
    let reason: unknown;
    const started = new Latch(1, 'handler started');
    await pair.addInstance('i-1', (_req, cancellation) => {
      started.count();
      const signal = cancellation.signal;
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          aborted.count();
          reject(new Error('aborted'));
        });
      });
    });
    const controller = new Cancellation();
    const pending = pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/slow'), { cancellation: controller });
    await started.wait(10_000);
    controller.cancel('timeout');
    await rejectsWithCode(pending, 'SY_TRANSPORT_REQUEST_CANCELLED', 'the aborted dispatch');
    await aborted.wait(10_000);
    assert.is(reason, 'timeout');
    assert.is(pair.gateway.metrics().cancels, 1);
  } finally {
    await pair.close();
  }
});

cancel('a REQUEST whose deadline has passed is dropped by the instance without running', async () => {
  const pair = await startPair();
  try {
    let runs = 0;
    const instance = await pair.addInstance('i-1', async (req, signal) => {
      runs += 1;
      return echo(req, signal);
    });
    const controller = new Cancellation();
    const pending = pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo', 'late', -1_000), { cancellation: controller });
    await eventually(() => instance.metrics().expired === 1, { within: 10_000, what: 'the instance to drop the expired REQUEST' });
    controller.cancel('timeout');
    await rejectsWithCode(pending, 'SY_TRANSPORT_REQUEST_CANCELLED');
    assert.is(runs, 0, 'the handler must not run for an expired REQUEST');
  } finally {
    await pair.close();
  }
});

cancel('the instance aborts a running handler when its deadline passes', async () => {
  const pair = await startPair();
  try {
    const aborted = new Latch(1, 'handler aborted at deadline');
    let reason: unknown;
    await pair.addInstance('i-1', (_req, cancellation) =>
      new Promise((_resolve, reject) => {
        const signal = cancellation.signal;
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          aborted.count();
          reject(new Error('aborted'));
        });
      }),
    );
    const controller = new Cancellation();
    const pending = pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/slow', '', 300), { cancellation: controller });
    await aborted.wait(10_000);
    assert.is(reason, 'timeout');
    controller.cancel('timeout');
    await rejectsWithCode(pending, 'SY_TRANSPORT_REQUEST_CANCELLED');
  } finally {
    await pair.close();
  }
});

cancel('GOODBYE reaches the gateway, and a REQUEST that crosses it is answered 503 rather than left to time out', async () => {
  const pair = await startPair();
  try {
    const instance = await pair.addInstance('i-1');
    await instance.goodbye();
    await eventually(() => pair.events.frames.some((f) => f.frame.type === 'GOODBYE'), { within: 10_000, what: 'GOODBYE at the gateway' });
    const response = await pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo', 'x'), {});
    assert.is(response.status, 503);
    assert.match(Buffer.from(response.body).toString(), /SY_INSTANCE_DRAINING/);
  } finally {
    await pair.close();
  }
});

cancel('HEARTBEATs sent by the instance reach the gateway in order', async () => {
  const pair = await startPair();
  try {
    const instance = await pair.addInstance('i-1');
    const hello = helloFor('i-1');
    for (let seq = 1; seq <= 3; seq++) {
      await instance.heartbeat({ instanceId: 'i-1', seq, status: 'healthy', inFlight: 0, endpointsHash: hello.endpointsHash });
    }
    const seqs = await eventually(
      () => {
        const s = pair.events.frames.filter((f) => f.frame.type === 'HEARTBEAT').map((f) => (f.frame.payload as { seq: number }).seq);
        return s.length === 3 ? s : undefined;
      },
      { within: 10_000, what: '3 heartbeats' },
    );
    assert.equal(seqs, [1, 2, 3]);
  } finally {
    await pair.close();
  }
});

cancel.run();

const faults = suite('TCP transport: connection faults');

faults('a closed instance connection reports the instance lost at once and fails its in-flight requests with SY_TRANSPORT_FAILURE', async () => {
  const pair = await startPair();
  try {
    const started = new Latch(1, 'slow handler started');
    const instance = await pair.addInstance('i-1', () => {
      started.count();
      return new Promise(() => undefined);
    });
    const pending = pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/slow'), {});
    const failed = rejectsWithCode(pending, 'SY_TRANSPORT_FAILURE', 'the in-flight request');
    await started.wait(10_000);
    await instance.close();
    const err = await failed;
    assert.match(err.message, /lost while request/);
    await eventually(() => pair.events.lostInstances.some((l) => l.instanceId === 'i-1'), { within: 5_000, what: 'lost(i-1)' });
    await rejectsWithCode(
      pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo'), {}),
      // Never written: the gateway may send it over another transport (test/not-sent.test.ts).
      'SY_TRANSPORT_REQUEST_NOT_SENT',
      'a dispatch to the closed connection',
    );
  } finally {
    await pair.close();
  }
});

faults('the instance reconnects after the gateway restarts on the same port and sends HELLO again', async () => {
  const first = await startPair();
  const port = first.port;
  const instance = await first.addInstance('i-1');
  await first.gateway.stop();
  await eventually(() => !instance.isReady(), { within: 10_000, what: 'the instance to notice the gateway is gone' });
  const second = await startPair({}, port);
  try {
    await eventually(() => second.events.hellos('i-1') === 1, { within: 15_000, what: 'HELLO on the restarted gateway' });
    const response = await second.gateway.dispatch(second.events.target('i-1', TransportType.Tcp), requestTo('/echo', 'again'), {});
    assert.is(Buffer.from(response.body).toString(), 'again');
    assert.ok(instance.metrics().connects >= 2, 'the instance connected twice');
  } finally {
    await instance.close();
    await second.close();
  }
});

faults('an instance started before its gateway keeps retrying and registers once the gateway listens', async () => {
  const probe = await startPair();
  const port = probe.port;
  await probe.close();
  const instance = createTcpInstanceTransport({ type: 'tcp', host: '127.0.0.1', port, reconnectMinMs: 20, reconnectMaxMs: 100 }, deps);
  await instance.start(helloFor('early'), echo);
  assert.not.ok(instance.isReady(), 'nothing listens yet');
  const pair = await startPair({}, port);
  try {
    await eventually(() => pair.events.hellos('early') === 1, { within: 15_000, what: 'HELLO from the early instance' });
  } finally {
    await instance.close();
    await pair.close();
  }
});

faults('RESYNC makes the instance send HELLO again on the same connection', async () => {
  const pair = await startPair();
  try {
    await pair.addInstance('i-1');
    await pair.gateway.resync(pair.events.target('i-1', TransportType.Tcp));
    await eventually(() => pair.events.hellos('i-1') === 2, { within: 10_000, what: 'a second HELLO' });
    const links = pair.events.frames.filter((f) => f.frame.type === 'HELLO').map((f) => f.link.address);
    assert.is(links[0], links[1]);
  } finally {
    await pair.close();
  }
});

faults('garbage bytes close only the connection that sent them; the instance keeps being served', async () => {
  const pair = await startPair();
  try {
    await pair.addInstance('i-1');
    const raw = await rawClient(pair.port);
    const closed = once(raw, 'close');
    raw.write(Buffer.concat([Buffer.from([0, 0, 0, 9]), Buffer.from('not-frame')]));
    await closed;
    const response = await pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo', 'still'), {});
    assert.is(Buffer.from(response.body).toString(), 'still');
  } finally {
    await pair.close();
  }
});

faults('a length prefix over maxFrameBytes closes that connection before its body arrives', async () => {
  const pair = await startPair({ maxFrameBytes: 4096 });
  try {
    await pair.addInstance('i-1', echo, { maxFrameBytes: 4096 });
    const raw = await rawClient(pair.port);
    const closed = once(raw, 'close');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(4097, 0);
    raw.write(prefix);
    await closed;
    const response = await pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo', 'ok'), {});
    assert.is(Buffer.from(response.body).toString(), 'ok');
  } finally {
    await pair.close();
  }
});

faults('a REQUEST larger than maxFrameBytes fails that dispatch with SY_TRANSPORT_FAILURE and sends nothing', async () => {
  const pair = await startPair({ maxFrameBytes: 4096 });
  try {
    await pair.addInstance('i-1', echo, { maxFrameBytes: 4096 });
    const err = await rejectsWithCode(
      pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo', Buffer.alloc(10_000)), {}),
      'SY_TRANSPORT_FAILURE',
    );
    assert.match(err.message, /maxFrameBytes/);
    const response = await pair.gateway.dispatch(pair.events.target('i-1', TransportType.Tcp), requestTo('/echo', 'small'), {});
    assert.is(Buffer.from(response.body).toString(), 'small');
  } finally {
    await pair.close();
  }
});

faults('connections beyond maxConnections are closed at once and counted', async () => {
  const pair = await startPair({ maxConnections: 1 });
  try {
    await pair.addInstance('i-1');
    const raw = await rawClient(pair.port);
    await once(raw, 'close');
    await eventually(() => pair.gateway.metrics().refused === 1, { within: 5_000, what: 'refused = 1' });
  } finally {
    await pair.close();
  }
});

faults('a connection that sends no HELLO within helloTimeoutMs is closed; identified instances stay', async () => {
  const pair = await startPair({ helloTimeoutMs: 200 });
  try {
    const instance = await pair.addInstance('i-1');
    const raw = await rawClient(pair.port);
    await once(raw, 'close');
    assert.is(pair.gateway.metrics().helloTimeouts, 1);
    assert.ok(instance.isReady(), 'the instance that sent HELLO keeps its connection');
    assert.is(instance.metrics().connects, 1);
  } finally {
    await pair.close();
  }
});

faults('a HELLO on a new connection supersedes the old one: closing the old connection reports nothing lost', async () => {
  const pair = await startPair();
  try {
    const helloBytes = (): Buffer =>
      encodeLengthPrefixed(encodeFrame(makeFrame('HELLO', { ...helloFor('twice'), instance: { ...helloFor('twice').instance, address: 'tcp:x' } }, { clock: systemClock })), 1 << 20);
    const first = await rawClient(pair.port);
    first.write(helloBytes());
    await eventually(() => pair.events.hellos('twice') === 1, { within: 5_000, what: 'HELLO on the first connection' });
    const second = await rawClient(pair.port);
    second.write(helloBytes());
    await eventually(() => pair.events.hellos('twice') === 2, { within: 5_000, what: 'HELLO on the second connection' });
    first.destroy();
    await eventually(() => pair.gateway.metrics().connections === 1, { within: 5_000, what: 'the first connection to be gone' });
    assert.equal(pair.events.lostInstances, [], 'the instance lives on through its newer connection');
    second.destroy();
    await eventually(() => pair.events.lostInstances.length === 1, { within: 5_000, what: 'lost(twice) when its current connection closes' });
    assert.is(pair.events.lostInstances[0]?.instanceId, 'twice');
  } finally {
    await pair.close();
  }
});

faults('a RESPONSE for an unknown request is dropped and counted', async () => {
  const pair = await startPair();
  try {
    const raw = await rawClient(pair.port);
    const response = makeFrame('RESPONSE', { status: 200, headers: {}, body: new Uint8Array(), instanceId: 'x' }, { clock: systemClock });
    raw.write(encodeLengthPrefixed(encodeFrame(response), 1 << 20));
    await eventually(() => pair.gateway.metrics().droppedResponses === 1, { within: 5_000, what: 'droppedResponses = 1' });
    raw.destroy();
  } finally {
    await pair.close();
  }
});

faults('stop() fails waiting dispatches with SY_TRANSPORT_CLOSED, and later dispatches too', async () => {
  const pair = await startPair();
  const started = new Latch(1, 'handler started');
  await pair.addInstance('i-1', () => {
    started.count();
    return new Promise(() => undefined);
  });
  const target = pair.events.target('i-1', TransportType.Tcp);
  const pending = pair.gateway.dispatch(target, requestTo('/slow'), {});
  const closed = rejectsWithCode(pending, 'SY_TRANSPORT_CLOSED');
  await started.wait(10_000);
  await pair.gateway.stop();
  await closed;
  await rejectsWithCode(pair.gateway.dispatch(target, requestTo('/echo'), {}), 'SY_TRANSPORT_CLOSED');
  assert.not.ok(pair.gateway.isReady());
  await pair.close();
});

faults.run();
