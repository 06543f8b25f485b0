/**
 * A bounded set of recently seen ids with an age limit: Map insertion order is age order, so
 * pruning only looks at the oldest entries. Used for CANCELs that arrive before their REQUEST.
 */
export class RecentIds {
  private readonly seenAt = new Map<string, number>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  add(id: string, now: number): void {
    if (this.maxEntries === 0) return;
    this.seenAt.delete(id);
    this.seenAt.set(id, now);
    for (const [oldest, at] of this.seenAt) {
      if (this.seenAt.size <= this.maxEntries && now - at <= this.ttlMs) break;
      this.seenAt.delete(oldest);
    }
  }

  /** True (once) when `id` was added less than ttlMs ago; the id is forgotten either way. */
  take(id: string, now: number): boolean {
    const at = this.seenAt.get(id);
    if (at === undefined) return false;
    this.seenAt.delete(id);
    return now - at <= this.ttlMs;
  }
}
