import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../src/clock.js';
import { rejectsMatching } from '../../../test/harness/wait.js';

const clock = suite('ManualClock');

clock('advance wakes sleepers in due order and not before their time', async () => {
  const c = new ManualClock(0);
  const woke: string[] = [];
  void c.sleep(30).then(() => woke.push('b'));
  void c.sleep(10).then(() => woke.push('a'));
  await c.advance(9);
  assert.equal(woke, []);
  await c.advance(25);
  assert.equal(woke, ['a', 'b']);
  assert.is(c.now(), 34);
});

clock('an aborted sleep rejects with the signal reason', async () => {
  const c = new ManualClock(0);
  const ac = new AbortController();
  const p = c.sleep(100, ac.signal);
  ac.abort(new Error('stop'));
  await rejectsMatching(p, /stop/, 'an aborted sleep');
});

clock.run();
