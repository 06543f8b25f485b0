/** The dead-letter queue: maxDeliveries, deadLetter(reason), list, count, replay, purge. */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('dead letters');

  test('a message that exhausts maxDeliveries goes to the dead-letter queue with its reason, attempts, payload, headers and source', async () => {
    const name = ctx.queueName();
    const q = (await ctx.factory()).queue<{ order: number }>(name, { maxDeliveries: 2 });
    const id = await q.enqueue({ order: 7 }, { headers: { tenant: 'acme' } });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const [lease] = await ctx.leaseExactly(q, 1, `delivery ${attempt}`);
      assert.is(lease!.attempt, attempt);
      await lease!.release();
    }
    // The third delivery would exceed maxDeliveries: core dead-letters it instead of handing it out.
    await ctx.expectNothing(q, 'a message past maxDeliveries');
    const letters = await q.deadLetters.list();
    assert.is(letters.length, 1, 'one dead letter');
    const dl = letters[0]!;
    assert.is(dl.reason, 'max-deliveries');
    assert.is(dl.originalId, id);
    assert.is(dl.sourceQueue, name);
    assert.equal(dl.message, { order: 7 });
    assert.equal(JSON.parse(new TextDecoder().decode(dl.payload)), { order: 7 }, 'original payload bytes');
    assert.equal(dl.headers, { tenant: 'acme' });
    assert.ok(dl.attempts >= 2, `attempts (${dl.attempts}) counts the deliveries made`);
    assert.ok(dl.deadLetteredAt >= dl.enqueuedAt, 'deadLetteredAt is not before enqueuedAt');
    assert.is(await q.deadLetters.count(), 1);
    const stats = await q.stats();
    assert.is(stats.deadLetters, 1, 'stats.deadLetters');
    assert.is(stats.depth, 0, 'stats.depth');
  });

  test('an expired lease also counts as a delivery toward maxDeliveries', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName(), { maxDeliveries: 1 });
    await q.enqueue('crashy');
    await ctx.leaseExactly(q.consumer(), 1, 'the only delivery');
    await ctx.passTime(ctx.leaseMs + 100);
    await ctx.expectNothing(q.consumer(), 'a message whose only delivery expired');
    const [dl] = await q.deadLetters.list();
    assert.is(dl?.reason, 'max-deliveries');
  });

  test('deadLetter(reason) moves the message to the dead-letter queue with that reason', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('bad order');
    const [lease] = await ctx.leaseExactly(q, 1, 'the message');
    await lease!.deadLetter('validation failed');
    const [dl] = await q.deadLetters.list();
    assert.is(dl?.reason, 'validation failed');
    assert.is(dl?.message, 'bad order');
    assert.is(dl?.attempts, 1);
    await ctx.expectNothing(q, 'a dead-lettered message');
  });

  test("the dead letter stores the codec's redacted copy in place of the payload, whoever dead-letters it", async () => {
    const codec = {
      encode: (text: string): Uint8Array => new TextEncoder().encode(text),
      decode: (bytes: Uint8Array): string => new TextDecoder().decode(bytes),
      redactForDeadLetter: (bytes: Uint8Array): Uint8Array => new TextEncoder().encode(new TextDecoder().decode(bytes).replace(/secret/g, '******')),
    };
    const q = (await ctx.factory()).queue<string>(ctx.queueName(), { codec, maxDeliveries: 1 });
    await q.enqueue('token=secret handled');
    await q.enqueue('token=secret exhausted', { headers: { tenant: 'acme' } });
    const [first] = await ctx.leaseExactly(q, 1, 'the first message');
    await first!.deadLetter('handler refused');
    const [second] = await ctx.leaseExactly(q, 1, 'the second message');
    await second!.release();
    await ctx.expectNothing(q, 'a message past maxDeliveries');
    const letters = await q.deadLetters.list();
    assert.equal(letters.map((dl) => [dl.reason, dl.message]), [
      ['handler refused', 'token=****** handled'],
      ['max-deliveries', 'token=****** exhausted'],
    ]);
    assert.equal(letters[1]?.headers, { tenant: 'acme' }, 'headers are kept');
  });

  test('dead letters list oldest first, page with limit and after, and count', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    for (let n = 1; n <= 5; n++) {
      await q.enqueue(n);
      const [lease] = await ctx.leaseExactly(q, 1, `message ${n}`);
      await lease!.deadLetter(`reason ${n}`);
    }
    assert.is(await q.deadLetters.count(), 5);
    const page1 = await q.deadLetters.list({ limit: 2 });
    assert.equal(page1.map((d) => d.message), [1, 2]);
    const page2 = await q.deadLetters.list({ limit: 2, after: page1[1]!.id });
    assert.equal(page2.map((d) => d.message), [3, 4]);
    const page3 = await q.deadLetters.list({ limit: 2, after: page2[1]!.id });
    assert.equal(page3.map((d) => d.message), [5]);
  });

  test('replay moves dead letters back to the source queue, where they are delivered again', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueueBatch(['x', 'y', 'z'].map((message) => ({ message })));
    const leases = await ctx.leaseExactly(q, 3, 'three messages');
    for (const l of leases) await l.deadLetter('parked');
    const all = await q.deadLetters.list();
    const x = all.find((d) => d.message === 'x')!;
    assert.is(await q.deadLetters.replay([x.id]), 1, 'replay one by id');
    assert.is(await q.deadLetters.count(), 2);
    const [again] = await ctx.leaseExactly(q, 1, 'the replayed message');
    assert.is(again!.message, 'x');
    await again!.ack();
    assert.is(await q.deadLetters.replay(), 2, 'replay all');
    assert.is(await q.deadLetters.count(), 0);
    const rest = await ctx.leaseExactly(q, 2, 'the other replayed messages');
    assert.equal(rest.map((l) => l.message).sort(), ['y', 'z']);
    await Promise.all(rest.map((l) => l.ack()));
  });

  test('purge deletes dead letters by id or all of them, and returns how many', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    await q.enqueueBatch([1, 2, 3].map((message) => ({ message })));
    for (const l of await ctx.leaseExactly(q, 3, 'three messages')) await l.deadLetter('junk');
    const [first] = await q.deadLetters.list({ limit: 1 });
    assert.is(await q.deadLetters.purge([first!.id]), 1);
    assert.is(await q.deadLetters.count(), 2);
    assert.is(await q.deadLetters.purge(), 2);
    assert.is(await q.deadLetters.count(), 0);
    assert.equal(await q.deadLetters.list(), []);
  });

  test.run();
}
