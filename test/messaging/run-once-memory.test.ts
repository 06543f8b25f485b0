/**
 * Run once across instances, the waiting side (docs/messaging-transport.md, "Run once across
 * instances", step 3), on the memory backend: a REQUEST whose id another instance holds is not
 * run; the instance replays that run's RESPONSE once stored, runs it itself once the claim is
 * dropped, and releases it (for another instance) when it closes while waiting.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createQueueFactoryFromConfig, encodeFrame, frameCodec, newFrameId, silentLogger, systemClock, type Frame, type MessageQueueFactory, type ResponseFrame, type RunOnceStore } from '@switchyard/core';
import { MessagingInstanceTransport, createInstanceTransport, gatewayResponsesQueue, serviceRequestsQueue, type TransportConfigEntry } from '@switchyard/core/internal';
import { eventually } from '../harness/wait.js';

interface World {
  namespace: string;
  factory: MessageQueueFactory;
  runs: string[];
  bodies: string[];
  take(): Promise<number>;
  instance(id: string): Promise<MessagingInstanceTransport>;
  request(): Frame;
  /** A REQUEST whose id instance 'elsewhere' has claimed, enqueued once instance b runs; resolves when b waits on the claim. */
  waitingOnForeignClaim(): Promise<{ store: RunOnceStore; frame: Frame; b: MessagingInstanceTransport }>;
}

async function world(): Promise<World> {
  const namespace = `t-${randomUUID()}`;
  const factory = await createQueueFactoryFromConfig('memory', { namespace }, { clock: systemClock });
  const responses = factory.queue<Frame>(gatewayResponsesQueue('gw-wait'), { codec: frameCodec });
  const runs: string[] = [];
  const bodies: string[] = [];
  const entry: TransportConfigEntry = { type: 'messaging', backend: 'memory', memory: { namespace }, runOnce: { scope: 'shared', pollMs: 20, claimMs: 5_000 } };
  const w: World = {
    namespace,
    factory,
    runs,
    bodies,
    async take() {
      for (const lease of await responses.lease({ max: 10, blockMs: 20 })) {
        if (lease.message.type === 'RESPONSE') bodies.push(new TextDecoder().decode(lease.message.payload.body));
        await lease.ack();
      }
      return bodies.length;
    },
    async instance(instanceId) {
      const t = (await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger })) as MessagingInstanceTransport;
      await t.start({ instance: { service: 'svc', version: '1.0.0', region: 'local', instanceId, address: '' }, endpoints: [], endpointsHash: 'h' }, async () => {
        runs.push(instanceId);
        return { status: 200, headers: {}, body: new TextEncoder().encode(`run by ${instanceId}`) };
      });
      return t;
    },
    async waitingOnForeignClaim() {
      const store = factory.runOnceStore!()!;
      const frame = w.request();
      await store.claim(frame.id, 'elsewhere', 5_000);
      const b = await w.instance('b');
      await factory.queue<Frame>(serviceRequestsQueue('svc', '1.0.0'), { codec: frameCodec }).enqueue(frame);
      await eventually(() => (b.metrics().runOnce?.claimWaits ?? 0) === 1, { within: 5_000, what: 'instance b to find the claim and wait' });
      return { store, frame, b };
    },
    request() {
      return {
        v: 1,
        type: 'REQUEST',
        id: newFrameId(),
        sentAt: Date.now(),
        payload: { method: 'GET', path: '/p', query: '', headers: {}, body: new Uint8Array(0), deadline: Date.now() + 10_000, replyTo: gatewayResponsesQueue('gw-wait'), identity: null },
      };
    },
  };
  return w;
}

const response = (id: string, text: string): ResponseFrame => ({
  v: 1,
  type: 'RESPONSE',
  id,
  sentAt: Date.now(),
  payload: { status: 200, headers: {}, body: new TextEncoder().encode(text), instanceId: 'elsewhere' },
});

const test = suite('run once across instances: a REQUEST another instance holds');

test('is not run while the claim is held, and the RESPONSE the other run stores is replayed', async () => {
  const w = await world();
  const { store, frame, b } = await w.waitingOnForeignClaim();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(w.runs, [], 'not run while another instance holds the claim');
  await store.answer(frame.id, 'elsewhere', encodeFrame(response(frame.id, 'the first run')), 5_000);
  await eventually(async () => (await w.take()) === 1, { within: 5_000, what: 'the replayed RESPONSE' });
  assert.equal(w.bodies, ['the first run']);
  assert.equal(w.runs, [], 'never run here');
  assert.is(b.metrics().runOnce?.sharedReplays, 1);
  await b.close();
  await w.factory.close();
});

test('is run here once the other instance drops its claim (its run ended without an answer)', async () => {
  const w = await world();
  const { store, frame, b } = await w.waitingOnForeignClaim();
  await store.abandon(frame.id, 'elsewhere');
  await eventually(async () => (await w.take()) === 1, { within: 5_000, what: 'the RESPONSE of the run here' });
  assert.equal(w.runs, ['b']);
  assert.equal(w.bodies, ['run by b']);
  const stored = await store.claim(frame.id, 'someone', 5_000);
  assert.is(stored.state, 'answered', 'the run here stored its answer for later redeliveries');
  await b.close();
  await w.factory.close();
});

test('is released, not dropped, when the waiting instance closes: another instance gets it', async () => {
  const w = await world();
  const { store, frame, b } = await w.waitingOnForeignClaim();
  await b.goodbye();
  await b.close();
  assert.equal(w.runs, []);
  await store.abandon(frame.id, 'elsewhere');
  const c = await w.instance('c');
  await eventually(async () => (await w.take()) === 1, { within: 5_000, what: 'instance c to run the released REQUEST' });
  assert.equal(w.runs, ['c']);
  await c.close();
  await w.factory.close();
});

test.run();
