/**
 * A bounded set of recently seen ids with an age limit, pruned oldest first (an OldestFirstMap:
 * see there why not by iterating a Map). Used for CANCELs that arrive before their REQUEST.
 */
import { OldestFirstMap } from '../../oldest-first-map.js';

interface Seen {
  /** The id. */
  readonly key: string;
  readonly at: number;
}

export class RecentIds {
  private readonly seen = new OldestFirstMap<Seen>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  add(id: string, now: number): void {
    if (this.maxEntries === 0) return;
    this.seen.set({ key: id, at: now });
    for (let oldest = this.seen.oldest(); oldest !== undefined; oldest = this.seen.oldest()) {
      if (this.seen.size <= this.maxEntries && now - oldest.at <= this.ttlMs) break;
      this.seen.delete(oldest.key);
    }
  }

  /** True (once) when `id` was added less than ttlMs ago; the id is forgotten either way. */
  take(id: string, now: number): boolean {
    const entry = this.seen.delete(id);
    return entry !== undefined && now - entry.at <= this.ttlMs;
  }
}
