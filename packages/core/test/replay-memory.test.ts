import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ResponseFrame } from '../src/protocol/frames.js';
import { ExecutedRequests } from '../src/transport/messaging/executed-requests.js';
import { InsertionOrder } from '../src/insertion-order.js';
import { RecentIds } from '../src/transport/messaging/recent-ids.js';

function response(id: string, bodyBytes = 10): ResponseFrame {
  return { v: 1, type: 'RESPONSE', id, sentAt: 0, payload: { status: 200, headers: {}, body: new Uint8Array(bodyBytes), instanceId: 'i-1' } };
}

const id = (n: number): string => n.toString(16).padStart(32, '0');

const order = suite('InsertionOrder');

order('hands entries back oldest first, across its compaction', () => {
  const q = new InsertionOrder<number>();
  const out: number[] = [];
  for (let i = 0; i < 5_000; i++) {
    q.push(i);
    if (i % 3 === 2) out.push(q.shift() as number);
  }
  assert.is(q.length, 5_000 - out.length);
  assert.is(q.peek(), out.length);
  for (let item = q.shift(); item !== undefined; item = q.shift()) out.push(item);
  assert.equal(out, Array.from({ length: 5_000 }, (_, i) => i));
  assert.is(q.length, 0);
  assert.is(q.peek(), undefined);
});

order('retain keeps the accepted entries in order', () => {
  const q = new InsertionOrder<number>();
  for (let i = 0; i < 2_000; i++) q.push(i);
  for (let i = 0; i < 1_500; i++) q.shift();
  q.retain((n) => n % 2 === 0);
  assert.is(q.length, 250);
  assert.is(q.shift(), 1_500);
  assert.is(q.shift(), 1_502);
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
