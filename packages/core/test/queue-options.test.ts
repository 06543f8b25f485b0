import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES } from '../src/errors.js';
import { QUEUE_DEFAULTS, resolveQueueOptions } from '../src/queue/options.js';
import type { InvalidQueueOptionsError } from '../src/errors.js';
import type { QueueOptionsInput } from '../src/queue/types.js';

const options = suite('resolveQueueOptions');

function problemsOf(input: unknown): readonly string[] {
  try {
    resolveQueueOptions('orders', input as QueueOptionsInput<unknown>);
  } catch (err) {
    assert.is((err as { code?: string }).code, ERROR_CODES.InvalidQueueOptions);
    assert.match((err as Error).message, /queue "orders"/);
    return (err as InvalidQueueOptionsError).problems;
  }
  assert.unreachable(`options ${JSON.stringify(input)} should have been refused`);
  return [];
}

options('defaults are the README values and the result is frozen', () => {
  const o = resolveQueueOptions('orders');
  assert.is(o.leaseMs, 30_000);
  assert.is(o.maxDeliveries, 3);
  assert.is(o.deadLetterSuffix, ':dlq');
  assert.is(o.dedupWindowMs, 600_000);
  assert.equal(o.fanoutRetention, { maxLength: 10_000, maxAgeMs: 3_600_000 });
  assert.ok(Object.isFrozen(o) && Object.isFrozen(o.fanoutRetention), 'frozen');
  assert.ok(Object.isFrozen(QUEUE_DEFAULTS) && Object.isFrozen(QUEUE_DEFAULTS.fanoutRetention), 'defaults frozen');
});

options('every invalid option is reported at once, each naming the option and the value received', () => {
  const problems = problemsOf({ leaseMs: 'soon', maxDeliveries: 0, deadLetterSuffix: '', dedupWindowMs: 1.5, fanoutRetention: { maxLength: -1 } });
  assert.is(problems.length, 5, problems.join(' | '));
  assert.ok(problems.some((p) => p.includes('leaseMs') && p.includes('"soon"')));
  assert.ok(problems.some((p) => p.includes('maxDeliveries') && p.includes('got 0')));
  assert.ok(problems.some((p) => p.includes('deadLetterSuffix') && p.includes('""')));
  assert.ok(problems.some((p) => p.includes('dedupWindowMs') && p.includes('1.5')));
  assert.ok(problems.some((p) => p.includes('fanoutRetention.maxLength') && p.includes('-1')));
});

options('an unknown option is refused by name (usually a typo)', () => {
  const problems = problemsOf({ leaseMS: 100 });
  assert.ok(problems.some((p) => p.startsWith('leaseMS is not a queue option')), problems.join(' | '));
  const nested = problemsOf({ fanoutRetention: { maxLen: 5 } });
  assert.ok(nested.some((p) => p.includes('fanoutRetention.maxLen')), nested.join(' | '));
});

options('a codec without decode is refused naming codec', () => {
  const problems = problemsOf({ codec: { encode: () => new Uint8Array() } });
  assert.ok(problems.some((p) => p.startsWith('codec')), problems.join(' | '));
});

options('valid options override the defaults', () => {
  const o = resolveQueueOptions('orders', { leaseMs: 5_000, maxDeliveries: 5, fanoutRetention: { maxAgeMs: 1_000 } });
  assert.is(o.leaseMs, 5_000);
  assert.is(o.maxDeliveries, 5);
  assert.equal(o.fanoutRetention, { maxLength: 10_000, maxAgeMs: 1_000 });
});

options.run();
