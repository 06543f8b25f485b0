/** Enqueue, lease, ack: the basic round trip. */
import * as assert from 'uvu/assert';
import { ERROR_CODES } from '../errors.js';
import type { KitContext } from './context.js';
import { expectCode, within } from './wait.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('enqueue, lease, ack');

  test('enqueue returns an id and lease delivers the message with attempt 1, its headers and enqueuedAt', async () => {
    const q = (await ctx.factory()).queue<{ n: number }>(ctx.queueName());
    const id = await q.enqueue({ n: 1 }, { headers: { 'x-kind': 'first' } });
    assert.type(id, 'string');
    assert.ok(id.length > 0, 'the id is not empty');
    const [lease] = await ctx.leaseExactly(q, 1, 'the enqueued message');
    assert.is(lease!.id, id);
    assert.equal(lease!.message, { n: 1 });
    assert.equal(lease!.headers, { 'x-kind': 'first' });
    assert.is(lease!.attempt, 1);
    assert.type(lease!.enqueuedAt, 'number');
    assert.ok(lease!.leaseExpiresAt > lease!.enqueuedAt, 'the lease expires after the enqueue time');
    await lease!.ack();
  });

  test('an acked message is gone: it is never leased again and depth returns to 0', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('a');
    const [lease] = await ctx.leaseExactly(q, 1, 'the message');
    await lease!.ack();
    await ctx.passTime(ctx.leaseMs + 50);
    await ctx.expectNothing(q, 'an acked message after its lease time');
    const stats = await q.stats();
    assert.is(stats.depth, 0, 'depth');
    assert.is(stats.inFlight, 0, 'inFlight');
  });

  test('enqueueBatch returns ids in order and every message is delivered once', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    const ids = await q.enqueueBatch([1, 2, 3, 4, 5].map((n) => ({ message: n })));
    assert.is(ids.length, 5);
    assert.is(new Set(ids).size, 5, 'ids are distinct');
    const leases = await ctx.leaseExactly(q, 5, 'the batch');
    assert.equal(leases.map((l) => l.message).sort(), [1, 2, 3, 4, 5]);
    for (const l of leases) assert.is(l.id, ids[l.message - 1], `id of message ${l.message}`);
    await Promise.all(leases.map((l) => l.ack()));
  });

  test('lease returns no more than max leases', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    await q.enqueueBatch([1, 2, 3, 4, 5, 6].map((n) => ({ message: n })));
    const first = await ctx.leaseExactly(q, 2, 'two of six');
    const more = await q.lease({ max: 2, blockMs: 0 });
    assert.ok(more.length <= 2, `lease({ max: 2 }) returned ${more.length}`);
    await Promise.all([...first, ...more].map((l) => l.ack()));
  });

  test('a blocking lease wakes up when a message is enqueued', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const c = q.consumer();
    await ctx.expectNothing(c, 'an empty queue');
    const waiting = c.lease({ max: 1, blockMs: 5_000 });
    await q.enqueue('wake');
    const got = await within(waiting, ctx.deadlineMs(), 'the blocked lease to return the new message');
    // A backend may return early with nothing; then the message must be there right after.
    const leases = got.length > 0 ? got : await ctx.leaseExactly(c, 1, 'the new message');
    assert.is(leases[0]!.message, 'wake');
    await leases[0]!.ack();
  });

  test('a message enqueued with delayMs is not delivered before its delay', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const delayMs = ctx.manual ? 5_000 : 1_500;
    await q.enqueue('later', { delayMs });
    await ctx.expectNothing(q, 'a message whose delay has not passed');
    assert.is((await q.stats()).delayed, 1, 'stats.delayed counts it');
    await ctx.passTime(delayMs + 100);
    const [lease] = await ctx.leaseExactly(q, 1, 'the delayed message after its delay');
    assert.is(lease!.message, 'later');
    await lease!.ack();
  });

  test('invalid queue options fail with SY_QUEUE_INVALID_OPTIONS naming each option and value', async () => {
    const f = await ctx.factory();
    const err = await expectCode(
      Promise.resolve().then(() => f.queue(ctx.queueName(), { leaseMs: -5, maxDeliveries: 0 })),
      ERROR_CODES.InvalidQueueOptions,
      'opening a queue with leaseMs -5 and maxDeliveries 0',
    );
    assert.match(err.message, /leaseMs/);
    assert.match(err.message, /-5/);
    assert.match(err.message, /maxDeliveries/);
  });

  test.run();
}
