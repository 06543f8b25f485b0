/**
 * bench/lib/stats.ts: the median every benchmark reports over its rounds.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { median, percentile } from '../../bench/lib/stats.js';

const test = suite('bench stats');

test('median: the middle value of an odd count, in any order', () => {
  assert.is(median([9, 1, 5]), 5);
  assert.is(median([3]), 3);
});

test('median: the mean of the two middle values of an even count', () => {
  assert.is(median([4, 1, 3, 2]), 2.5);
  // Nearest rank would give the lower middle value instead.
  assert.is(percentile([1, 2, 3, 4], 50), 2);
});

test('median: NaN rounds are left out; NaN when no value is left', () => {
  assert.is(median([Number.NaN, 7, 1]), 4);
  assert.ok(Number.isNaN(median([])));
  assert.ok(Number.isNaN(median([Number.NaN])));
});

test('median does not reorder the array it is given', () => {
  const rounds = [3, 1, 2];
  median(rounds);
  assert.equal(rounds, [3, 1, 2]);
});

test.run();
