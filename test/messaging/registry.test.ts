/** Router transports built from `transports:` config entries (packages/core/src/transport/registry.ts). */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ERROR_CODES,
  TransportType,
  createQueueFactoryFromConfig,
  frameCodec,
  newFrameId,
  silentLogger,
  systemClock,
  type Frame,
} from '@switchyard/core';
import {
  createGatewayTransports,
  createInstanceTransport,
  gatewayResponsesQueue,
  serviceRequestsQueue,
  type TransportConfigEntry,
} from '@switchyard/core/internal';
import { eventually, rejectsWithCode, within } from '../harness/wait.js';
import { RecordingEvents } from './recording-events.js';

const deps = { clock: systemClock, logger: silentLogger, node: { id: 'gw-1', region: 'local' } };
const test = suite('transport registry');

test('a messaging entry on the memory backend builds a gateway and an instance side that talk', async () => {
  const entry: TransportConfigEntry = { type: 'messaging', backend: 'memory', memory: { namespace: `t-${randomUUID()}` }, queues: { leaseMs: 10_000 }, concurrency: 8 };
  const [gateway] = await createGatewayTransports([entry], deps);
  const instance = await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger });
  assert.ok(gateway);
  assert.is(gateway.type, TransportType.Messaging);
  assert.is(instance.type, TransportType.Messaging);
  const events = new RecordingEvents();
  await gateway.start(events);
  await instance.start(
    { instance: { service: 'svc', version: '1.0.0', region: 'local', instanceId: 'i-1', address: '' }, endpoints: [], endpointsHash: 'h' },
    async (frame) => ({ status: 200, headers: {}, body: new TextEncoder().encode(frame.payload.path) }),
  );
  await events.waitForHello('i-1');
  const res = await within(
    gateway.dispatch(
      { instanceId: 'i-1', service: 'svc', version: '1.0.0', link: { transport: TransportType.Messaging, address: serviceRequestsQueue('svc', '1.0.0') } },
      { method: 'GET', path: '/p', query: '', headers: {}, body: new Uint8Array(0), deadline: Date.now() + 10_000, identity: null },
      { requestId: newFrameId() },
    ),
    10_000,
    'RESPONSE',
  );
  assert.is(new TextDecoder().decode(res.body), '/p');
  assert.ok(gateway.isReady());
  await instance.goodbye();
  await instance.close();
  await gateway.stop();
  assert.not.ok(gateway.isReady());
});

test('queues.replayCacheSize from config reaches the instance: at 0 a duplicated REQUEST runs again, by default it does not', async () => {
  // By default the copy is acked unrun, and without a second RESPONSE (the first one is in the responses queue).
  for (const [replayCacheSize, expectedRuns] of [[undefined, 1], [0, 2]] as const) {
    const namespace = `t-${randomUUID()}`;
    const queues = replayCacheSize === undefined ? {} : { replayCacheSize };
    const entry: TransportConfigEntry = { type: 'messaging', backend: 'memory', memory: { namespace }, queues };
    const instance = await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger });
    let runs = 0;
    await instance.start({ instance: { service: 'svc', version: '1.0.0', region: 'local', instanceId: 'i-1', address: '' }, endpoints: [], endpointsHash: 'h' }, async () => {
      runs += 1;
      return { status: 200, headers: {}, body: new TextEncoder().encode(String(runs)) };
    });
    const factory = await createQueueFactoryFromConfig('memory', { namespace }, { clock: systemClock });
    const requests = factory.queue<Frame>(serviceRequestsQueue('svc', '1.0.0'), { codec: frameCodec });
    const responses = factory.queue<Frame>(gatewayResponsesQueue('gw-replay'), { codec: frameCodec });
    const frame: Frame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: Date.now(),
      payload: { method: 'GET', path: '/p', query: '', headers: {}, body: new Uint8Array(0), deadline: Date.now() + 10_000, replyTo: gatewayResponsesQueue('gw-replay'), identity: null },
    };
    let answers = 0;
    const take = async (): Promise<number> => {
      for (const lease of await responses.lease({ max: 10, blockMs: 50 })) {
        answers += 1;
        await lease.ack();
      }
      return answers;
    };
    await requests.enqueue(frame);
    await eventually(async () => (await take()) >= 1, { within: 10_000, what: 'the first RESPONSE' });
    await requests.enqueue(frame);
    await eventually(
      async () => {
        const st = await requests.stats();
        return st.depth + st.inFlight === 0 && (await take()) >= expectedRuns;
      },
      { within: 10_000, what: 'the copy to be settled' },
    );
    assert.is(runs, expectedRuns, `runs with replayCacheSize ${String(replayCacheSize)}`);
    assert.is(await take(), expectedRuns, 'one RESPONSE per run');
    await instance.close();
    await factory.close();
  }
});

