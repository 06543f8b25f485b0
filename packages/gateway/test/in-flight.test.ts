import { Cancellation, ManualClock } from '@switchyard/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InFlightRequests, type InFlightEntry } from '../src/http/in-flight.js';

const inFlight = suite('in-flight requests and their deadlines');

function entry(deadline: number): InFlightEntry & { shutDown: number } {
  return {
    deadline,
    cancellation: new Cancellation(),
    shutDown: 0,
    listIndex: -1,
    answerShuttingDown() {
      this.shutDown += 1;
    },
  };
}

inFlight('an expired deadline cancels its request with reason "timeout" when it passes', async () => {
  const clock = new ManualClock();
  const requests = new InFlightRequests(clock);
  const soon = entry(clock.now() + 100);
  const later = entry(clock.now() + 1_000);
  requests.add(soon);
  requests.add(later);
  await clock.advance(90);
  assert.not.ok(soon.cancellation.cancelled, 'not before the deadline');
  await clock.advance(20);
  assert.is(soon.cancellation.reason, 'timeout');
  assert.not.ok(later.cancellation.cancelled);
  assert.is(requests.size, 2, 'a cancelled entry stays until its dispatch settles and deletes it');
  requests.stop();
});

inFlight('an outcome is too late (504) when it was cancelled for its deadline, or arrived at or after it', async () => {
  const clock = new ManualClock();
  const requests = new InFlightRequests(clock);
  const e = entry(requests.deadlineAfter(100));
  assert.is(e.deadline, clock.now() + 100);
  assert.not.ok(requests.timedOut(e), 'in time');
  e.cancellation.cancel('client-disconnected');
  assert.not.ok(requests.timedOut(e), 'a client that left is not a timeout');
  await clock.advance(100);
  assert.ok(requests.timedOut(e), 'at the deadline, whatever arrived');
  const cancelled = entry(requests.deadlineAfter(1_000));
  cancelled.cancellation.cancel('timeout');
  assert.ok(requests.timedOut(cancelled), 'cancelled by the deadline tick');
  requests.stop();
});

inFlight('a request deleted before its deadline is never cancelled', async () => {
  const clock = new ManualClock();
  const requests = new InFlightRequests(clock);
  const e = entry(clock.now() + 50);
  requests.add(e);
  requests.delete(e);
  await clock.advance(200);
  assert.not.ok(e.cancellation.cancelled);
  assert.is(requests.size, 0);
  requests.stop();
});

inFlight('idle() resolves when the last entry is deleted; answerAllShuttingDown reaches every entry', async () => {
  const clock = new ManualClock();
  const requests = new InFlightRequests(clock);
  const a = entry(clock.now() + 5_000);
  const b = entry(clock.now() + 5_000);
  requests.add(a);
  requests.add(b);
  let idle = false;
  const waiting = requests.idle().then(() => (idle = true));
  requests.answerAllShuttingDown();
  assert.equal([a.shutDown, b.shutDown], [1, 1]);
  requests.delete(a);
  await Promise.resolve();
  assert.not.ok(idle, 'one still in flight');
  requests.delete(b);
  await waiting;
  assert.ok(idle);
  requests.stop();
});

inFlight('an idle gateway sets no timer: one is set per earliest deadline, none after the last request is gone', async () => {
  const clock = new ManualClock();
  let timers = 0;
  const after = clock.after.bind(clock);
  clock.after = (ms, fn, options) => {
    timers += 1;
    return after(ms, fn, options);
  };
  const requests = new InFlightRequests(clock);
  const entries = Array.from({ length: 50 }, () => entry(requests.deadlineAfter(30_000)));
  for (const e of entries) requests.add(e);
  assert.is(timers, 1, 'fifty requests with the same timeout: one timer');
  for (const e of entries) requests.delete(e);
  await clock.advance(30_000);
  assert.is(timers, 1, 'the timer fired once, found nothing, and was not set again');
  await clock.advance(600_000);
  assert.is(timers, 1, 'idle: nothing fires');
  assert.not.ok(entries.some((e) => e.cancellation.cancelled));
  requests.stop();
});

inFlight('an earlier deadline added later fires first; a later one still fires after the earliest request was answered', async () => {
  const clock = new ManualClock();
  const requests = new InFlightRequests(clock);
  const slow = entry(clock.now() + 5_000);
  const answered = entry(clock.now() + 1_000);
  const quick = entry(clock.now() + 200);
  requests.add(slow);
  requests.add(answered);
  requests.add(quick);
  await clock.advance(200);
  assert.is(quick.cancellation.reason, 'timeout', 'on time, though added last');
  requests.delete(quick);
  requests.delete(answered);
  await clock.advance(4_799);
  assert.not.ok(slow.cancellation.cancelled, 'not a millisecond early');
  await clock.advance(1);
  assert.is(slow.cancellation.reason, 'timeout');
  assert.not.ok(answered.cancellation.cancelled, 'a request answered in time is never cancelled');
  requests.stop();
});

inFlight('after stop() no deadline fires', async () => {
  const clock = new ManualClock();
  const requests = new InFlightRequests(clock);
  const e = entry(clock.now() + 100);
  requests.add(e);
  requests.stop();
  requests.add(entry(clock.now() + 50));
  await clock.advance(1_000);
  assert.not.ok(e.cancellation.cancelled);
});

inFlight.run();
