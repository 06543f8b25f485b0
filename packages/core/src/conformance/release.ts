/** release(): redeliver later with attempt + 1, after a delay if given. */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('release');

  test('a released message is redelivered with attempt + 1', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('retry me', { headers: { h: 'v' } });
    const [first] = await ctx.leaseExactly(q, 1, 'the message');
    await first!.release();
    const [second] = await ctx.leaseExactly(q.consumer(), 1, 'the released message');
    assert.is(second!.message, 'retry me');
    assert.equal(second!.headers, { h: 'v' }, 'headers survive a release');
    assert.is(second!.attempt, 2);
    await second!.ack();
  });

  test('a message released with a delay is not redelivered before the delay and is counted as delayed', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('later');
    const [first] = await ctx.leaseExactly(q, 1, 'the message');
    const delayMs = ctx.manual ? 5_000 : 1_500;
    await first!.release({ delayMs });
    const c = q.consumer();
    await ctx.expectNothing(c, 'a message whose release delay has not passed');
    const stats = await q.stats();
    assert.is(stats.delayed, 1, 'stats.delayed');
    assert.is(stats.inFlight, 0, 'stats.inFlight');
    await ctx.passTime(delayMs + 100);
    const [second] = await ctx.leaseExactly(c, 1, 'the message after its release delay');
    assert.is(second!.attempt, 2);
    await second!.ack();
  });

  test.run();
}
