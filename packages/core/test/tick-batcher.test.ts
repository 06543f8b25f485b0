import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { afterThisTurnsBatches, TickBatcher, type BatchResults } from '../src/queue/tick-batcher.js';

const batcher = suite('TickBatcher');

/** A batcher whose flushes are recorded in `calls` as `<name>:<items>`. */
function recording(name: string, calls: string[], phase?: 'enqueue' | 'settle'): TickBatcher<string, string> {
  return new TickBatcher<string, string>(async (items): Promise<BatchResults<string>> => {
    calls.push(`${name}:${items.join(',')}`);
    return items.map((i) => `${name}(${i})`);
  }, phase);
}

batcher('pushes of one turn become one call per batcher, each item answered in order', async () => {
  const calls: string[] = [];
  const a = recording('a', calls);
  const answers = await Promise.all([a.push('1'), a.push('2'), a.push('3')]);
  assert.equal(calls, ['a:1,2,3']);
  assert.equal(answers, ['a(1)', 'a(2)', 'a(3)']);
});

batcher('settle batchers flush after every enqueue batcher of the turn, even one pushed to first', async () => {
  const calls: string[] = [];
  const acks = recording('ack', calls, 'settle');
  const answers = recording('answer', calls);
  const other = recording('other', calls);
  // An ack first (another message's), then an answer, then this answer's ack: the answers go first.
  const pushed = [acks.push('m0'), answers.push('r1'), acks.push('m1'), other.push('x')];
  await Promise.all(pushed);
  assert.equal(calls, ['answer:r1', 'other:x', 'ack:m0,m1']);
});

batcher('pushes made while a flush runs go to the next turn', async () => {
  const calls: string[] = [];
  let later: Promise<string> | undefined;
  const b: TickBatcher<string, string> = new TickBatcher<string, string>(async (items) => {
    calls.push(items.join(','));
    if (later === undefined) later = b.push('late');
    return items;
  });
  await b.push('first');
  await later;
  assert.equal(calls, ['first', 'late']);
});

batcher('a failed batch rejects each of its items; an Error in the results rejects that item only', async () => {
  const failing = new TickBatcher<string, string>(async () => {
    throw new Error('down');
  });
  const results = await Promise.allSettled([failing.push('a'), failing.push('b')]);
  assert.equal(results.map((r) => r.status), ['rejected', 'rejected']);
  const partial = new TickBatcher<string, string>(async (items) => items.map((i) => (i === 'bad' ? new Error(i) : i)));
  const mixed = await Promise.allSettled([partial.push('good'), partial.push('bad')]);
  assert.equal(mixed.map((r) => r.status), ['fulfilled', 'rejected']);
});

batcher('afterThisTurnsBatches resumes once the turn\'s batches went out, pushes made after the call included', async () => {
  const calls: string[] = [];
  const answers = recording('answer', calls);
  const acks = recording('ack', calls, 'settle');
  // A read loop waits first; the handlers it started push in later microtasks of the same turn.
  const resumed = afterThisTurnsBatches().then(() => calls.push('next read'));
  void Promise.resolve()
    .then(() => void answers.push('r1'))
    .then(() => void acks.push('m1'));
  await resumed;
  assert.equal(calls, ['answer:r1', 'ack:m1', 'next read']);
});

batcher('afterThisTurnsBatches resolves on its own when nothing is pushed, and before a push of a later turn', async () => {
  const calls: string[] = [];
  const late = recording('late', calls);
  await afterThisTurnsBatches();
  const pushed = late.push('x');
  const resumed = afterThisTurnsBatches().then(() => calls.push('resumed'));
  await Promise.all([pushed, resumed]);
  assert.equal(calls, ['late:x', 'resumed']);
});

batcher.run();
