/**
 * A bounded set of recently seen ids with an age limit, pruned oldest first through an
 * InsertionOrder (not by iterating the Map: see there). Used for CANCELs that arrive before their
 * REQUEST.
 */
import { InsertionOrder } from '../../insertion-order.js';

interface Seen {
  readonly id: string;
  readonly at: number;
}

export class RecentIds {
  private readonly seen = new Map<string, Seen>();
  /** `seen`'s entries, oldest first (plus entries already taken or replaced, skipped when met). */
  private readonly order = new InsertionOrder<Seen>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  add(id: string, now: number): void {
    if (this.maxEntries === 0) return;
    const entry: Seen = { id, at: now };
    this.seen.set(id, entry);
    this.order.push(entry);
    for (let oldest = this.order.peek(); oldest !== undefined; oldest = this.order.peek()) {
      const live = this.seen.get(oldest.id) === oldest;
      if (live && this.seen.size <= this.maxEntries && now - oldest.at <= this.ttlMs) break;
      this.order.shift();
      if (live) this.seen.delete(oldest.id);
    }
  }

  /** True (once) when `id` was added less than ttlMs ago; the id is forgotten either way. */
  take(id: string, now: number): boolean {
    const entry = this.seen.get(id);
    if (entry === undefined) return false;
    this.seen.delete(id);
    return now - entry.at <= this.ttlMs;
  }
}
