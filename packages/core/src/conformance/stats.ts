/** stats(): depth, in-flight, delayed, dead letters (a backend's optional `deadLettersDropped` is its own: not compared). */
import * as assert from 'uvu/assert';
import type { QueueStats } from '../queue/types.js';
import type { KitContext } from './context.js';

const counts = ({ depth, inFlight, delayed, deadLetters }: QueueStats): Omit<QueueStats, 'deadLettersDropped'> => ({ depth, inFlight, delayed, deadLetters });

export function register(ctx: KitContext): void {
  const test = ctx.suite('stats');

  test('stats follows messages from waiting to leased, delayed, dead-lettered and acked', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    assert.equal(counts(await q.stats()), { depth: 0, inFlight: 0, delayed: 0, deadLetters: 0 }, 'an empty queue');
    await q.enqueueBatch([1, 2, 3, 4].map((message) => ({ message })));
    assert.equal(counts(await q.stats()), { depth: 4, inFlight: 0, delayed: 0, deadLetters: 0 }, 'four waiting');
    const [a, b, c] = await ctx.leaseExactly(q, 3, 'three messages');
    assert.equal(counts(await q.stats()), { depth: 1, inFlight: 3, delayed: 0, deadLetters: 0 }, 'three leased');
    await a!.release({ delayMs: 60_000 });
    await b!.deadLetter('stats test');
    await c!.ack();
    assert.equal(counts(await q.stats()), { depth: 1, inFlight: 0, delayed: 1, deadLetters: 1 }, 'one delayed, one dead, one acked');
  });

  test.run();
}
