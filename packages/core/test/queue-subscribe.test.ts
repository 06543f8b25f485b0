import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemoryBackend } from '@switchyard/transport-memory';
import { ManualClock } from '../src/clock.js';
import { BackendUnavailableError, ERROR_CODES, LeaseLostError } from '../src/errors.js';
import { createQueueFactory } from '../src/queue/factory.js';
import type { MessageQueueFactory } from '../src/queue/types.js';
import { eventually, Latch, within } from '../../../test/harness/wait.js';
import { instrument, newRecorder, type Recorder } from './fixtures/instrumented-backend.js';
import { wrapBackend } from '../../../test/harness/backend-wrapper.js';

interface World {
  clock: ManualClock;
  rec: Recorder;
  factory: MessageQueueFactory;
}

function world(): World {
  const clock = new ManualClock();
  const rec = newRecorder();
  const factory = createQueueFactory(instrument(createMemoryBackend({}, { clock }), rec), { clock, consumerNamePrefix: 'unit' });
  return { clock, rec, factory };
}

class Gate {
  open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
}

const sub = suite('subscribe loop');

sub('leases only as many messages as it has free slots', async () => {
  const { rec, factory } = world();
  const q = factory.queue<number>('slots');
  await q.enqueueBatch(Array.from({ length: 6 }, (_, i) => ({ message: i })));
  const gates = Array.from({ length: 6 }, () => new Gate());
  const started = new Latch(4, 'four handlers started');
  const s = q.subscribe(async (n) => {
    started.count();
    await gates[n]!.opened;
  }, { concurrency: 4 });
  await started.wait();
  assert.equal(rec.leaseMax, [4], 'one lease call for four free slots');
  gates[0]!.open();
  await eventually(() => rec.leaseMax.length >= 2, { what: 'a second lease call' });
  assert.is(rec.leaseMax[1], 1, 'one slot freed, one message asked for');
  for (const g of gates) g.open();
  await s.close();
  await factory.close();
});

sub('acks from handlers that finish in the same turn reach the backend as one batch', async () => {
  const { rec, factory } = world();
  const q = factory.queue<number>('acks');
  await q.enqueueBatch(Array.from({ length: 20 }, (_, i) => ({ message: i })));
  const gate = new Gate();
  const started = new Latch(20, 'twenty handlers started');
  const s = q.subscribe(async () => {
    started.count();
    await gate.opened;
  }, { concurrency: 20 });
  await started.wait();
  gate.open();
  await eventually(async () => (await q.stats()).inFlight === 0, { what: 'all twenty acked' });
  assert.equal(rec.ackBatches, [20]);
  await s.close();
  await factory.close();
});

