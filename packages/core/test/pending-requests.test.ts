import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Cancellation, isFrameId, type CancelListener } from '../src/index.js';
import { PendingRequests, type PendingEntry } from '../src/internal.js';

const pending = suite('PendingRequests (the gateway transports\' pending table)');

interface Entry extends PendingEntry {
  readonly deadline: number;
  readonly settled: string[];
}

function entry(deadline = 1_000, cancellation?: Cancellation): Entry {
  return { id: '', deadline, cancellation, settled: [] };
}

/** A table that records, on the entry, each cancellation it reports. */
const newTable = (): PendingRequests<Entry> => new PendingRequests<Entry>((e, reason) => e.settled.push(`cancelled:${reason}`));

pending('ids are frame ids, distinct, and each finds its own entry exactly once', () => {
  const table = newTable();
  const entries = Array.from({ length: 1_000 }, () => entry());
  const ids = entries.map((e) => table.add(e));
  assert.ok(ids.every(isFrameId), 'every id is 32 lower-case hex');
  assert.is(new Set(ids).size, ids.length, 'no id repeats');
  assert.is(table.size, 1_000);
  for (let i = 0; i < ids.length; i += 2) assert.is(table.take(ids[i] as string), entries[i]);
  assert.is(table.size, 500);
  assert.is(table.take(ids[0] as string), undefined, 'a second take finds nothing');
  assert.not.ok(table.has(ids[0] as string));
  assert.is(table.get(ids[1] as string), entries[1], 'get() finds a waiting entry and leaves it');
  assert.ok(table.has(ids[1] as string));
  for (let i = 1; i < ids.length; i += 2) assert.is(table.take(ids[i] as string), entries[i]);
  assert.is(table.size, 0);
});

pending('a reused slot gets a new id; the old id (a late RESPONSE) no longer matches', () => {
  const table = newTable();
  const first = table.add(entry());
  table.take(first);
  const second = table.add(entry());
  assert.is.not(second, first);
  assert.is(second.slice(18, 24), first.slice(18, 24), 'the freed slot was reused');
  assert.is(table.take(first), undefined, 'the earlier id does not take the new entry');
  assert.ok(table.take(second) !== undefined);
});

pending('ids from another table, or not ids at all, find nothing', () => {
  const a = newTable();
  const b = newTable();
  const id = a.add(entry());
  assert.is(b.take(id), undefined, 'same slot number, other table prefix');
  assert.is(a.take('not-an-id'), undefined);
  assert.is(a.take(''), undefined);
  assert.is(a.size, 1);
});

pending('a caller-chosen id is kept as given and taken by it', () => {
  const table = newTable();
  const chosen = '0123456789abcdef0123456789abcdef';
  const e = entry();
  assert.is(table.add(e, chosen), chosen);
  assert.is(e.id, chosen);
  assert.ok(table.has(chosen));
  assert.is(table.take(chosen), e);
  assert.is(table.size, 0);
});

pending('take() detaches the cancellation listener; takeWhere and takeAll empty what they return', () => {
  const table = newTable();
  const detached: CancelListener[] = [];
  const c = new (class extends Cancellation {
    override offCancel(listener: CancelListener): void {
      detached.push(listener);
      super.offCancel(listener);
    }
  })();
  const early = entry(100, c);
  const late = entry(5_000);
  const earlyId = table.add(early);
  table.add(late);
  const overdue = table.takeWhere((e) => e.deadline < 1_000);
  assert.equal(overdue.map((e) => e.id), [earlyId]);
  assert.equal(detached, [early.onCancel], "the table's listener was detached from the cancellation");
  c.cancel('timeout');
  assert.equal(early.settled, [], 'the listener was removed when the entry was taken');
  assert.is(table.size, 1);
  assert.is(table.takeAll().length, 1);
  assert.is(table.size, 0);
});

pending('cancelling a waiting entry takes it and reports it once; a taken entry is not reported', () => {
  const table = newTable();
  const c = new Cancellation();
  const waiting = entry(1_000, c);
  const id = table.add(waiting);
  c.cancel('client-disconnected');
  assert.equal(waiting.settled, ['cancelled:client-disconnected']);
  assert.not.ok(table.has(id), 'the cancelled entry was taken');
  assert.is(table.size, 0);
  assert.is(c.cancel('timeout'), false);
  assert.equal(waiting.settled, ['cancelled:client-disconnected'], 'reported once');
});

pending.run();
