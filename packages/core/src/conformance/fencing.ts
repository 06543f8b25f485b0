/** Fencing: settling a lease that expired and was taken fails with the lease-lost code and changes nothing. */
import * as assert from 'uvu/assert';
import { ERROR_CODES } from '../errors.js';
import type { Lease, MessageQueue } from '../queue/types.js';
import type { KitContext } from './context.js';
import { expectCode } from './wait.js';

const LOST = ERROR_CODES.LeaseLost;

export function register(ctx: KitContext): void {
  const test = ctx.suite('fencing');

  /** a leases, the lease expires, b takes it: returns a's stale lease and b's live one. */
  async function stolen(q: MessageQueue<string>): Promise<{ stale: Lease<string>; live: Lease<string> }> {
    await q.enqueue('contended');
    const a = q.consumer();
    const b = q.consumer();
    const [stale] = await ctx.leaseExactly(a, 1, 'the message by a');
    await ctx.passTime(ctx.leaseMs + 100);
    const [live] = await ctx.leaseExactly(b, 1, 'the expired message by b');
    return { stale: stale!, live: live! };
  }

  test('ack after the lease was taken fails with SY_QUEUE_LEASE_LOST and changes nothing', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const { stale, live } = await stolen(q);
    await expectCode(stale.ack(), LOST, 'the stale ack');
    assert.is((await q.stats()).inFlight, 1, 'the message is still leased by b');
    await live.ack();
    assert.is((await q.stats()).depth, 0);
  });

  test('renew after the lease was taken fails with SY_QUEUE_LEASE_LOST and does not extend the new lease', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const { stale, live } = await stolen(q);
    await expectCode(stale.renew(ctx.leaseMs * 10), LOST, 'the stale renew');
    await ctx.passTime(ctx.leaseMs + 100);
    // b's lease was not extended by a's renew, so it expires on its own schedule.
    const c = q.consumer();
    const [again] = await ctx.leaseExactly(c, 1, 'the message after b\'s lease expired');
    assert.is(again!.attempt, 3);
    await again!.ack();
    await expectCode(live.ack(), LOST, 'b\'s ack after c took it');
  });

  test('release after the lease was taken fails with SY_QUEUE_LEASE_LOST and does not redeliver', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const { stale, live } = await stolen(q);
    await expectCode(stale.release(), LOST, 'the stale release');
    await ctx.expectNothing(q.consumer(), 'a message still leased by b after a stale release');
    await live.ack();
  });

  test('deadLetter after the lease was taken fails with SY_QUEUE_LEASE_LOST and dead-letters nothing', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const { stale, live } = await stolen(q);
    await expectCode(stale.deadLetter('too late'), LOST, 'the stale deadLetter');
    assert.is(await q.deadLetters.count(), 0);
    await live.ack();
  });

  test('the same consumer re-leasing an expired message fences its own older delivery by attempt', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('twice');
    const a = q.consumer();
    const [old] = await ctx.leaseExactly(a, 1, 'the first delivery');
    await ctx.passTime(ctx.leaseMs + 100);
    const [fresh] = await ctx.leaseExactly(a, 1, 'the second delivery to the same consumer');
    assert.is(fresh!.attempt, 2);
    await expectCode(old!.ack(), LOST, 'ack of the older delivery');
    await fresh!.ack();
  });

  test('a lease settles once: release after ack fails with SY_QUEUE_LEASE_LOST and the message stays acked', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('once');
    const [lease] = await ctx.leaseExactly(q, 1, 'the message');
    await lease!.ack();
    await lease!.ack(); // the same verb again is harmless
    await expectCode(lease!.release(), LOST, 'release after ack');
    await ctx.expectNothing(q, 'an acked message');
  });

  test.run();
}
