/** Lease expiry and renewal: an unacked lease comes back with attempt + 1; renew keeps it. */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('lease expiry');

  test('a lease that expires is redelivered to another consumer with attempt + 1', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('slow');
    const a = q.consumer();
    const b = q.consumer();
    const [first] = await ctx.leaseExactly(a, 1, 'the message by a');
    assert.is(first!.attempt, 1);
    await ctx.passTime(ctx.leaseMs + 100);
    const [second] = await ctx.leaseExactly(b, 1, 'the expired message by b');
    assert.is(second!.message, 'slow');
    assert.is(second!.attempt, 2, 'attempt after one expiry');
    await second!.ack();
  });

  test('a lease is not redelivered before it expires', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('held');
    const a = q.consumer();
    const b = q.consumer();
    const [lease] = await ctx.leaseExactly(a, 1, 'the message by a');
    await ctx.passTime(Math.floor(ctx.leaseMs / 4));
    await ctx.expectNothing(b, 'a message whose lease has not expired');
    await lease!.ack();
  });

  test('renew keeps the lease past its original expiry and moves leaseExpiresAt forward', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('long');
    const a = q.consumer();
    const b = q.consumer();
    const [lease] = await ctx.leaseExactly(a, 1, 'the message by a');
    const before = lease!.leaseExpiresAt;
    await ctx.passTime(Math.floor(ctx.leaseMs * 0.5));
    await lease!.renew(ctx.leaseMs * 2);
    assert.ok(lease!.leaseExpiresAt > before, `leaseExpiresAt moved forward (${before} -> ${lease!.leaseExpiresAt})`);
    await ctx.passTime(Math.floor(ctx.leaseMs * 0.8));
    await ctx.expectNothing(b, 'a renewed lease past its original expiry');
    await lease!.ack();
    await ctx.passTime(ctx.leaseMs * 2 + 100);
    await ctx.expectNothing(b, 'a message that was acked after renewing');
  });

  test('a renewed lease still expires when renewals stop, and comes back with attempt + 1', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('abandoned');
    const a = q.consumer();
    const b = q.consumer();
    const [lease] = await ctx.leaseExactly(a, 1, 'the message by a');
    await lease!.renew(ctx.leaseMs);
    await ctx.passTime(ctx.leaseMs + 100);
    const [again] = await ctx.leaseExactly(b, 1, 'the abandoned message by b');
    assert.is(again!.attempt, 2);
    await again!.ack();
  });

  test.run();
}
