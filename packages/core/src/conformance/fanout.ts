/** Fan-out: every subscriber gets every message. */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';
import { eventually } from './wait.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('fan-out');

  test('every fan-out consumer gets every message', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    const a = q.consumer({ mode: 'fanout' });
    const b = q.consumer({ mode: 'fanout' });
    await ctx.expectNothing(a, 'a new fan-out consumer');
    await ctx.expectNothing(b, 'a new fan-out consumer');
    await q.enqueueBatch([1, 2, 3].map((message) => ({ message })));
    const gotA = await ctx.leaseExactly(a, 3, 'all three messages by fan-out consumer a');
    const gotB = await ctx.leaseExactly(b, 3, 'all three messages by fan-out consumer b');
    assert.equal(gotA.map((l) => l.message).sort(), [1, 2, 3]);
    assert.equal(gotB.map((l) => l.message).sort(), [1, 2, 3]);
    await Promise.all([...gotA, ...gotB].map((l) => l.ack()));
    await ctx.expectNothing(a, 'fan-out consumer a after acking everything');
  });

  test('a fan-out consumer sees only messages enqueued after it was created', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('before');
    const c = q.consumer({ mode: 'fanout' });
    await ctx.expectNothing(c, 'a message enqueued before the consumer existed');
    await q.enqueue('after');
    const got = await ctx.leaseExactly(c, 1, 'the message enqueued after');
    assert.is(got[0]!.message, 'after');
    await got[0]!.ack();
  });

  test('a closed fan-out consumer does not hold back the others, and acks by one do not remove messages for another', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const a = q.consumer({ mode: 'fanout' });
    const b = q.consumer({ mode: 'fanout' });
    await ctx.expectNothing(a, 'a new fan-out consumer');
    await ctx.expectNothing(b, 'a new fan-out consumer');
    await q.enqueue('one');
    const [la] = await ctx.leaseExactly(a, 1, 'the message by a');
    await la!.ack();
    await a.close();
    await q.enqueue('two');
    const got = await ctx.leaseExactly(b, 2, 'both messages by b');
    assert.equal(got.map((l) => l.message).sort(), ['one', 'two']);
    await Promise.all(got.map((l) => l.ack()));
  });

  test('fan-out subscribe() delivers every message to every subscription', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    const seen: number[][] = [[], []];
    const subs = seen.map((list) => q.subscribe(async (n) => void list.push(n), { mode: 'fanout', blockMs: 100 }));
    // A fan-out subscription reads from where it joined; give it a moment to join, then enqueue.
    await ctx.passTime(ctx.manual ? 0 : 200);
    await q.enqueueBatch([1, 2, 3, 4].map((message) => ({ message })));
    await eventually(() => seen.every((l) => l.length >= 4), `both subscriptions to receive 4 messages (got ${seen.map((l) => l.length)})`, {
      within: ctx.deadlineMs(),
    });
    for (const list of seen) assert.equal([...list].sort(), [1, 2, 3, 4]);
    await Promise.all(subs.map((s) => s.close()));
  });

  test.run();
}
