/**
 * The replay cache keeps a RESPONSE until its REQUEST's ack is confirmed (docs/messaging-transport.md,
 * the instance's per-REQUEST steps): over the memory backend whose first ack fails, the REQUEST is
 * delivered again once its lease runs out, and that delivery replays the stored RESPONSE instead of
 * running the handler a second time; its own ack then goes through.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendUnavailableError, createQueueFactory, frameCodec, newFrameId, systemClock, type Frame, type RequestFrame } from '@switchyard/core';
import { MessagingInstanceTransport, gatewayResponsesQueue, serviceRequestsQueue } from '@switchyard/core/internal';
import { createMemoryBackend } from '@switchyard/transport-memory';
import { createMicroservice } from '@switchyard/microservice';
import { wrapBackend } from '../harness/backend-wrapper.js';
import { eventually, within } from '../harness/wait.js';

const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const test = suite('replay cache: an answered REQUEST whose ack failed');

test('is delivered again after its lease and replays the stored RESPONSE: one run, two equal RESPONSEs', async () => {
  const requestsName = serviceRequestsQueue('echo', '1.0.0');
  let failedAcks = 0;
  const backend = wrapBackend(createMemoryBackend({ namespace: `t-${newFrameId()}` }, { clock: systemClock }), {
    // The instances' group reads the requests queue: its first ack is lost.
    consumer: (inner, spec) => ({
      ack: async (leases) => {
        if (spec.group === 'instances' && failedAcks === 0) {
          failedAcks += 1;
          throw new BackendUnavailableError('memory', requestsName, 'injected: the first ack of a REQUEST is lost');
        }
        return inner.ack(leases);
      },
    }),
  });
  const factory = createQueueFactory(backend, { clock: systemClock });
  const transport = new MessagingInstanceTransport({ factory, options: { blockMs: 100, requestLeaseMs: 300 } }, { clock: systemClock, logger: quietLogger });
  let ran = 0;
  const svc = createMicroservice({ name: 'echo', version: '1.0.0', instanceId: 'echo-a', transport, clock: systemClock, heartbeatIntervalMs: 60_000 });
  svc.get('/count', async () => {
    ran += 1;
    return { status: 200, json: { run: ran } };
  });
  await svc.start();
  try {
    const requests = factory.queue<Frame>(requestsName, { codec: frameCodec, leaseMs: 300 });
    const responsesName = gatewayResponsesQueue('gw-replay');
    const responses = factory.queue<Frame>(responsesName, { codec: frameCodec });
    const frame: RequestFrame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: systemClock.now(),
      payload: { method: 'GET', path: '/count', query: '', headers: {}, body: new Uint8Array(0), deadline: systemClock.now() + 30_000, replyTo: responsesName, identity: null },
    };
    await requests.enqueue(frame);
    const got: Frame[] = [];
    await eventually(
      async () => {
        for (const lease of await responses.lease({ max: 10, blockMs: 100 })) {
          got.push(lease.message);
          await lease.ack();
        }
        return got.length >= 2;
      },
      { within: 10_000, what: 'the RESPONSE and its replay' },
    );
    assert.is(failedAcks, 1, 'the first ack failed');
    assert.is(ran, 1, 'the handler ran once');
    assert.is(transport.metrics().replayed, 1);
    const bodies = got.map((f) => (f.type === 'RESPONSE' ? text(f.payload.body) : ''));
    assert.equal(bodies, ['{"run":1}', '{"run":1}'], 'the redelivery got the stored RESPONSE');
    await eventually(
      async () => {
        const st = await requests.stats();
        return st.depth + st.inFlight === 0;
      },
      { within: 10_000, what: 'the redelivery to be acked' },
    );
    assert.is((await within(requests.stats(), 5_000, 'stats')).deadLetters, 0);
  } finally {
    await svc.stop();
    await factory.close();
  }
});

test.run();
