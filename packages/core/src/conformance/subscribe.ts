/** subscribe(): concurrency bound, auto-renew, ack on success, release with backoff on throw. */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';
import { eventually, Gate } from './wait.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('subscribe');
  const blockMs = 100;

  test('subscribe never runs more handlers than its concurrency and never leases more than it runs', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    await q.enqueueBatch(Array.from({ length: 10 }, (_, i) => ({ message: i })));
    const gate = new Gate();
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const sub = q.subscribe(
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        await gate.wait();
        running--;
        done.push(n);
      },
      { concurrency: 3, blockMs },
    );
    await eventually(() => running === 3, `3 handlers running (running: ${running})`, { within: ctx.deadlineMs() });
    const stats = await q.stats();
    assert.is(stats.inFlight, 3, 'leased = running: nothing waits in a buffer with its lease clock ticking');
    assert.is(stats.depth, 7, 'the rest stays in the queue for other consumers');
    gate.open();
    await eventually(() => done.length === 10, `all 10 handled (done: ${done.length})`, { within: ctx.deadlineMs() });
    assert.ok(peak <= 3, `peak concurrency ${peak} ≤ 3`);
    await sub.close();
  });

  test('a handler that returns acks its message: it is never redelivered', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('fine', { headers: { k: 'v' } });
    const attempts: number[] = [];
    const sub = q.subscribe(
      async (m, d) => {
        assert.is(m, 'fine');
        assert.equal(d.headers, { k: 'v' });
        attempts.push(d.attempt);
      },
      { blockMs },
    );
    await eventually(async () => {
      const s = await q.stats();
      return attempts.length === 1 && s.depth === 0 && s.inFlight === 0;
    }, 'the message handled and acked', { within: ctx.deadlineMs() });
    await ctx.passTime(ctx.leaseMs + 100);
    await ctx.expectNothing(q.consumer(), 'an acked message');
    assert.equal(attempts, [1]);
    await sub.close();
  });

  test('a long handler has its lease renewed, so nobody else gets the message while it runs', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('long job');
    const gate = new Gate();
    const attempts: number[] = [];
    let finished = false;
    const sub = q.subscribe(
      async (_m, d) => {
        attempts.push(d.attempt);
        await gate.wait();
        assert.not.ok(d.signal.aborted, 'the delivery signal stays quiet while the lease is kept');
        finished = true;
      },
      { leaseMs: ctx.leaseMs, blockMs },
    );
    await eventually(() => attempts.length === 1, 'the handler to start', { within: ctx.deadlineMs() });
    const other = q.consumer();
    for (let i = 0; i < 5; i++) {
      await ctx.passTime(Math.floor(ctx.leaseMs / 2));
      await ctx.expectNothing(other, `a message whose handler is still running (${(i + 1) / 2} lease lengths in)`);
    }
    gate.open();
    await eventually(async () => finished && (await q.stats()).depth === 0 && (await q.stats()).inFlight === 0, 'the long handler to finish and ack', {
      within: ctx.deadlineMs(),
    });
    assert.equal(attempts, [1], 'one delivery only');
    await sub.close();
  });

  test('a handler that throws has its message released with backoff and redelivered with attempt + 1', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('flaky');
    const baseMs = ctx.manual ? 2_000 : 1_500;
    const attempts: number[] = [];
    const sub = q.subscribe(
      async (_m, d) => {
        attempts.push(d.attempt);
        if (d.attempt === 1) throw new Error('transient failure');
      },
      { retryBackoff: { baseMs, maxMs: baseMs * 4 }, blockMs },
    );
    await eventually(async () => attempts.length === 1 && (await q.stats()).delayed === 1, 'the failed message to be released with a delay', {
      within: ctx.deadlineMs(),
    });
    assert.equal(attempts, [1], 'not redelivered before the backoff');
    await ctx.passTime(baseMs + 200);
    await eventually(async () => attempts.length === 2 && (await q.stats()).depth === 0 && (await q.stats()).inFlight === 0, 'the retry to run and ack', {
      within: ctx.deadlineMs(),
    });
    assert.equal(attempts, [1, 2]);
    await sub.close();
  });

  test('a handler may settle its delivery itself; subscribe does not settle it again', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueueBatch([{ message: 'park' }, { message: 'keep' }]);
    const handled: string[] = [];
    const sub = q.subscribe(
      async (m, d) => {
        handled.push(m);
        if (m === 'park') await d.deadLetter('parked by handler');
      },
      { blockMs },
    );
    await eventually(async () => handled.length === 2 && (await q.deadLetters.count()) === 1 && (await q.stats()).inFlight === 0, 'both handled', {
      within: ctx.deadlineMs(),
    });
    const [dl] = await q.deadLetters.list();
    assert.is(dl!.reason, 'parked by handler');
    assert.is(dl!.message, 'park');
    await sub.close();
    assert.equal(handled.sort(), ['keep', 'park'], 'neither was redelivered');
  });

  test.run();
}
