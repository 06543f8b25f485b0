/** Idempotent enqueue: a second enqueue with the same key inside the window returns the first id and stores nothing. */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('idempotency');

  test('a second enqueue with the same idempotency key inside the window returns the first id and stores nothing', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const first = await q.enqueue('charge', { idempotencyKey: 'order-1' });
    const second = await q.enqueue('charge again', { idempotencyKey: 'order-1' });
    assert.is(second, first);
    assert.is((await q.stats()).depth, 1, 'one message stored');
    const [lease] = await ctx.leaseExactly(q, 1, 'the one message');
    assert.is(lease!.message, 'charge');
    await lease!.ack();
    await ctx.expectNothing(q, 'a duplicate enqueue');
  });

  test('the same key twice in one batch stores one message', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const [a, b, c] = await Promise.all([
      q.enqueue('p', { idempotencyKey: 'k' }),
      q.enqueue('p', { idempotencyKey: 'k' }),
      q.enqueue('other', { idempotencyKey: 'k2' }),
    ]);
    assert.is(a, b);
    assert.is.not(a, c);
    assert.is((await q.stats()).depth, 2);
  });

  test('after the dedup window the same key stores a new message', async () => {
    const dedupWindowMs = ctx.manual ? 10_000 : 1_000;
    const q = (await ctx.factory()).queue<string>(ctx.queueName(), { dedupWindowMs });
    const first = await q.enqueue('once', { idempotencyKey: 'k' });
    await ctx.passTime(dedupWindowMs + 200);
    const second = await q.enqueue('twice', { idempotencyKey: 'k' });
    assert.is.not(second, first);
    assert.is((await q.stats()).depth, 2);
  });

  test.run();
}
