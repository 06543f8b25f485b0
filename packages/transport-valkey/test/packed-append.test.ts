/**
 * Packed entries (src/packed-append.ts): a batch of small plain messages to a queue whose one
 * reader is a tail consumer becomes one stream entry, read back as its messages, in order; a
 * queue nobody tail-reads, or a large payload, keeps one entry per message.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import type { Lease, MessageQueue, QueueConsumer } from '@switchyard/core';
import { startValkey } from '../../../test/harness/valkey.js';
import { eventually } from '../../../test/harness/wait.js';
import { PerTestFactories } from './fixtures/per-test-factories.js';
import { PACKED_MAX_MESSAGES } from '../src/packed-append.js';

const server = await startValkey();
const factories = new PerTestFactories(server);
const test = suite('packed entries');
factories.hooks(test);

/** The stream's entries: how many, and the field names of each. */
async function entryFields(redis: Redis, queue: string): Promise<string[][]> {
  const entries = await redis.xrange(factories.key(`{${queue}}`), '-', '+');
  return entries.map(([, fields]) => fields.filter((_, i) => i % 2 === 0));
}

/** Enqueues batches of two until the producer packs one (it packs once it has seen the reader's mark). */
async function untilPacked(redis: Redis, q: MessageQueue<number>, queue: string): Promise<number[]> {
  const sent: number[] = [];
  await eventually(async () => {
    const before = (await entryFields(redis, queue)).length;
    const batch = [sent.length, sent.length + 1];
    await q.enqueueBatch(batch.map((message) => ({ message })));
    sent.push(...batch);
    const after = await entryFields(redis, queue);
    return after.length === before + 1 && after.at(-1)?.every((f) => f === 'b') === true ? true : undefined;
  }, { within: 5_000, what: 'a batch of two stored as one packed entry' });
  return sent;
}

/** Leases `n` messages, never more than `max` at a time. */
async function take(tail: QueueConsumer<number>, n: number, max: number): Promise<Lease<number>[]> {
  const got: Lease<number>[] = [];
  await eventually(async () => {
    const leases = await tail.lease({ max, blockMs: 100 });
    assert.ok(leases.length <= max, `a lease of at most ${max} (got ${leases.length})`);
    got.push(...leases);
    return got.length >= n ? true : undefined;
  }, { within: 5_000, what: `${n} messages (got ${got.length})` });
  return got;
}

if (server !== null) {
  test('a batch to a tail-read queue is one entry, read back in order with its own id per message, never more per lease than asked', async () => {
    const redis = new Redis(server.url);
    try {
      const producer = (await factories.open()).queue<number>('replies');
      const tail = (await factories.open()).queue<number>('replies').consumer({ mode: 'tail' });
      assert.is((await tail.lease({ max: 1, blockMs: 50 })).length, 0);
      assert.is(await redis.exists(factories.key('{replies}:tail-reader')), 1, 'the tail reader marks the queue');
      const warmup = await untilPacked(redis, producer, 'replies');

      const batch = Array.from({ length: 100 }, (_, i) => 1_000 + i);
      const before = (await entryFields(redis, 'replies')).length;
      const ids = await producer.enqueueBatch(batch.map((message) => ({ message })));
      const fields = await entryFields(redis, 'replies');
      assert.is(fields.length, before + 1, 'one entry for the batch of 100');
      assert.is(fields.at(-1)?.length, 100, 'one field per message');
      assert.is(new Set(ids).size, 100, 'one id per message');

      const got = await take(tail, warmup.length + batch.length, 7);
      assert.equal(got.map((l) => l.message), [...warmup, ...batch], 'every message once, in order');
      assert.equal(got.slice(-100).map((l) => l.id), ids, 'each lease has the id its enqueue returned');
      assert.ok(got.every((l) => l.attempt === 1));
      await tail.close();
      assert.is(await redis.xlen(factories.key('{replies}')), 0, 'closing trims every entry read');
      assert.is(await redis.exists(factories.key('{replies}:tail-reader')), 0, 'closing removes the mark');
    } finally {
      redis.disconnect();
    }
  });

  test('a batch over one entry\'s bounds takes several entries; a batch with a large payload, or to a queue no tail consumer reads, one entry per message', async () => {
    const redis = new Redis(server.url);
    try {
      const f = await factories.open();
      const unread = f.queue<number>('unread');
      await unread.enqueueBatch([1, 2, 3].map((message) => ({ message })));
      await unread.enqueueBatch([4, 5, 6].map((message) => ({ message })));
      assert.equal(await entryFields(redis, 'unread'), [['p'], ['p'], ['p'], ['p'], ['p'], ['p']], 'no reader: one entry per message');

      const producer = f.queue<number | string>('replies');
      const tail = (await factories.open()).queue<number | string>('replies').consumer({ mode: 'tail' });
      await tail.lease({ max: 1, blockMs: 50 });
      const warmup = await untilPacked(redis, producer as MessageQueue<number>, 'replies');
      const many = Array.from({ length: PACKED_MAX_MESSAGES + 88 }, (_, i) => i);
      let before = (await entryFields(redis, 'replies')).length;
      await producer.enqueueBatch(many.map((message) => ({ message })));
      const split = (await entryFields(redis, 'replies')).slice(before);
      assert.equal(split.map((e) => e.length), [PACKED_MAX_MESSAGES, 88], 'two packed entries');

      before = (await entryFields(redis, 'replies')).length;
      const large = 'x'.repeat(20_000);
      await producer.enqueueBatch([{ message: 'small' }, { message: large }]);
      assert.equal((await entryFields(redis, 'replies')).slice(before), [['p'], ['p']], 'a 20 kB payload is not packed');

      const got = await take(tail as QueueConsumer<number>, warmup.length + many.length + 2, 300);
      assert.equal(got.map((l) => l.message), [...warmup, ...many, 'small', large]);
    } finally {
      redis.disconnect();
    }
  });

  test('a message of a packed entry dead-letters with its payload and replays; what a closed reader had not taken yet is read by the next', async () => {
    const redis = new Redis(server.url);
    try {
      const producer = (await factories.open()).queue<number>('replies');
      const reader = (await factories.open()).queue<number>('replies');
      const tail = reader.consumer({ mode: 'tail' });
      await tail.lease({ max: 1, blockMs: 50 });
      const warmup = await untilPacked(redis, producer, 'replies');
      await take(tail, warmup.length, 100);

      await producer.enqueueBatch([10, 11, 12, 13, 14].map((message) => ({ message })));
      const [first] = await take(tail, 1, 1);
      assert.is(first!.message, 10);
      await first!.release({ delayMs: 0 });
      const [dead] = await reader.deadLetters.list();
      assert.is(dead!.message, 10, 'the dead letter holds the message, not its neighbours');
      assert.is(dead!.originalId, first!.id);

      const [second] = await take(tail, 1, 1);
      assert.is(second!.message, 11);
      await tail.close();
      assert.is(await redis.xlen(factories.key('{replies}')), 1, 'the entry with messages not taken yet stays');

      assert.is(await reader.deadLetters.replay(), 1);
      const next = reader.consumer({ mode: 'tail' });
      const got = await take(next, 6, 10);
      assert.equal(got.map((l) => l.message), [10, 11, 12, 13, 14, 10], 'the unfinished entry again, then the replayed dead letter');
    } finally {
      redis.disconnect();
    }
  });
} else {
  test('skipped: no Valkey-compatible server', () => undefined);
}

test.run();
