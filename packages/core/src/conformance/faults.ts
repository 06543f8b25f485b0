/**
 * Faults a backend must survive: a poison message, a consumer that
 * vanishes without closing, a restart of the backing server, consumers on separate connections.
 * Behaviours a backend cannot support are skipped by capability, loudly.
 */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';
import { deliveryReport, eventually } from './wait.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('faults');
  const blockMs = 100;

  test('a poison message that always fails ends in the dead-letter queue and the messages behind it are handled', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName(), { maxDeliveries: 3 });
    await q.enqueueBatch(['poison', 'ok-1', 'ok-2'].map((message) => ({ message })));
    const ok: string[] = [];
    const sub = q.subscribe(
      async (m) => {
        if (m === 'poison') throw new Error('always fails');
        ok.push(m);
      },
      { blockMs, retryBackoff: { baseMs: 0, maxMs: 0 } },
    );
    await eventually(async () => ok.length === 2 && (await q.deadLetters.count()) === 1, 'the good messages handled and the poison dead-lettered', {
      within: ctx.deadlineMs(),
    });
    const [dl] = await q.deadLetters.list();
    assert.is(dl!.message, 'poison');
    assert.is(dl!.reason, 'max-deliveries');
    await sub.close();
  });

  test('a consumer that vanishes without closing has its leases redelivered to a live subscription', async () => {
    const q = (await ctx.factory()).queue<number>(ctx.queueName());
    await q.enqueueBatch([1, 2, 3].map((message) => ({ message })));
    const ghost = q.consumer();
    await ctx.leaseExactly(ghost, 3, 'three messages by the consumer that will vanish');
    const seen: Array<[number, number]> = [];
    const sub = q.subscribe(async (n, d) => void seen.push([n, d.attempt]), { blockMs });
    await ctx.passTime(ctx.leaseMs + 100);
    await eventually(() => seen.length === 3, `the three abandoned messages to be handled (got ${seen.length})`, { within: ctx.deadlineMs() });
    assert.equal(seen.map(([n]) => n).sort(), [1, 2, 3]);
    assert.ok(seen.every(([, attempt]) => attempt === 2), `every redelivery has attempt 2 (${JSON.stringify(seen)})`);
    await sub.close();
  });

  const twoConnections = 'consumers on separate factories (separate connections) share one competing queue';
  if (ctx.requires(test, twoConnections, 'crossProcess', 'queues are not shared beyond one backend instance')) {
    test(twoConnections, async () => {
      const name = ctx.queueName();
      const producer = (await ctx.factory()).queue<number>(name);
      const consumers = [(await ctx.factory()).queue<number>(name), (await ctx.factory()).queue<number>(name)];
      const expected = Array.from({ length: 40 }, (_, i) => i);
      const got: number[] = [];
      const subs = consumers.map((q) => q.subscribe(async (n) => void got.push(n), { concurrency: 4, blockMs }));
      await producer.enqueueBatch(expected.map((message) => ({ message })));
      await eventually(() => got.length >= 40, `40 messages across two factories (got ${got.length})`, { within: ctx.deadlineMs() });
      const report = deliveryReport(expected.map(String), got.map(String));
      assert.equal(report, { missing: [], duplicated: [] });
      await Promise.all(subs.map((s) => s.close()));
    });
  }

  const restart = 'acked-by-server messages survive a restart and consumers resume by themselves';
  if (
    ctx.requires(test, restart, 'survivesRestart', 'the backend keeps messages only in this process') &&
    ctx.requires(test, restart, 'restartServer', 'the kit cannot restart the server')
  ) {
    test(restart, async () => {
      const f = await ctx.factory();
      const stored = f.queue<string>(ctx.queueName());
      const live = f.queue<string>(ctx.queueName());
      const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
      await stored.enqueueBatch(before.map((message) => ({ message })));
      const got: string[] = [];
      const sub = live.subscribe(async (m) => void got.push(m), { concurrency: 4, blockMs });
      await live.enqueue('warm-up');
      await eventually(() => got.includes('warm-up'), 'the subscription to be consuming before the restart', { within: ctx.deadlineMs() });

      await ctx.options.restartServer!();

      const after = Array.from({ length: 10 }, (_, i) => `after-${i}`);
      for (const m of after) {
        await eventually(async () => (await live.enqueue(m)).length > 0, `enqueue of ${m} after the restart`, { within: ctx.deadlineMs() * 2 });
      }
      await eventually(() => after.every((m) => got.includes(m)), 'the running subscription to receive messages enqueued after the restart', {
        within: ctx.deadlineMs() * 2,
      });
      const survivors = await ctx.leaseExactly(stored, before.length, 'the messages enqueued before the restart');
      const report = deliveryReport(before, survivors.map((l) => l.message));
      assert.equal(report, { missing: [], duplicated: [] }, 'every message the server acked before the restart');
      await Promise.all(survivors.map((l) => l.ack()));
      await sub.close();
    });
  }

  test.run();
}
