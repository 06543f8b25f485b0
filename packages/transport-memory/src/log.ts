/**
 * The entries of one memory queue in enqueue order, addressed by sequence number, so each group
 * reads from its own cursor (like a stream). Deleted entries leave a hole until the head is compacted.
 */
export interface StoredEntry {
  readonly id: string;
  readonly payload: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly enqueuedAt: number;
  seq: number;
  live: boolean;
}

const COMPACT_AT = 1_024;

export class EntryLog {
  private entries: Array<StoredEntry | undefined> = [];
  /** Sequence number of entries[0]. */
  private base = 0;
  /** Index of the first slot that may still hold an entry. */
  private head = 0;
  liveCount = 0;

  get nextSeq(): number {
    return this.base + this.entries.length;
  }

  append(entry: StoredEntry): void {
    entry.seq = this.nextSeq;
    entry.live = true;
    this.entries.push(entry);
    this.liveCount++;
  }

  /** The live entry at `seq`, if any. */
  at(seq: number): StoredEntry | undefined {
    const e = this.entries[seq - this.base];
    return e !== undefined && e.live ? e : undefined;
  }

  remove(entry: StoredEntry): void {
    if (!entry.live) return;
    entry.live = false;
    this.liveCount--;
    const index = entry.seq - this.base;
    if (this.entries[index] === entry) this.entries[index] = undefined;
    this.compact();
  }

  /** Oldest live entry. */
  oldest(): StoredEntry | undefined {
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e !== undefined) return e;
    }
    return undefined;
  }

  private compact(): void {
    while (this.head < this.entries.length && this.entries[this.head] === undefined) this.head++;
    if (this.head >= COMPACT_AT && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}
