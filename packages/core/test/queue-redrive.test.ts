/**
 * Redrive policy over the dead-letter contract (src/queue/redrive.ts) on the memory backend with a
 * ManualClock: filter matching, pacing at the rate, cancel leaving the rest, purge of matches.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemoryBackend } from '@switchyard/transport-memory';
import { ManualClock } from '../src/clock.js';
import { createQueueFactory } from '../src/queue/factory.js';
import { matchesDeadLetter, purgeMatchingDeadLetters, redriveDeadLetters, type RedriveProgress } from '../src/queue/redrive.js';
import type { MessageQueue } from '../src/queue/types.js';
import { eventually } from '../../../test/harness/wait.js';

function world(): { clock: ManualClock; queue: (name: string) => MessageQueue<string> } {
  const clock = new ManualClock();
  const factory = createQueueFactory(createMemoryBackend({}, { clock }), { clock, consumerNamePrefix: 'redrive' });
  return { clock, queue: (name) => factory.queue<string>(name) };
}

async function deadLetter(queue: MessageQueue<string>, reasons: readonly string[]): Promise<void> {
  for (const [i] of reasons.entries()) await queue.enqueue(`m${i}`);
  const leases = await queue.lease({ max: reasons.length });
  assert.is(leases.length, reasons.length);
  for (const [i, lease] of leases.entries()) await lease.deadLetter(reasons[i] as string);
}

const test = suite('dead-letter redrive');

test('a filter matches by reason substring (any case), since and until, and ids', () => {
  const letter = { id: '5-0', reason: 'handler threw: Timeout', deadLetteredAt: 1_000 };
  assert.ok(matchesDeadLetter(letter, {}));
  assert.ok(matchesDeadLetter(letter, { reason: 'timeout' }));
  assert.not.ok(matchesDeadLetter(letter, { reason: 'decode-error' }));
  assert.ok(matchesDeadLetter(letter, { since: 1_000, until: 1_001 }));
  assert.not.ok(matchesDeadLetter(letter, { since: 1_001 }));
  assert.not.ok(matchesDeadLetter(letter, { until: 1_000 }));
  assert.ok(matchesDeadLetter(letter, { ids: ['5-0'] }));
  assert.not.ok(matchesDeadLetter(letter, { ids: ['6-0'] }));
});

test('replays only what matches, one per 1/rate seconds of the clock, over several queues', async () => {
  const { clock, queue } = world();
  const a = queue('a');
  const b = queue('b');
  await deadLetter(a, ['max-deliveries', 'decode-error', 'max-deliveries']);
  await deadLetter(b, ['max-deliveries']);
  const seen: RedriveProgress[] = [];
  const done = redriveDeadLetters(
    [{ queue: 'a', store: a.deadLetters }, { queue: 'b', store: b.deadLetters }],
    { reason: 'max-deliveries' },
    { ratePerSecond: 2, clock, onProgress: (p) => seen.push(p) },
  );
  await eventually(() => seen.some((p) => p.replayed === 1), { what: 'the first replay, due at once' });
  assert.is(seen.at(-1)?.matched, 3);
  await clock.advance(499);
  assert.is(seen.at(-1)?.replayed, 1, 'the second is not due before 500 ms');
  await clock.advance(1);
  await eventually(() => seen.at(-1)?.replayed === 2, { what: 'the second replay at 500 ms' });
  await clock.advance(500);
  assert.equal(await done, { matched: 3, replayed: 3, missing: 0, cancelled: false });
  assert.is(await a.deadLetters.count(), 1, 'the decode-error letter stays');
  assert.is((await a.deadLetters.list())[0]?.reason, 'decode-error');
  assert.is(await b.deadLetters.count(), 0);
  assert.is((await a.stats()).depth, 2);
});

test('aborting stops before the next replay and leaves the rest dead-lettered', async () => {
  const { clock, queue } = world();
  const q = queue('c');
  await deadLetter(q, ['x', 'x', 'x', 'x']);
  const abort = new AbortController();
  let replayed = 0;
  const done = redriveDeadLetters([{ queue: 'c', store: q.deadLetters }], {}, { ratePerSecond: 1, clock, signal: abort.signal, onProgress: (p) => (replayed = p.replayed) });
  await eventually(() => replayed === 1, { what: 'the first replay' });
  abort.abort();
  assert.equal(await done, { matched: 4, replayed: 1, missing: 0, cancelled: true });
  assert.is(await q.deadLetters.count(), 3);
});

test('a letter gone before its turn is counted missing, and a bad rate is refused', async () => {
  const { clock, queue } = world();
  const q = queue('d');
  await deadLetter(q, ['x', 'x']);
  // Someone else replayed or purged them between the match and their turn: replay moves nothing.
  const raced = { list: q.deadLetters.list.bind(q.deadLetters), count: () => q.deadLetters.count(), purge: (ids?: readonly string[]) => q.deadLetters.purge(ids), replay: async () => 0 };
  let missing = 0;
  const done = redriveDeadLetters([{ queue: 'd', store: raced }], {}, { ratePerSecond: 1, clock, onProgress: (p) => (missing = p.missing) });
  await eventually(() => missing === 1, { what: 'the first turn' });
  await clock.advance(1_000);
  assert.equal(await done, { matched: 2, replayed: 0, missing: 2, cancelled: false });
  try {
    await redriveDeadLetters([], {}, { ratePerSecond: 0, clock });
    assert.unreachable('rate 0 accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_INVALID_ARGUMENT');
    assert.match((err as Error).message, /redrive ratePerSecond must be a number > 0 \(got 0\)/);
  }
});

test('purge deletes what matches and nothing else', async () => {
  const { queue } = world();
  const q = queue('e');
  await deadLetter(q, ['decode-error', 'max-deliveries', 'decode-error']);
  assert.is(await purgeMatchingDeadLetters([{ queue: 'e', store: q.deadLetters }], { reason: 'decode' }), 2);
  assert.equal((await q.deadLetters.list()).map((l) => l.reason), ['max-deliveries']);
});

test.run();
