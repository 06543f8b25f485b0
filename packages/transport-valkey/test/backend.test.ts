/**
 * Valkey behaviours beyond the conformance kit: leases longer than the queue's lease, fan-out
 * retention, delayed enqueue ids, aborting a blocked read, readiness while the server is away,
 * tail reads without a group and single plain enqueues without a script.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import type { BackendStatus, MessageQueueFactory } from '@switchyard/core';
import { startValkey } from '../../../test/harness/valkey.js';
import { startTcpProxy } from '../../../test/harness/tcp-proxy.js';
import { eventually, within } from '../../../test/harness/wait.js';
import { PerTestFactories } from './fixtures/per-test-factories.js';
import { connectValkeyQueueFactory } from '../src/index.js';
import { REDELIVERED_SCAN_LIMIT } from '../src/valkey-queue.js';

const server = await startValkey();
const factories = new PerTestFactories(server);

/** A factory under the test's prefix, its connections named after it (CLIENT LIST shows whose they are). */
function factory(url = server!.url): Promise<MessageQueueFactory> {
  return factories.open({ url, connectionName: factories.prefix });
}

const test = suite('valkey backend');
factories.hooks(test);

if (server !== null) {
  test('a lease longer than the queue lease is not redelivered before it runs out, then is (attempt 2)', async () => {
    const q = (await factory()).queue<string>('long', { leaseMs: 300 });
    await q.enqueue('slow work');
    const a = q.consumer();
    const b = q.consumer();
    const [held] = await a.lease({ max: 1, leaseMs: 2_500, blockMs: 2_000 });
    assert.ok(held, 'a got the message');
    const early = await b.lease({ max: 1, blockMs: 1_200 });
    assert.is(early.length, 0, 'b gets nothing while the long lease runs (well past the queue lease of 300 ms)');
    const [again] = await eventually(async () => {
      const got = await b.lease({ max: 1, blockMs: 500 });
      return got.length > 0 ? got : undefined;
    }, { within: 10_000, what: 'redelivery after the long lease expired' });
    assert.is(again!.attempt, 2);
    await again!.ack();
  });

  test('a tail consumer reads without a consumer group, trims what it read, and a single plain enqueue runs no script', async () => {
    const f = await factory();
    const q = f.queue<number>('replies');
    const redis = new Redis(server.url);
    try {
      const scriptsBefore = Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
      for (let i = 0; i < 5; i++) await q.enqueue(i);
      const scriptsAfter = Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
      assert.is(scriptsAfter, scriptsBefore, 'five single plain enqueues, no script call');
      const tail = q.consumer({ mode: 'tail' });
      const got = await eventually(async () => {
        const leases = await tail.lease({ max: 10, blockMs: 100 });
        return leases.length === 5 ? leases : undefined;
      }, { what: 'the five messages' });
      assert.equal(got.map((l) => l.message), [0, 1, 2, 3, 4]);
      assert.equal(await redis.xinfo('GROUPS', factories.key('{replies}')), [], 'no consumer group on the stream');
      assert.is(await redis.xlen(factories.key('{replies}')), 5, 'read entries stay until the next trim');
      await tail.close();
      assert.is(await redis.xlen(factories.key('{replies}')), 0, 'closing trims everything read');
      await q.enqueue(5);
      const again = q.consumer({ mode: 'tail' });
      const [next] = await eventually(async () => {
        const leases = await again.lease({ max: 10, blockMs: 100 });
        return leases.length > 0 ? leases : undefined;
      }, { what: 'the message enqueued after the trim' });
      assert.is(next!.message, 5);
    } finally {
      redis.disconnect();
    }
  });

  test('activity() counts redelivered messages exactly up to the scan limit, and past it reports a lower bound', async () => {
    const q = (await factory()).queue<number>('backlog', { leaseMs: 200, maxDeliveries: 5 });
    const total = REDELIVERED_SCAN_LIMIT + 200;
    await q.enqueueBatch(Array.from({ length: total }, (_, i) => ({ message: i })));
    const first = q.consumer();
    let leased = 0;
    while (leased < total) leased += (await first.lease({ max: 500, blockMs: 500 })).length;
    assert.equal(await q.activity(), { consumers: 1, oldestWaitingAgeMs: null, redelivered: 0, redeliveredIsLowerBound: true }, 'none redelivered yet, but not all looked at');
    // Every lease expires and is taken again: each message is on its second delivery.
    const second = q.consumer();
    let again = 0;
    await eventually(async () => {
      for (const l of await second.lease({ max: 500, blockMs: 200 })) {
        assert.is(l.attempt, 2);
        again += 1;
      }
      return again === total ? true : undefined;
    }, { within: 20_000, what: `all ${total} messages redelivered` });
    const capped = await q.activity();
    assert.is(capped?.redelivered, REDELIVERED_SCAN_LIMIT, 'counted over the first pending entries only');
    assert.is(capped?.redeliveredIsLowerBound, true, 'and says the true figure is at least that');

    // Below the limit the count is exact.
    const left = await second.lease({ max: 1, blockMs: 0 });
    assert.is(left.length, 0);
    const small = (await factory()).queue<number>('small', { leaseMs: 200 });
    await small.enqueueBatch([1, 2, 3].map((message) => ({ message })));
    const c = small.consumer();
    assert.is((await c.lease({ max: 3, blockMs: 500 })).length, 3);
    const redelivered = await eventually(async () => {
      const got = await small.consumer().lease({ max: 2, blockMs: 200 });
      return got.length > 0 ? got : undefined;
    }, { within: 5_000, what: 'a redelivery on the small queue' });
    const exact = await small.activity();
    assert.is(exact?.redelivered, redelivered.length);
    assert.is(exact?.redeliveredIsLowerBound, false);
  });

  test('a fan-out queue stays bounded by its retention, a competing queue keeps every unconsumed message', async () => {
    const f = await factory();
    const fan = f.queue<number>('events', { fanoutRetention: { maxLength: 50, maxAgeMs: 3_600_000 } });
    const seen: number[] = [];
    const sub = fan.consumer({ mode: 'fanout' }).subscribe(async (n) => void seen.push(n), { blockMs: 100 });
    await eventually(async () => {
      await fan.enqueue(-1);
      return seen.length > 0;
    }, { what: 'the fan-out subscriber to be reading' });
    for (let i = 0; i < 20; i++) await fan.enqueueBatch(Array.from({ length: 100 }, (_, j) => ({ message: i * 100 + j })));
    const redis = new Redis(server.url);
    try {
      const fanLen = await redis.xlen(factories.key('{events}'));
      assert.ok(fanLen <= 250, `fan-out stream trimmed near maxLength 50 (MAXLEN ~ trims whole nodes): ${fanLen}`);
      const work = f.queue<number>('work', { fanoutRetention: { maxLength: 50, maxAgeMs: 1 } });
      for (let i = 0; i < 5; i++) await work.enqueueBatch(Array.from({ length: 100 }, (_, j) => ({ message: i * 100 + j })));
      assert.is(await redis.xlen(factories.key('{work}')), 500, 'nothing unconsumed is trimmed from a competing queue');
      assert.is((await work.stats()).depth, 500);
    } finally {
      redis.disconnect();
    }
    await sub.close();
  });

  test('a delayed enqueue is counted as delayed, not delivered early, then delivered with the id enqueue returned and attempt 1', async () => {
    const q = (await factory()).queue<string>('later', { leaseMs: 2_000 });
    const id = await q.enqueue('tick', { delayMs: 1_000 });
    assert.equal(await q.stats(), { depth: 0, inFlight: 0, delayed: 1, deadLetters: 0, deadLettersDropped: 0 });
    assert.is((await q.lease({ max: 1, blockMs: 300 })).length, 0, 'not before it is due');
    const [lease] = await eventually(async () => {
      const got = await q.lease({ max: 1, blockMs: 500 });
      return got.length > 0 ? got : undefined;
    }, { within: 10_000, what: 'the delayed message once due' });
    assert.is(lease!.id, id);
    assert.is(lease!.attempt, 1);
    await lease!.ack();
    assert.equal(await q.stats(), { depth: 0, inFlight: 0, delayed: 0, deadLetters: 0, deadLettersDropped: 0 });
  });

  test('aborting a blocked lease returns at once and leaves no read outstanding on the server', async () => {
    const q = (await factory()).queue<string>('idle');
    const stop = new AbortController();
    const pending = q.lease({ max: 1, blockMs: 30_000, signal: stop.signal });
    const redis = new Redis(server.url);
    try {
      const blocked = async (): Promise<number> =>
        ((await redis.client('LIST')) as string).split('\n').filter((l) => l.includes('cmd=xreadgroup') && l.includes(`name=${factories.prefix}:`)).length;
      await eventually(async () => (await blocked()) >= 1, { what: 'the lease to block on the server' });
      stop.abort();
      const got = await within(pending.catch(() => []), 3_000, 'the aborted lease to return');
      assert.is(got.length, 0);
      await eventually(async () => (await blocked()) === 0, { what: 'no XREADGROUP left blocked on the server' });
    } finally {
      redis.disconnect();
    }
  });

  test('readiness follows the connection: false with disconnected/reconnecting events while the server is unreachable, true again after', async () => {
    const proxy = await startTcpProxy(server.port);
    try {
      const f = await factory(`redis://127.0.0.1:${proxy.port}`);
      const events: BackendStatus[] = [];
      void (async () => {
        for await (const e of f.status()) events.push(e);
      })();
      assert.ok(f.isReady());
      proxy.pause();
      proxy.cut();
      await eventually(() => !f.isReady(), { what: 'isReady() to turn false' });
      await eventually(() => events.some((e) => e.type === 'reconnecting'), { what: 'a reconnecting event' });
      assert.ok(events.some((e) => e.type === 'disconnected'));
      proxy.resume();
      await eventually(() => f.isReady(), { within: 10_000, what: 'isReady() to turn true after the server is reachable again' });
      assert.is(events[events.length - 1]!.type, 'connected');
    } finally {
      await proxy.close();
    }
  });

  test('a consuming event follows the first read, and comes again once the reader is back after a cut', async () => {
    const proxy = await startTcpProxy(server.port);
    const events: BackendStatus[] = [];
    try {
      const f = await connectValkeyQueueFactory({ url: `redis://127.0.0.1:${proxy.port}`, prefix: factories.prefix });
      void (async () => {
        for await (const e of f.status()) events.push(e);
      })();
      const q = f.queue<string>('consuming');
      const seen: string[] = [];
      const sub = q.subscribe(async (m) => void seen.push(m), { blockMs: 200 });
      const consuming = (): BackendStatus[] => events.filter((e) => e.type === 'consuming');
      await eventually(() => consuming().length === 1, { what: 'a first consuming event' });
      assert.equal({ ...consuming()[0] }, { type: 'consuming', queue: 'consuming', group: 'default', consumer: (consuming()[0] as { consumer: string }).consumer });
      proxy.cut();
      await eventually(() => consuming().length === 2, { within: 10_000, what: 'a second consuming event after the cut' });
      await q.enqueue('after-cut');
      await eventually(() => seen.includes('after-cut'), { what: 'the message enqueued after the cut to be handled' });
      assert.equal(seen, ['after-cut'], 'handled once');
      await sub.close();
      await f.close();
    } finally {
      await proxy.close();
    }
  });

  test('closing while the server is unreachable finishes at once and leaves nothing running', async () => {
    const proxy = await startTcpProxy(server.port);
    try {
      const f = await connectValkeyQueueFactory({ url: `redis://127.0.0.1:${proxy.port}`, prefix: factories.prefix });
      const q = f.queue<string>('away');
      const sub = q.subscribe(async () => undefined, { blockMs: 1_000 });
      await eventually(async () => proxy.connections() >= 2, { what: 'the reader connection to open' });
      proxy.pause();
      proxy.cut();
      await eventually(() => !f.isReady(), { what: 'the factory to notice the server is gone' });
      await within(sub.close().then(() => f.close()), 5_000, 'close while the server is unreachable');
    } finally {
      await proxy.close();
    }
  });

  for (const mode of ['competing', 'tail'] as const) {
    test(`closing while a ${mode} consumer's first read is starting leaves no connection open`, async () => {
      const f = await factory();
      const q = f.queue<string>(`closing-${mode}`);
      const consumer = q.consumer({ mode });
      // The first read starts (a tail consumer creates its stream first) and the factory closes in
      // the same turn: no reader may be opened after the close, or it would hold the process open.
      const reading = consumer.lease({ max: 1, blockMs: 500 }).catch((err: unknown) => err);
      await within(f.close(), 5_000, 'the factory to close');
      await within(reading, 5_000, 'the read to end');
      const redis = new Redis(server.url);
      try {
        await eventually(
          async () => !String(await redis.client('LIST')).split('\n').some((line) => line.includes(`name=${factories.prefix}`)),
          { what: `every connection named ${factories.prefix} to be gone` },
        );
      } finally {
        redis.disconnect();
      }
    });
  }
}

test.run();