test('runOnce.scope shared from config: a REQUEST answered by one instance is replayed by another, not run again', async () => {
  for (const [scope, expectedRuns] of [['shared', 1], ['instance', 2]] as const) {
    const namespace = `t-${randomUUID()}`;
    const entry: TransportConfigEntry = { type: 'messaging', backend: 'memory', memory: { namespace }, runOnce: { scope } };
    let runs = 0;
    const handler = async (): Promise<{ status: number; headers: Record<string, string>; body: Uint8Array }> => {
      runs += 1;
      return { status: 200, headers: {}, body: new TextEncoder().encode(`run ${runs}`) };
    };
    const factory = await createQueueFactoryFromConfig('memory', { namespace }, { clock: systemClock });
    const requests = factory.queue<Frame>(serviceRequestsQueue('svc', '1.0.0'), { codec: frameCodec });
    const responses = factory.queue<Frame>(gatewayResponsesQueue('gw-once'), { codec: frameCodec });
    const frame: Frame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: Date.now(),
      payload: { method: 'GET', path: '/p', query: '', headers: {}, body: new Uint8Array(0), deadline: Date.now() + 10_000, replyTo: gatewayResponsesQueue('gw-once'), identity: null },
    };
    const bodies: string[] = [];
    const take = async (): Promise<number> => {
      for (const lease of await responses.lease({ max: 10, blockMs: 50 })) {
        if (lease.message.type === 'RESPONSE') bodies.push(new TextDecoder().decode(lease.message.payload.body));
        await lease.ack();
      }
      return bodies.length;
    };
    for (const instanceId of ['i-1', 'i-2']) {
      const instance = await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger });
      await instance.start({ instance: { service: 'svc', version: '1.0.0', region: 'local', instanceId, address: '' }, endpoints: [], endpointsHash: 'h' }, handler);
      const before = bodies.length;
      await requests.enqueue(frame);
      await eventually(async () => (await take()) > before, { within: 10_000, what: `the RESPONSE from ${instanceId}` });
      await instance.close();
    }
    assert.is(runs, expectedRuns, `runs with runOnce.scope ${scope}`);
    assert.equal(bodies, expectedRuns === 1 ? ['run 1', 'run 1'] : ['run 1', 'run 2']);
    await factory.close();
  }
});

test('queues.deadlineCheckMs from config sets the period of the instance\'s deadline sweep', async () => {
  const periods: number[] = [];
  const clock = { ...systemClock, every: (ms: number, fn: () => void) => (periods.push(ms), systemClock.every(ms, fn)) };
  for (const [queues, expected] of [[{}, 100], [{ deadlineCheckMs: 250 }, 250]] as const) {
    periods.length = 0;
    const entry: TransportConfigEntry = { type: 'messaging', backend: 'memory', memory: { namespace: `t-${randomUUID()}` }, queues };
    const instance = await createInstanceTransport(entry, { clock, logger: silentLogger });
    await instance.start({ instance: { service: 'svc', version: '1.0.0', region: 'local', instanceId: 'i-1', address: '' }, endpoints: [], endpointsHash: 'h' }, async () => ({
      status: 200,
      headers: {},
      body: new Uint8Array(0),
    }));
    assert.ok(periods.includes(expected), `a sweep every ${expected} ms among ${JSON.stringify(periods)}`);
    await instance.close();
  }
});

