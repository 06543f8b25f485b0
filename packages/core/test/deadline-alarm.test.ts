import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../src/clock.js';
import { DeadlineAlarm } from '../src/deadline-alarm.js';

const alarm = suite('DeadlineAlarm');

/** A ManualClock that counts the timers set on it. */
function countingClock(): ManualClock & { timers: number } {
  const clock = Object.assign(new ManualClock(0), { timers: 0 });
  const after = clock.after.bind(clock);
  clock.after = (ms, fn, options) => {
    clock.timers += 1;
    return after(ms, fn, options);
  };
  return clock;
}

/** Deadlines an owner keeps, cancelled by the rule "due when now > deadline" (the instances' rule). */
function owner(clock: ManualClock) {
  const pending = new Set<number>();
  const fired: Array<[deadline: number, at: number]> = [];
  const a = new DeadlineAlarm(clock, (now) => {
    let next = Number.POSITIVE_INFINITY;
    for (const d of [...pending]) {
      if (now > d) {
        pending.delete(d);
        fired.push([d, now]);
      } else if (d < next) next = d;
    }
    return next;
  });
  return {
    alarm: a,
    fired,
    add(d: number) {
      pending.add(d);
      a.watch(d);
    },
    answer(d: number) {
      pending.delete(d);
    },
  };
}

alarm('fires each deadline once it passes, in order, with one timer at a time', async () => {
  const clock = countingClock();
  const o = owner(clock);
  o.add(300);
  o.add(100);
  o.add(200);
  assert.is(clock.timers, 2, 'set for 300, then earlier for 100; 200 is later than 100 and sets nothing');
  await clock.advance(1_000);
  assert.equal(o.fired.map(([d]) => d), [100, 200, 300]);
  for (const [d, at] of o.fired) assert.ok(at > d && at <= d + 1, `deadline ${d} fired at ${at}: past it, at most 1 ms late`);
  o.alarm.stop();
});

alarm('a deadline answered before it passes costs one firing that finds nothing, then nothing more', async () => {
  const clock = countingClock();
  const o = owner(clock);
  for (let i = 0; i < 100; i++) o.add(30_000 + i);
  for (let i = 0; i < 100; i++) o.answer(30_000 + i);
  const before = clock.timers;
  await clock.advance(3_600_000);
  assert.is(clock.timers, before, 'the one timer fired, found no deadline left, and set none');
  assert.equal(o.fired, []);
  o.alarm.stop();
});

alarm('Infinity is never watched; stop() ends it for good', async () => {
  const clock = countingClock();
  const o = owner(clock);
  o.add(Number.POSITIVE_INFINITY);
  assert.is(clock.timers, 0);
  o.add(50);
  o.alarm.stop();
  o.add(10);
  await clock.advance(1_000);
  assert.equal(o.fired, []);
});

alarm('a deadline beyond setTimeout\'s range fires on time after the timer is set again', async () => {
  const clock = countingClock();
  const o = owner(clock);
  const far = 3_000_000_000;
  o.add(far);
  await clock.advance(2_147_483_647);
  assert.equal(o.fired, [], 'the first timer ends early and finds nothing due');
  assert.is(clock.timers, 2, 'and sets the next');
  await clock.advance(far - 2_147_483_647 + 1);
  assert.equal(o.fired, [[far, far + 1]]);
  o.alarm.stop();
});

alarm.run();
