import { ManualClock } from '@switchyard/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RateLimiter } from '../src/index.js';

const limiter = suite('rate limiter');

limiter('a burst is allowed, then requests wait for the refill, with the wait reported', async () => {
  const clock = new ManualClock();
  const rl = new RateLimiter(clock, { requestsPerSecond: 2, burst: 3 });
  assert.is(rl.take('a'), 0);
  assert.is(rl.take('a'), 0);
  assert.is(rl.take('a'), 0);
  assert.is(rl.take('a'), 500, 'one token every 500 ms at 2 req/s');
  await clock.advance(250);
  assert.is(rl.take('a'), 250);
  await clock.advance(250);
  assert.is(rl.take('a'), 0);
});

limiter('keys have independent buckets', () => {
  const rl = new RateLimiter(new ManualClock(), { requestsPerSecond: 1 });
  assert.is(rl.take('a'), 0);
  assert.ok(rl.take('a') > 0);
  assert.is(rl.take('b'), 0);
});

limiter('the number of keys is bounded and full buckets are swept', async () => {
  const clock = new ManualClock();
  const rl = new RateLimiter(clock, { requestsPerSecond: 10, maxKeys: 100 });
  for (let i = 0; i < 1_000; i++) rl.take(`client-${i}`);
  assert.is(rl.size(), 100);
  await clock.advance(1_000);
  rl.sweep();
  assert.is(rl.size(), 0);
});

limiter('at maxKeys the oldest bucket goes first, also after a sweep removed others', async () => {
  const clock = new ManualClock();
  const rl = new RateLimiter(clock, { requestsPerSecond: 1, burst: 1, maxKeys: 3 });
  rl.take('a');
  await clock.advance(2_000);
  rl.take('b');
  rl.take('c');
  rl.sweep(); // 'a' has refilled: dropped; 'b' and 'c' are empty and kept
  assert.is(rl.size(), 2);
  rl.take('d');
  rl.take('e'); // full: evicts 'b', the oldest left
  assert.is(rl.size(), 3);
  assert.is(rl.take('b'), 0, "'b' was evicted, so it starts with a full bucket");
  assert.ok(rl.take('e') > 0, "'e' was kept and is empty");
});

limiter.run();