sub('a handler that returns nothing is acked at once, its acks batched like the others', async () => {
  const { rec, factory } = world();
  const q = factory.queue<number>('sync-acks');
  await q.enqueueBatch(Array.from({ length: 10 }, (_, i) => ({ message: i })));
  const seen: number[] = [];
  const s = q.subscribe((n) => {
    seen.push(n);
  }, { concurrency: 10 });
  await eventually(async () => (await q.stats()).inFlight === 0 && seen.length === 10, { what: 'all ten handled and acked' });
  assert.equal(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(rec.ackBatches, [10], 'one backend ack for the ten');
  assert.is((await q.stats()).depth, 0);
  await s.close();
  await factory.close();
});

sub('a tail subscription whose handler returns nothing reads on, counts nothing outstanding, and closes', async () => {
  const { rec, factory } = world();
  const q = factory.queue<number>('sync-tail');
  const seen: number[] = [];
  const s = q.subscribe((n) => {
    seen.push(n);
  }, { mode: 'tail', group: 'reader', concurrency: 4 });
  await s.opened;
  for (let i = 0; i < 9; i++) await q.enqueue(i);
  await eventually(() => seen.length === 9, { what: 'nine read' });
  assert.equal(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(rec.ackBatches, [], 'a tail delivery tells the backend nothing');
  assert.is(await within(s.close(), 5_000, 'close with nothing outstanding'), undefined);
  await factory.close();
});

sub('close() waits until the backend answers an ack that a handler made itself', async () => {
  const clock = new ManualClock();
  const ackGate = new Gate();
  let acked = 0;
  const backend = wrapBackend(createMemoryBackend({}, { clock }), {
    consumer: (c) => ({
      ack: async (leases) => {
        await ackGate.opened;
        acked += leases.length;
        return c.ack(leases);
      },
    }),
  });
  const factory = createQueueFactory(backend, { clock });
  const q = factory.queue<number>('self-ack');
  await q.enqueue(1);
  const handled = new Latch(1, 'the handler ran');
  const s = q.subscribe(async (_n, delivery) => {
    void delivery.ack();
    handled.count();
  });
  await handled.wait();
  let closed = false;
  const closing = s.close().then(() => (closed = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(closed, false, 'close() still waits for the unanswered ack');
  ackGate.open();
  await within(closing, 5_000, 'close() once the ack was answered');
  assert.is(acked, 1);
  assert.is((await q.stats()).inFlight, 0);
  await factory.close();
});

sub('enqueue calls made in the same turn reach the backend as one batch, ids in call order', async () => {
  const { rec, factory } = world();
  const q = factory.queue<number>('batch');
  const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => q.enqueue(i)));
  assert.equal(rec.enqueueBatches, [50]);
  const leases = await q.lease({ max: 50 });
  assert.equal(leases.map((l) => l.id), ids);
  await factory.close();
});

sub('a running handler has its lease renewed from the Clock once a third of leaseMs has passed, and never loses it', async () => {
  const { clock, rec, factory } = world();
  const q = factory.queue<string>('renew', { leaseMs: 3_000 });
  await q.enqueue('long');
  const gate = new Gate();
  const started = new Latch(1, 'the handler started');
  const attempts: number[] = [];
  const s = q.subscribe(async (_m, d) => {
    attempts.push(d.attempt);
    started.count();
    await gate.opened;
  });
  await started.wait();
  await clock.advance(900);
  assert.is(rec.renewals, 0, 'no renewal before a third of the lease');
  await clock.advance(200);
  assert.is(rec.renewals, 1, 'renewed once a third of the lease had passed');
  for (let i = 0; i < 20; i++) await clock.advance(500);
  assert.ok(rec.renewals >= 5, `kept renewing (${rec.renewals})`);
  assert.equal(await q.consumer().lease({ max: 1 }), [], 'nobody else can lease it');
  gate.open();
  await eventually(async () => (await q.stats()).depth + (await q.stats()).inFlight === 0, { what: 'the ack' });
  assert.equal(attempts, [1]);
  await s.close();
  await factory.close();
});

sub('a lease lost while its handler runs aborts the delivery signal', async () => {
  const { clock, rec, factory } = world();
  const q = factory.queue<string>('lost', { leaseMs: 3_000 });
  await q.enqueue('x');
  const aborted = new Latch(1, 'the delivery signal to abort');
  let reason: unknown;
  rec.renewError = () => new LeaseLostError('lost', 'x');
  const started = new Latch(1, 'the handler started');
  const s = q.subscribe(async (_m, d) => {
    started.count();
    d.signal.addEventListener('abort', () => {
      reason = d.signal.reason;
      aborted.count();
    });
    await new Promise<void>((resolve) => d.signal.addEventListener('abort', () => resolve()));
  });
  await started.wait();
  await clock.advance(1_100);
  await aborted.wait();
  assert.is((reason as { code?: string }).code, ERROR_CODES.LeaseLost);
  rec.renewError = undefined;
  await s.close();
  await factory.close();
});

sub('stopping waits for running handlers up to drainTimeoutMs, then releases their messages for redelivery', async () => {
  const { clock, factory } = world();
  const q = factory.queue<string>('drain', { leaseMs: 3_000 });
  await q.enqueueBatch([{ message: 'quick' }, { message: 'stuck' }]);
  const quickGate = new Gate();
  const started = new Latch(2, 'both handlers started');
  let stuckSignal: AbortSignal | undefined;
  const handled: string[] = [];
  const s = q.subscribe(
    async (m, d) => {
      started.count();
      if (m === 'stuck') {
        stuckSignal = d.signal;
        await new Promise<never>(() => undefined); // ignores its stop for good
      }
      await quickGate.opened;
      handled.push(m);
    },
    { concurrency: 2, drainTimeoutMs: 5_000 },
  );
  await started.wait();
  let closed = false;
  const closing = s.close().then(() => (closed = true));
  quickGate.open();
  await eventually(() => handled.length === 1, { what: 'the quick handler to finish' });
  await clock.advance(4_000);
  assert.not.ok(closed, 'still draining before drainTimeoutMs: the stuck handler keeps its lease (renewed)');
  assert.equal(await q.consumer().lease({ max: 2 }), [], 'nothing to lease: quick was acked, stuck is still held');
  await clock.advance(1_100);
  await within(closing, 5_000, 'closed after the drain timeout');
  assert.ok(stuckSignal?.aborted, "the stuck handler's delivery signal is aborted");
  const again = await q.consumer().lease({ max: 2 });
  assert.equal(again.map((l) => [l.message, l.attempt]), [['stuck', 2]], 'the stuck message is redelivered at once, and only it');
  await again[0]!.ack();
  await factory.close();
});

sub('drainTimeoutMs must be an integer ≥ 0', async () => {
  const { factory } = world();
  const q = factory.queue<string>('drain-arg');
  assert.throws(() => q.subscribe(async () => undefined, { drainTimeoutMs: -1 }), /subscribe drainTimeoutMs/);
  await factory.close();
});

sub('a backend failure while leasing is retried with backoff and the loop keeps going', async () => {
  const { clock, rec, factory } = world();
  rec.failLeases = 3;
  rec.leaseError = () => new BackendUnavailableError('memory', 'down', 'injected outage');
  const q = factory.queue<string>('outage');
  await q.enqueue('after the outage');
  const handled = new Latch(1, 'the message handled after the outage');
  const s = q.subscribe(async () => handled.count());
  await eventually(() => rec.leaseMax.length === 1, { what: 'the first failed lease' });
  await clock.advance(99);
  assert.is(rec.leaseMax.length, 1, 'no retry before the 100 ms backoff');
  await clock.advance(1);
  await eventually(() => rec.leaseMax.length === 2, { what: 'the first retry' });
  await clock.advance(200);
  await eventually(() => rec.leaseMax.length === 3, { what: 'the second retry, after 200 ms' });
  await clock.advance(400);
  await handled.wait();
  assert.not.ok(s.isClosed(), 'the subscription is still running');
  await s.close();
  assert.is(await s.closed, undefined, 'an outage is not fatal');
  await factory.close();
});

sub('a subscription whose queue closes under it ends cleanly: closed resolves, it does not reject', async () => {
  const { factory } = world();
  const q = factory.queue<string>('closing');
  const s = q.subscribe(async () => undefined);
  await q.close();
  assert.is(await within(s.closed, 5_000, 'closed to resolve'), undefined);
  assert.ok(s.isClosed());
  await factory.close();
});

sub.run();

const identity = suite('consumer identity and arguments');

identity('every consumer gets its own name: <prefix>-<pid>-<random>', async () => {
  const { rec, factory } = world();
  const q = factory.queue<string>('names');
  q.consumer();
  q.consumer();
  q.consumer({ mode: 'fanout' });
  const names = rec.consumers.map((c) => c.consumerName);
  assert.is(new Set(names).size, 3, names.join(', '));
  for (const n of names) assert.match(n, new RegExp(`^unit-${process.pid}-[0-9a-f]{12}$`));
  await factory.close();
});

identity('bad enqueue and lease arguments fail with SY_INVALID_ARGUMENT naming the argument', async () => {
  const { factory } = world();
  const q = factory.queue<string>('args');
  const expectArg = async (p: Promise<unknown>, name: RegExp): Promise<void> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    assert.ok(err, 'should have failed');
    assert.is(err!.code, ERROR_CODES.InvalidArgument);
    assert.match(err!.message, name);
  };
  await expectArg(q.enqueue('x', { delayMs: -1 }), /delayMs/);
  await expectArg(q.enqueue('x', { idempotencyKey: '' }), /idempotencyKey/);
  await expectArg(q.lease({ max: 0 }), /max/);
  await expectArg(Promise.resolve().then(() => q.subscribe(async () => undefined, { concurrency: 0 })), /concurrency/);
  await factory.close();
});

identity('a queue name that ends with the dead-letter suffix is refused', async () => {
  const { factory } = world();
  assert.throws(() => factory.queue('orders:dlq'), /deadLetterSuffix/);
  await factory.close();
});

identity.run();
