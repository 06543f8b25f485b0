import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ResponseFrame } from '../src/protocol/frames.js';
import { ExecutedRequests } from '../src/transport/messaging/executed-requests.js';
import { OldestFirstMap } from '../src/oldest-first-map.js';
import { RecentIds } from '../src/transport/messaging/recent-ids.js';

function response(id: string, bodyBytes = 10): ResponseFrame {
  return { v: 1, type: 'RESPONSE', id, sentAt: 0, payload: { status: 200, headers: {}, body: new Uint8Array(bodyBytes), instanceId: 'i-1' } };
}

const id = (n: number): string => n.toString(16).padStart(32, '0');

const order = suite('OldestFirstMap');

const entry = (n: number): { key: string; n: number } => ({ key: String(n), n });

order('hands entries back oldest first, across its compaction', () => {
  const map = new OldestFirstMap<{ key: string; n: number }>();
  const out: number[] = [];
  const removeOldest = (): number | undefined => {
    const oldest = map.oldest();
    if (oldest !== undefined) map.delete(oldest.key);
    return oldest?.n;
  };
  for (let i = 0; i < 5_000; i++) {
    map.set(entry(i));
    if (i % 3 === 2) out.push(removeOldest() as number);
  }
  assert.is(map.size, 5_000 - out.length);
  assert.is(map.oldest()?.n, out.length);
  for (let n = removeOldest(); n !== undefined; n = removeOldest()) out.push(n);
  assert.equal(out, Array.from({ length: 5_000 }, (_, i) => i));
  assert.is(map.size, 0);
  assert.is(map.oldest(), undefined);
});

order('entries deleted or replaced out of order are skipped; a replaced key counts as new', () => {
  const map = new OldestFirstMap<{ key: string; n: number }>();
  for (let i = 0; i < 5; i++) map.set(entry(i));
  assert.is(map.delete('0')?.n, 0);
  assert.is(map.delete('0'), undefined);
  map.set({ key: '1', n: 10 });
  assert.is(map.oldest()?.n, 2, "'0' deleted and '1' replaced: '2' is now the oldest");
  assert.is(map.get('1')?.n, 10);
  assert.is(map.size, 4);
});

order('deleteWhere keeps the other entries in order', () => {
  const map = new OldestFirstMap<{ key: string; n: number }>();
  for (let i = 0; i < 2_000; i++) map.set(entry(i));
  for (let i = 0; i < 1_500; i++) map.delete((map.oldest() as { key: string }).key);
  map.deleteWhere((e) => e.n % 2 === 1);
  assert.is(map.size, 250);
  assert.is(map.delete((map.oldest() as { key: string }).key)?.n, 1_500);
  assert.is(map.oldest()?.n, 1_502);
});

order('a queue of deleted entries does not outgrow the live ones (many out-of-order deletes)', () => {
  const map = new OldestFirstMap<{ key: string; n: number }>();
  map.set(entry(-1)); // stays oldest throughout
  for (let i = 0; i < 100_000; i++) {
    map.set(entry(i));
    map.delete(String(i));
  }
  assert.is(map.size, 1);
  assert.is(map.oldest()?.n, -1);
  assert.ok((map as unknown as { order: unknown[] }).order.length <= 2 * map.size + 1025, 'the order queue was rebuilt');
});

order.run();

const executed = suite('ExecutedRequests (the replay cache)');

executed('a running REQUEST shares its run; an answered one replays its RESPONSE; a forgotten one runs again', () => {
  const cache = new ExecutedRequests(10, 1_000);
  const done = Promise.resolve();
  cache.begin(id(1), done);
  assert.is(cache.get(id(1), 0)?.done, done);
  assert.is(cache.get(id(1), 0)?.response, undefined);
  const r = response(id(1));
  cache.answer(id(1), r, 0);
  assert.is(cache.get(id(1), 5)?.response, r);
  cache.forget(id(1));
  assert.is(cache.get(id(1), 5), undefined);
  assert.is(cache.size, 0);
});

executed('an acked answer drops its RESPONSE and its bytes, and keeps the id as answered', () => {
  const cache = new ExecutedRequests(10, 1_000, 250);
  cache.begin(id(1), new Promise<void>(() => undefined));
  cache.answer(id(1), response(id(1), 200), 0);
  cache.acked(id(1));
  const seen = cache.get(id(1), 5);
  assert.ok(seen, 'the id is still known');
  assert.is(seen?.response, undefined, 'no RESPONSE kept');
  // The run's own promise is replaced by a settled one once answered: a later copy waits for nothing.
  let settled = false;
  void seen?.done.then(() => (settled = true));
  return Promise.resolve().then(() => {
    assert.ok(settled);
    // Its 200 bytes no longer count: two answers of 100 bytes fit beside it in 250.
    cache.answer(id(2), response(id(2), 100), 6);
    cache.answer(id(3), response(id(3), 100), 7);
    assert.ok(cache.get(id(2), 8)?.response);
    assert.is(cache.size, 3);
    // Acking an id that is running, unknown or acked already changes nothing.
    cache.begin(id(4), Promise.resolve());
    cache.acked(id(4));
    cache.acked(id(9));
    cache.acked(id(1));
    assert.is(cache.size, 4);
    assert.is(cache.get(id(4), 8)?.response, undefined);
    // It still ages out with the TTL, and counts toward maxEntries until then.
    assert.is(cache.get(id(1), 1_001), undefined, 'past its TTL');
  });
});

