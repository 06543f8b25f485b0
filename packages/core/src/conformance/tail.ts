/**
 * `tail` consumers (types.ts, ConsumptionMode): the queue's one reader gets every message once,
 * oldest first, with no lease. A backend without `capabilities.tailRead` gives a competing
 * consumer instead, so only the first behaviour runs for it.
 */
import * as assert from 'uvu/assert';
import { DEAD_LETTER_REASONS } from '../queue/dead-letter-reasons.js';
import type { Lease } from '../queue/types.js';
import type { KitContext } from './context.js';
import { eventually } from './wait.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('tail');

  test('a tail consumer reads every message once, oldest first, those enqueued before it opened included', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('a');
    await q.enqueue('b', { headers: { h: 'v' } });
    const tail = q.consumer({ mode: 'tail' });
    const first = await ctx.leaseExactly(tail, 2, 'the messages enqueued before the tail consumer opened');
    await q.enqueue('c');
    const later = await ctx.leaseExactly(tail, 1, 'the message enqueued after');
    const all: Lease<string>[] = [...first, ...later];
    assert.equal(all.map((l) => l.message), ['a', 'b', 'c']);
    assert.equal(all[1]!.headers, { h: 'v' }, 'headers');
    assert.equal(all.map((l) => l.attempt), [1, 1, 1]);
    for (const l of all) await l.ack();
    await ctx.expectNothing(tail, 'messages the tail consumer already read');
  });

  const stateless = 'a tail delivery holds nothing: renew and ack change nothing, and no one is handed it again after its lease time';
  if (ctx.requires(test, stateless, 'tailRead', 'the backend reads tail consumers with competing leases')) {
    test(stateless, async () => {
      const q = (await ctx.factory()).queue<string>(ctx.queueName());
      await q.enqueue('once');
      const tail = q.consumer({ mode: 'tail' });
      const [lease] = await ctx.leaseExactly(tail, 1, 'the message');
      await lease!.renew(ctx.leaseMs * 10);
      await ctx.passTime(ctx.leaseMs + 100);
      await ctx.expectNothing(tail, 'a tail delivery whose lease time passed (nothing is redelivered)');
      await lease!.ack();
      await tail.close();
      await eventually(async () => (await q.stats()).depth === 0 && (await q.stats()).inFlight === 0, 'a queue whose only message the tail consumer read to be empty', {
        within: ctx.deadlineMs(),
      });
    });
  }

  const released = 'a released tail delivery is dead-lettered with reason tail-released, never redelivered';
  if (ctx.requires(test, released, 'tailRead', 'the backend redelivers released messages of its competing stand-in')) {
    test(released, async () => {
      const q = (await ctx.factory()).queue<string>(ctx.queueName());
      await q.enqueue('no retry', { headers: { h: 'v' } });
      const tail = q.consumer({ mode: 'tail' });
      const [lease] = await ctx.leaseExactly(tail, 1, 'the message');
      await lease!.release({ delayMs: 0 });
      await ctx.expectNothing(tail, 'a released tail delivery');
      const [dead] = await q.deadLetters.list();
      assert.ok(dead !== undefined, 'a dead letter');
      assert.is(dead!.reason, DEAD_LETTER_REASONS.tailReleased);
      assert.is(dead!.message, 'no retry');
      assert.equal(dead!.headers, { h: 'v' });
      assert.is(dead!.originalId, lease!.id);
      assert.is(await q.deadLetters.replay(), 1, 'a tail dead letter replays like any other');
      const [again] = await ctx.leaseExactly(tail, 1, 'the replayed message');
      assert.is(again!.message, 'no retry');
    });
  }

  test('batches enqueued while a tail consumer reads arrive whole, in order, with distinct ids, and a lease never holds more than asked', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    const tail = q.consumer({ mode: 'tail' });
    await ctx.expectNothing(tail, 'an empty queue');
    const sent: number[] = [];
    const ids: string[] = [];
    // Several batches, time passing between them: a backend may start packing a batch into one
    // stored entry once it has seen the tail reader (packages/transport-valkey does).
    for (let b = 0; b < 4; b++) {
      const batch = Array.from({ length: 40 }, (_, i) => b * 40 + i);
      ids.push(...(await q.enqueueBatch(batch.map((message) => ({ message })))));
      sent.push(...batch);
      await ctx.passTime(100);
    }
    const got: Lease<number>[] = [];
    await eventually(async () => {
      const leases = await tail.lease({ max: 7, leaseMs: ctx.leaseMs, blockMs: 0 });
      assert.ok(leases.length <= 7, `a lease of at most 7 (got ${leases.length})`);
      got.push(...leases);
      return got.length >= sent.length;
    }, `${sent.length} messages (got ${got.length})`, { within: ctx.deadlineMs() });
    assert.equal(got.map((l) => l.message), sent);
    assert.is(new Set(got.map((l) => l.id)).size, sent.length, 'one id per message');
    assert.equal(got.map((l) => l.id), ids, 'each delivery has the id its enqueue returned');
    await ctx.expectNothing(tail, 'batches already read');
  });

  test('subscribe() with mode tail handles every message, in order', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    const seen: number[] = [];
    const sub = q.subscribe(
      async (n) => {
        seen.push(n);
      },
      { mode: 'tail', concurrency: 1, blockMs: 50 },
    );
    for (let i = 0; i < 20; i++) await q.enqueue(i);
    await eventually(() => seen.length >= 20, `20 messages handled (got ${seen.length})`, { within: ctx.deadlineMs() });
    await sub.close();
    assert.equal(seen, Array.from({ length: 20 }, (_, i) => i));
  });

  test.run();
}
