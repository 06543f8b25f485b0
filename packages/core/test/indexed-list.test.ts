import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IndexedList, type Indexed } from '../src/internal.js';

const list = suite('IndexedList');

const item = (n: number): Indexed & { n: number } => ({ n, listIndex: -1 });

list('removes any entry, the last one taking its place, and keeps every position right', () => {
  const l = new IndexedList<Indexed & { n: number }>();
  const items = Array.from({ length: 10 }, (_, i) => item(i));
  for (const i of items) l.add(i);
  assert.ok(l.remove(items[3]!));
  assert.ok(l.remove(items[0]!));
  assert.ok(l.remove(items[9]!));
  assert.is(l.length, 7);
  const held = [...l];
  assert.equal(held.map((i) => i.n).sort((a, b) => a - b), [1, 2, 4, 5, 6, 7, 8]);
  held.forEach((i, position) => assert.is(i.listIndex, position, `entry ${i.n} knows its position`));
  assert.is(items[3]!.listIndex, -1);
});

list('removing an entry that is not in the list (or no longer) is refused and changes nothing', () => {
  const a = new IndexedList<Indexed & { n: number }>();
  const b = new IndexedList<Indexed & { n: number }>();
  const x = item(1);
  const y = item(2);
  a.add(x);
  b.add(y);
  assert.not.ok(a.remove(y), 'y is at index 0 of another list');
  assert.ok(a.remove(x));
  assert.not.ok(a.remove(x), 'already removed');
  assert.is(a.length, 0);
  assert.is(b.length, 1);
});

list('toArray() is a copy that survives removals made while iterating it', () => {
  const l = new IndexedList<Indexed & { n: number }>();
  for (let i = 0; i < 5; i++) l.add(item(i));
  const seen: number[] = [];
  for (const i of l.toArray()) {
    seen.push(i.n);
    l.remove(i);
  }
  assert.equal(seen.sort(), [0, 1, 2, 3, 4]);
  assert.is(l.length, 0);
});

list.run();
