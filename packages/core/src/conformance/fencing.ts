/**
 * Fencing: renewing, releasing or dead-lettering a lease that expired and was taken fails with the
 * lease-lost code and changes nothing. An ack is not fenced that way (backend.ts): the work is done,
 * so a stale ack settles the message while it is still in the queue, and the current holder's
 * settle then fails with lease-lost; an ack of a message already settled fails with lease-lost.
 */
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

  test('a stale ack settles the message (the work is done); the new holder\'s ack then fails with SY_QUEUE_LEASE_LOST', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const { stale, live } = await stolen(q);
    await stale.ack();
    const stats = await q.stats();
    assert.is(stats.inFlight, 0, 'nothing leased any more');
    assert.is(stats.depth, 0, 'nothing waiting');
    await expectCode(live.ack(), LOST, 'the new holder\'s ack after the stale ack');
    await expectCode(live.renew(), LOST, 'the new holder\'s renew after the stale ack');
    await ctx.expectNothing(q.consumer(), 'a message settled by a stale ack');
  });

  test('an ack of a message already settled by its new holder fails with SY_QUEUE_LEASE_LOST and changes nothing', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const { stale, live } = await stolen(q);
    await live.deadLetter('given up');
    await expectCode(stale.ack(), LOST, 'the stale ack after the dead-lettering');
    assert.is(await q.deadLetters.count(), 1, 'the dead letter stays');
  });

  test('a stale ack of a message its new holder released settles it: it is not redelivered', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const { stale, live } = await stolen(q);
    await live.release({ delayMs: 0 });
    await stale.ack();
    await ctx.passTime(ctx.leaseMs + 100);
    await ctx.expectNothing(q.consumer(), 'a released message a stale ack settled');
    assert.is((await q.stats()).delayed, 0, 'nothing delayed');
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
    await expectCode(old!.renew(), LOST, 'renew of the older delivery');
    await expectCode(old!.release(), LOST, 'release of the older delivery');
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
