/** close(): stops reading, leaves nothing leased forever; later calls fail with the closed code. */
import * as assert from 'uvu/assert';
import { ERROR_CODES } from '../errors.js';
import type { KitContext } from './context.js';
import { eventually, expectCode } from './wait.js';

const CLOSED = ERROR_CODES.QueueClosed;

export function register(ctx: KitContext): void {
  const test = ctx.suite('close');

  test('after queue.close(), enqueue, lease and stats fail with SY_QUEUE_CLOSED', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.close();
    await q.close();
    await expectCode(q.enqueue('late'), CLOSED, 'enqueue after close');
    await expectCode(q.lease(), CLOSED, 'lease after close');
    await expectCode(q.stats(), CLOSED, 'stats after close');
  });

  test('closing a consumer leaves nothing leased forever: its message goes to another consumer', async () => {
    const f = await ctx.factory();
    const q = f.queue<string>(ctx.queueName());
    await q.enqueue('held');
    const a = q.consumer();
    await ctx.leaseExactly(a, 1, 'the message by a');
    await a.close();
    await expectCode(a.lease(), CLOSED, 'lease on a closed consumer');
    await ctx.passTime(ctx.leaseMs + 100);
    const [lease] = await ctx.leaseExactly(q.consumer(), 1, 'the message a held when it closed');
    assert.is(lease!.message, 'held');
    await lease!.ack();
  });

  test('factory.close() is idempotent, closes its queues and makes isReady() false', async () => {
    const f = await ctx.factory();
    const q = f.queue<string>(ctx.queueName());
    await q.stats(); // a backend may connect lazily; after a round trip it must say it is ready
    await eventually(() => f.isReady(), 'the factory to report ready before close', { within: ctx.deadlineMs() });
    await f.close();
    await f.close();
    assert.not.ok(f.isReady(), 'not ready after close');
    await expectCode(q.enqueue('late'), CLOSED, 'enqueue on a queue of a closed factory');
    await expectCode(Promise.resolve().then(() => f.queue(ctx.queueName())), CLOSED, 'opening a queue on a closed factory');
  });

  test.run();
}
