/** Competing consumers share one group: each message goes to one of them. */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';
import { deliveryReport, eventually } from './wait.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('competing consumers');

  test('competing consumers get disjoint messages that together are all of them', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const expected = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await q.enqueueBatch(expected.map((message) => ({ message })));
    const consumers = [q.consumer(), q.consumer(), q.consumer()];
    const byConsumer: string[][] = [[], [], []];
    await eventually(async () => {
      await Promise.all(
        consumers.map(async (c, i) => {
          const leases = await c.lease({ max: 4, blockMs: 0 });
          for (const l of leases) byConsumer[i]!.push(l.message);
          await Promise.all(leases.map((l) => l.ack()));
        }),
      );
      return byConsumer.flat().length >= expected.length;
    }, 'all 30 messages across three consumers', { within: ctx.deadlineMs() });
    const report = deliveryReport(expected, byConsumer.flat());
    assert.equal(report, { missing: [], duplicated: [] }, 'every message exactly once');
    assert.ok(byConsumer.filter((m) => m.length > 0).length >= 2, `work was shared (per consumer: ${byConsumer.map((m) => m.length).join(', ')})`);
  });

  test('a message leased by one competing consumer is not leased by another while the lease holds', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('only');
    const a = q.consumer();
    const b = q.consumer();
    const [lease] = await ctx.leaseExactly(a, 1, 'the message by consumer a');
    await ctx.expectNothing(b, 'a message consumer a holds');
    await lease!.ack();
  });

  test.run();
}
