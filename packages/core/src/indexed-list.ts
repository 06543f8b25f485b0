/**
 * An unordered list that removes any entry in O(1): the last entry takes the removed one's
 * place, and every entry records its own position (`listIndex`, -1 when in no list), so an entry
 * belongs to at most one IndexedList at a time.
 *
 * For per-request sets on hot paths (the gateway's in-flight requests, subscribe()'s running
 * leases), instead of a Set: on Node 20 a long-lived Set or Map that gains and loses an entry per
 * request promotes its live entries, and everything they hold, into the old generation on every
 * scavenge; the same live set in an array is not promoted.
 */
export interface Indexed {
  /** Position in the IndexedList holding this entry; -1 when in none. Managed by the list. */
  listIndex: number;
}

export class IndexedList<T extends Indexed> implements Iterable<T> {
  private readonly items: T[] = [];

  get length(): number {
    return this.items.length;
  }

  add(item: T): void {
    item.listIndex = this.items.push(item) - 1;
  }

  /** Removes `item`; false when it is not in this list. */
  remove(item: T): boolean {
    const index = item.listIndex;
    if (index < 0 || this.items[index] !== item) return false;
    const last = this.items.pop() as T;
    if (last !== item) {
      this.items[index] = last;
      last.listIndex = index;
    }
    item.listIndex = -1;
    return true;
  }

  /** The entries, in no particular order. Adding or removing while iterating skips entries: iterate `toArray()` then. */
  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }

  /** A copy of the entries, safe to iterate while entries are removed. */
  toArray(): T[] {
    return this.items.slice();
  }
}