executed('keeps at most maxEntries answers, evicting the oldest, through long churn', () => {
  const cache = new ExecutedRequests(1_000, 60_000);
  for (let n = 0; n < 50_000; n++) cache.answer(id(n), response(id(n)), n);
  assert.is(cache.size, 1_000);
  assert.is(cache.get(id(48_999), 50_000), undefined, 'older than the newest 1,000');
  assert.ok(cache.get(id(49_000), 50_000)?.response, 'the oldest kept');
  assert.ok(cache.get(id(49_999), 50_000)?.response, 'the newest');
});

executed('forgets answers older than the TTL, and answers beyond the byte bound oldest first', () => {
  const aged = new ExecutedRequests(100, 1_000);
  aged.answer(id(1), response(id(1)), 0);
  aged.answer(id(2), response(id(2)), 600);
  assert.ok(aged.get(id(1), 900)?.response);
  assert.is(aged.get(id(1), 1_001), undefined, 'past its TTL');
  aged.answer(id(3), response(id(3)), 1_700);
  assert.is(aged.get(id(2), 1_700), undefined, 'an insert drops answers past their TTL');
  assert.is(aged.size, 1);

  const sized = new ExecutedRequests(100, 60_000, 250);
  for (let n = 0; n < 5; n++) sized.answer(id(n), response(id(n), 100), n);
  assert.is(sized.size, 2, '2 × 100 bytes fit in 250');
  assert.ok(sized.get(id(4), 5)?.response);
  assert.ok(sized.get(id(3), 5)?.response);
});

executed('answering the same id again replaces its RESPONSE and counts its bytes once', () => {
  const cache = new ExecutedRequests(100, 60_000, 250);
  cache.answer(id(1), response(id(1), 100), 0);
  const again = response(id(1), 100);
  cache.answer(id(1), again, 1);
  cache.answer(id(2), response(id(2), 100), 2);
  assert.is(cache.get(id(1), 3)?.response, again);
  assert.ok(cache.get(id(2), 3)?.response, 'still within 250 bytes: id 1 counted once');
  assert.is(cache.size, 2);
});

executed('entries forgotten or replaced out of order are skipped through churn, and the oldest live one is evicted first', () => {
  const cache = new ExecutedRequests(500, 60_000);
  for (let n = 0; n < 20_000; n++) {
    cache.begin(id(n), Promise.resolve());
    cache.answer(id(n), response(id(n)), n);
    // Forget an earlier answer and answer another again: both leave a dead place in the order.
    if (n % 3 === 0 && n >= 10) cache.forget(id(n - 7));
    if (n % 5 === 0 && n >= 20) cache.answer(id(n - 3), response(id(n - 3)), n);
  }
  assert.ok(cache.size <= 500);
  assert.ok(cache.get(id(19_999), 20_000)?.response, 'the newest is kept');
  assert.is(cache.get(id(19_991), 20_000), undefined, 'forgotten (by 19,998)');
  assert.ok(cache.get(id(19_992), 20_000)?.response, 'answered again (by 19,995)');
  assert.is(cache.get(id(18_000), 20_000), undefined, 'older than the newest 500');
});

executed.run();

const recent = suite('RecentIds (CANCELs before their REQUEST)');

recent('take() answers once, within the TTL, and the set stays bounded through churn', () => {
  const ids = new RecentIds(100, 1_000);
  ids.add(id(1), 0);
  assert.is(ids.take(id(1), 10), true);
  assert.is(ids.take(id(1), 10), false, 'only once');
  ids.add(id(2), 0);
  assert.is(ids.take(id(2), 1_001), false, 'past its TTL');
  for (let n = 0; n < 20_000; n++) ids.add(id(n), n);
  assert.is(ids.take(id(19_899), 20_000), false, 'older than the newest 100');
  assert.is(ids.take(id(19_900), 19_999), true);
  assert.is(ids.take(id(19_999), 19_999), true);
});

recent('adding an id again restarts its age', () => {
  const ids = new RecentIds(100, 1_000);
  ids.add(id(1), 0);
  ids.add(id(1), 900);
  ids.add(id(2), 1_500);
  assert.is(ids.take(id(1), 1_600), true, 'aged from 900, not 0');
});

recent.run();