test('invalid entries fail with an error naming the key', async () => {
  const cases: Array<[unknown[], RegExp]> = [
    [[{ type: 'carrier-pigeon' }], /^transports\[0\]\.type /],
    [[{ type: 'messaging', backend: 'memory' }, { type: 'messaging' }], /^transports\[1\]\.backend /],
    [[{ type: 'messaging', backend: 'memory', queues: { lease: 1 } }], /^transports\[0\]\.queues\.lease /],
    [[{ type: 'messaging', backend: 'memory', concurrency: 0 }], /^transports\[0\]\.concurrency /],
    [[{ type: 'messaging', backend: 'memory', queues: { maxDeliveries: 'x' } }], /^transports\[0\]\.queues\.maxDeliveries /],
    [[{ type: 'messaging', backend: 'memory', queues: { replayCacheSize: -1 } }], /^transports\[0\]\.queues\.replayCacheSize /],
    [[{ type: 'messaging', backend: 'memory', queues: { departedNodeGraceMs: 500 } }], /^transports\[0\]\.queues\.departedNodeGraceMs must be 0 \(off\) or at least 1000 ms/],
    ...['blockMs', 'deadlineCheckMs', 'pendingGraceMs', 'departedNodeGraceMs'].map((key): [unknown[], RegExp] => [
      [{ type: 'messaging', backend: 'memory', queues: { [key]: -1 } }],
      new RegExp(`^transports\\[0\\]\\.queues\\.${key} `),
    ]),
    [[{ type: 'messaging', backend: 'memory', valkey: {} }], /^transports\[0\]\.valkey /],
    [[{ type: 'messaging', backend: 'memory', runOnce: { scope: 'everywhere' } }], /^transports\[0\]\.runOnce\.scope must be "instance" or "shared"/],
    [[{ type: 'messaging', backend: 'memory', runOnce: { claimMs: 10 } }], /^transports\[0\]\.runOnce\.claimMs /],
    [[{ type: 'messaging', backend: 'memory', runOnce: { pollMs: 'soon' } }], /^transports\[0\]\.runOnce\.pollMs /],
    [[{ type: 'messaging', backend: 'memory', runOnce: { claim: 1 } }], /^transports\[0\]\.runOnce\.claim is not a runOnce option/],
    [[{ type: 'messaging', backend: 'memory', queues: { resyncMinIntervalMs: 500 } }], /^transports\[0\]\.queues\.resyncMinIntervalMs is not a queues option; use routing\.resyncMinIntervalMs in the gateway config/],
  ];
  for (const [entries, pattern] of cases) {
    const err = await rejectsWithCode(createGatewayTransports(entries as TransportConfigEntry[], deps), ERROR_CODES.InvalidArgument, JSON.stringify(entries));
    assert.match(err.message, pattern);
  }
});

test('a tcp entry is built by @switchyard/transport-tcp, and its option errors name the entry', async () => {
  const [tcp] = await createGatewayTransports([{ type: 'tcp', port: 0 }], deps);
  assert.is(tcp?.type, TransportType.Tcp);
  await tcp?.stop();
  try {
    await createGatewayTransports([{ type: 'messaging', backend: 'memory' }, { type: 'tcp', port: 'x' }], deps);
    assert.unreachable('a bad tcp port should fail');
  } catch (err) {
    assert.match((err as Error).message, /^transports\[1\]: .*port/);
    assert.type((err as { code?: unknown }).code, 'string');
  }
});

test('a backend option error names the backend section of the entry', async () => {
  try {
    await createInstanceTransport({ type: 'messaging', backend: 'memory', memory: { nope: 1 } }, { clock: systemClock, logger: silentLogger });
    assert.unreachable('an unknown memory option should fail');
  } catch (err) {
    assert.match((err as Error).message, /^transports\[0\]\.memory: .*nope/);
  }
});

test('an unknown backend fails with SY_PLUGIN_UNKNOWN_BACKEND naming the package', async () => {
  const err = await rejectsWithCode(
    createInstanceTransport({ type: 'messaging', backend: '@acme/no-such-backend' }, { clock: systemClock, logger: silentLogger }),
    ERROR_CODES.UnknownBackend,
    'an unknown backend',
  );
  assert.match(err.message, /@acme\/no-such-backend/);
});

test.run();
