/**
 * The bulk property: several producers and consumers, thousands of messages, handlers failing at
 * random. Every message ends acked or dead-lettered; none is lost. On failure the missing and the
 * duplicated ids are printed. Failures come from a seeded generator, so a run can be repeated.
 */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';
import { deliveryReport, eventually, seededRandom } from './wait.js';

const PRODUCERS = 3;
const CONSUMERS = 4;
const CONCURRENCY = 8;
const FAILURE_RATE = 0.1;

export function register(ctx: KitContext): void {
  const test = ctx.suite('bulk');
  const total = ctx.options.bulkMessages ?? 10_000;

  test(`${total} messages from ${PRODUCERS} producers to ${CONSUMERS} consumers with random failures: every one acked or dead-lettered, none lost`, async () => {
    const seed = Number(process.env.SWITCHYARD_KIT_SEED ?? 20_261_127);
    const random = seededRandom(seed);
    const name = ctx.queueName();
    const producerFactories = await Promise.all(Array.from({ length: PRODUCERS }, () => ctx.factory()));
    // One factory for consumers when queues are not shared across backend instances.
    const consumerFactory = await ctx.factory();
    const sharedFactory = ctx.capabilities.crossProcess ? undefined : consumerFactory;
    const expected: string[] = [];
    const acked: string[] = [];
    const subs = Array.from({ length: CONSUMERS }, () =>
      (sharedFactory ?? consumerFactory).queue<{ id: string }>(name, { maxDeliveries: 3 }).subscribe(
        async ({ id }) => {
          if (random() < FAILURE_RATE) throw new Error(`random failure of ${id}`);
          acked.push(id);
        },
        { concurrency: CONCURRENCY, blockMs: 100, retryBackoff: { baseMs: 0, maxMs: 0 } },
      ),
    );
    await Promise.all(
      producerFactories.map(async (pf, p) => {
        const q = (sharedFactory ?? pf).queue<{ id: string }>(name, { maxDeliveries: 3 });
        const per = Math.ceil(total / PRODUCERS);
        for (let start = 0; start < per; start += 100) {
          const ids = Array.from({ length: Math.min(100, per - start) }, (_, i) => `p${p}-${start + i}`).filter((_, i) => p * per + start + i < total);
          expected.push(...ids);
          await Promise.all(ids.map((id) => q.enqueue({ id })));
        }
      }),
    );
    assert.is(expected.length, total, 'messages produced');
    const probe = consumerFactory.queue<{ id: string }>(name, { maxDeliveries: 3 });
    let drainError: unknown;
    try {
      await eventually(
        async () => {
          const s = await probe.stats();
          return s.depth === 0 && s.inFlight === 0 && s.delayed === 0 && acked.length + s.deadLetters >= total;
        },
        'the queue to drain',
        { within: ctx.options.waitMs ?? Math.max(60_000, ctx.deadlineMs()) },
      );
    } catch (err) {
      drainError = err;
    } finally {
      await Promise.all(subs.map((s) => s.close()));
    }
    const dead: string[] = [];
    const reasons = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = await probe.deadLetters.list({ limit: 500, ...(after === undefined ? {} : { after }) });
      if (page.length === 0) break;
      for (const dl of page) {
        reasons.add(dl.reason);
        dead.push(dl.message!.id);
      }
      after = page[page.length - 1]!.id;
    }
    const report = deliveryReport(expected, [...acked, ...dead]);
    if (drainError !== undefined || report.missing.length > 0 || report.duplicated.length > 0) {
      const stats = await probe.stats();
      console.log(`bulk delivery report (seed ${seed}): ${report.missing.length} missing, ${report.duplicated.length} duplicated, stats ${JSON.stringify(stats)}`);
      console.log(`  missing: ${report.missing.slice(0, 50).join(', ')}${report.missing.length > 50 ? ', ...' : ''}`);
      console.log(`  duplicated: ${report.duplicated.slice(0, 50).join(', ')}${report.duplicated.length > 50 ? ', ...' : ''}`);
    }
    if (drainError !== undefined) throw drainError;
    assert.equal([...reasons].filter((r) => r !== 'max-deliveries'), [], 'only exhausted messages are dead-lettered');
    assert.equal(report.missing, [], 'no message lost');
    assert.equal(report.duplicated, [], 'no message both handled and dead-lettered, or handled twice, when no lease expired');
  });

  test.run();
}
