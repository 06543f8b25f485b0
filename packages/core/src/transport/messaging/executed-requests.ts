/**
 * The instance's memory of REQUESTs it has taken, so a redelivered REQUEST runs at most once per
 * instance (SPEC §4): while it runs, a redelivery waits for the same run; once answered, a
 * redelivery replays the stored RESPONSE. Bounded by size and age; Map insertion order is age order.
 */
import type { ResponseFrame } from '../../protocol/frames.js';

interface Entry {
  /** Settles when the first run has answered (or failed to). */
  readonly done: Promise<void>;
  response: ResponseFrame | undefined;
  /** Epoch ms when the entry was answered; 0 while running. */
  answeredAt: number;
}

export class ExecutedRequests {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry of `id` if it is running, or answered less than ttlMs ago. */
  get(id: string, now: number): { readonly done: Promise<void>; readonly response: ResponseFrame | undefined } | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.answeredAt !== 0 && now - entry.answeredAt > this.ttlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  /** Records that `id` is running until `done` settles. */
  begin(id: string, done: Promise<void>): void {
    this.entries.set(id, { done, response: undefined, answeredAt: 0 });
  }

  /** Stores the RESPONSE a redelivery replays; forgets the oldest answered entries beyond the bounds. */
  answer(id: string, response: ResponseFrame, now: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    // Re-inserting moves the entry to the end, so the Map stays ordered by answeredAt among answered entries.
    this.entries.delete(id);
    entry.response = response;
    entry.answeredAt = now;
    this.entries.set(id, entry);
    this.prune(now);
  }

  /** Forgets `id` (its run failed before answering: a redelivery may run it again). */
  forget(id: string): void {
    this.entries.delete(id);
  }

  private prune(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.answeredAt === 0) continue;
      if (this.entries.size <= this.maxEntries && now - entry.answeredAt <= this.ttlMs) break;
      this.entries.delete(id);
    }
  }
}
