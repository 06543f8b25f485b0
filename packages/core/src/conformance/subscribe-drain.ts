/** Stopping a subscription: in-flight handlers finish or are released (at drainTimeoutMs at the latest); none is lost; `closed` never rejects. */
import * as assert from 'uvu/assert';
import type { KitContext } from './context.js';
import { deliveryReport, eventually, Gate, within } from './wait.js';

export function register(ctx: KitContext): void {
  const test = ctx.suite('subscribe drain');
  const blockMs = 100;

  test('aborting the signal stops leasing, lets in-flight handlers finish and acks them, and loses nothing', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    const all = ['a', 'b', 'c', 'd', 'e', 'f'];
    await q.enqueueBatch(all.map((message) => ({ message })));
    const gate = new Gate();
    const started: string[] = [];
    const finished: string[] = [];
    const stop = new AbortController();
    const sub = q.subscribe(
      async (m) => {
        started.push(m);
        await gate.wait();
        finished.push(m);
      },
      { concurrency: 2, signal: stop.signal, blockMs },
    );
    await eventually(() => started.length === 2, 'two handlers to start', { within: ctx.deadlineMs() });
    stop.abort();
    let closed = false;
    void sub.closed.then(() => (closed = true));
    await ctx.passTime(0);
    assert.not.ok(closed, 'closed waits for the running handlers');
    gate.open();
    const result = await within(sub.closed, ctx.deadlineMs(), 'the subscription to close after draining');
    assert.is(result, undefined, 'a clean stop resolves with nothing');
    assert.ok(sub.isClosed());
    assert.equal(finished.sort(), started.slice().sort(), 'every started handler finished');
    const rest = await ctx.leaseExactly(q.consumer(), all.length - started.length, 'the messages the stopped subscription never started');
    const report = deliveryReport(all, [...finished, ...rest.map((l) => l.message)]);
    assert.equal(report, { missing: [], duplicated: [] }, 'the drained ones were acked, the rest are still there');
    await Promise.all(rest.map((l) => l.ack()));
  });

  test('closed resolves and never rejects, even when a handler throws while draining; that message comes back', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('boom');
    const gate = new Gate();
    let started = false;
    const sub = q.subscribe(
      async () => {
        started = true;
        await gate.wait();
        throw new Error('failed while draining');
      },
      { blockMs, retryBackoff: { baseMs: 0, maxMs: 0 } },
    );
    await eventually(() => started, 'the handler to start', { within: ctx.deadlineMs() });
    const closing = sub.close();
    gate.open();
    await within(closing, ctx.deadlineMs(), 'close() to finish');
    assert.is(await sub.closed, undefined);
    const [again] = await ctx.leaseExactly(q.consumer(), 1, 'the released message');
    assert.is(again!.attempt, 2);
    await again!.ack();
  });

  test('a handler still running at drainTimeoutMs loses its message to an immediate redelivery, and closed resolves', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('stuck');
    let signal: AbortSignal | undefined;
    const sub = q.subscribe(
      async (_m, d) => {
        signal = d.signal;
        await new Promise<never>(() => undefined); // ignores its stop
      },
      { blockMs, drainTimeoutMs: 300 },
    );
    await eventually(() => signal !== undefined, 'the handler to start', { within: ctx.deadlineMs() });
    let closed = false;
    const closing = sub.close().then(() => (closed = true));
    await ctx.expectNothing(q.consumer(), 'the message is still held while draining');
    assert.not.ok(closed, 'closed waits up to drainTimeoutMs');
    await ctx.passTime(400);
    await within(closing, ctx.deadlineMs(), 'close() to finish at the drain timeout');
    assert.ok(signal?.aborted, "the handler's delivery signal is aborted");
    const [again] = await ctx.leaseExactly(q.consumer(), 1, 'the released message');
    assert.is(again!.attempt, 2, 'redelivered at once, not after its lease expired');
    await again!.ack();
  });

  test('close() is idempotent and a subscription with an already-aborted signal leases nothing', async () => {
    const q = (await ctx.factory()).queue<string>(ctx.queueName());
    await q.enqueue('untouched');
    const stop = new AbortController();
    stop.abort();
    let calls = 0;
    const sub = q.subscribe(async () => void calls++, { signal: stop.signal, blockMs });
    await within(sub.closed, ctx.deadlineMs(), 'an aborted subscription to close');
    await sub.close();
    await sub.close();
    assert.is(calls, 0);
    const [lease] = await ctx.leaseExactly(q.consumer(), 1, 'the untouched message');
    assert.is(lease!.attempt, 1, 'it was never delivered');
    await lease!.ack();
  });

  test.run();
}
