/**
 * Dead-letter retention (README, "Dead-letter retention"): a dead-letter stream keeps at most
 * deadLetterMaxLength entries and none older than deadLetterMaxAgeMs, oldest dropped first, and
 * every dropped entry is counted (QueueStats.deadLettersDropped, the gateway's
 * switchyard_gateway_queue_dead_letters_dropped_total).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { jsonCodec, type MessageQueueFactory } from '@switchyard/core';
import { requireValkeyOrSkip } from '../../../test/harness/valkey.js';
import { eventually } from '../../../test/harness/wait.js';
import { PerTestFactories } from './fixtures/per-test-factories.js';
import { connectValkeyQueueFactory, type ValkeyBackendOptions } from '../src/index.js';

const server = await requireValkeyOrSkip('dead-letter retention');
const factories = new PerTestFactories(server);
const factory = (options: ValkeyBackendOptions): Promise<MessageQueueFactory> => factories.open(options);

/** Enqueues `n` messages and dead-letters each through a lease, in order. */
async function deadLetter(f: MessageQueueFactory, queue: string, n: number, from = 0): Promise<void> {
  const q = f.queue<{ n: number }>(queue, { codec: jsonCodec() });
  for (let i = from; i < from + n; i++) await q.enqueue({ n: i });
  let done = 0;
  while (done < n) {
    for (const lease of await q.lease({ max: n - done, blockMs: 100 })) {
      await lease.deadLetter('test');
      done += 1;
    }
  }
}

const test = suite('valkey dead-letter retention');
factories.hooks(test);

if (server === null) {
  test.skip('every retention case (SKIPPED: no server)', () => undefined);
} else {
  test('beyond deadLetterMaxLength the oldest dead letters are dropped at the write, and counted', async () => {
    const f = await factory({ deadLetterMaxLength: 3, deadLetterMaxAgeMs: 0 });
    await deadLetter(f, 'jobs', 5);
    const q = f.queue<{ n: number }>('jobs', { codec: jsonCodec() });
    const kept = (await q.deadLetters.list()).map((d) => d.message?.n);
    assert.equal(kept, [2, 3, 4], 'the newest three are kept');
    const stats = await q.stats();
    assert.is(stats.deadLetters, 3);
    assert.is(stats.deadLettersDropped, 2);
    await deadLetter(f, 'jobs', 1, 5);
    assert.is((await q.stats()).deadLettersDropped, 3, 'the counter keeps counting');
    const redis = new Redis(server.url);
    assert.is(await redis.get(factories.key('{jobs}:dlq:dropped')), '3', 'the counter is a key in the queue slot, shared by every process');
    assert.is(await redis.ttl(factories.key('{jobs}:dlq:dropped')), -1, 'the counter never expires');
    redis.disconnect();
  });

  test('dead letters older than deadLetterMaxAgeMs are dropped at the next stats read, with nothing new written', async () => {
    const f = await factory({ deadLetterMaxLength: 0, deadLetterMaxAgeMs: 300 });
    await deadLetter(f, 'old', 2);
    const q = f.queue<{ n: number }>('old', { codec: jsonCodec() });
    await eventually(async () => (await q.stats()).deadLettersDropped === 2, { within: 5_000, every: 100, what: 'both dead letters to age out' });
    assert.is((await q.stats()).deadLetters, 0);
    assert.is(await q.deadLetters.count(), 0);
  });

  test('with both limits 0 every dead letter is kept and the count stays 0', async () => {
    const f = await factory({ deadLetterMaxLength: 0, deadLetterMaxAgeMs: 0 });
    await deadLetter(f, 'all', 4);
    const stats = await f.queue('all').stats();
    assert.is(stats.deadLetters, 4);
    assert.is(stats.deadLettersDropped, 0);
  });

  test('the options are checked: negative or non-integer limits are refused naming the key', async () => {
    for (const key of ['deadLetterMaxLength', 'deadLetterMaxAgeMs']) {
      try {
        await connectValkeyQueueFactory({ url: server.url, prefix: factories.prefix, [key]: -1 });
        assert.unreachable(`${key}: -1 should be refused`);
      } catch (err) {
        assert.match((err as Error).message, new RegExp(key));
      }
    }
  });
}

test.run();
