import { ManualClock } from '@switchyard/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Deadlines } from '../src/http/deadlines.js';

const deadlines = suite('request deadlines');

deadlines('an expired deadline aborts its request with reason "timeout" on the next tick', async () => {
  const clock = new ManualClock();
  const d = new Deadlines(clock, 10);
  const soon = new AbortController();
  const later = new AbortController();
  d.add(soon, clock.now() + 100);
  d.add(later, clock.now() + 1_000);
  await clock.advance(90);
  assert.not.ok(soon.signal.aborted, 'not before the deadline');
  await clock.advance(20);
  assert.ok(soon.signal.aborted);
  assert.is(soon.signal.reason, 'timeout');
  assert.not.ok(later.signal.aborted);
  assert.is(d.size, 1);
  d.stop();
});

deadlines('a request removed before its deadline is never aborted', async () => {
  const clock = new ManualClock();
  const d = new Deadlines(clock, 10);
  const c = new AbortController();
  d.add(c, clock.now() + 50);
  d.remove(c);
  await clock.advance(200);
  assert.not.ok(c.signal.aborted);
  assert.is(d.size, 0);
  d.stop();
});

deadlines.run();
