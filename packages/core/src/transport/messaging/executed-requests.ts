/**
 * The instance's memory of REQUESTs it has taken, so a redelivered REQUEST runs at most once per
 * instance (docs/protocol.md, "Correlation and ordering rules"): while it runs, a redelivery waits for the same run; once answered, a
 * redelivery replays the stored RESPONSE. Answered entries are bounded by count, bytes and age,
 * and are evicted oldest first (an OldestFirstMap: see there why not by iterating a Map).
 */
import type { ResponseFrame } from '../../protocol/frames.js';
import { OldestFirstMap } from '../../oldest-first-map.js';

interface Answered {
  /** The REQUEST id. */
  readonly key: string;
  readonly response: ResponseFrame;
  readonly answeredAt: number;
}

export interface Executed {
  /** Settles when the first run has answered (or failed to). */
  readonly done: Promise<void>;
  /** The stored RESPONSE, once answered. */
  readonly response: ResponseFrame | undefined;
}

export class ExecutedRequests {
  private readonly running = new Map<string, Promise<void>>();
  private readonly answered = new OldestFirstMap<Answered>();
  /** Body bytes held by `answered`. */
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    /** Body bytes kept at most: large RESPONSEs must not pin memory (and GC time) for a whole TTL. */
    private readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.running.size + this.answered.size;
  }

  /** What is known about `id`: running, or answered less than ttlMs ago. */
  get(id: string, now: number): Executed | undefined {
    const done = this.running.get(id);
    if (done !== undefined) return { done, response: undefined };
    const answered = this.answered.get(id);
    if (answered === undefined) return undefined;
    if (now - answered.answeredAt > this.ttlMs) {
      this.drop(answered);
      return undefined;
    }
    return { done: DONE, response: answered.response };
  }

  /** Records that `id` is running until `done` settles. */
  begin(id: string, done: Promise<void>): void {
    this.running.set(id, done);
  }

  /** Stores the RESPONSE a redelivery replays; forgets the oldest answers beyond the bounds. */
  answer(id: string, response: ResponseFrame, now: number): void {
    this.running.delete(id);
    if (this.maxEntries === 0) return;
    const previous = this.answered.get(id);
    if (previous !== undefined) this.drop(previous);
    this.answered.set({ key: id, response, answeredAt: now });
    this.bytes += response.payload.body.byteLength;
    for (let oldest = this.answered.oldest(); oldest !== undefined; oldest = this.answered.oldest()) {
      if (this.answered.size <= this.maxEntries && this.bytes <= this.maxBytes && now - oldest.answeredAt <= this.ttlMs) break;
      this.drop(oldest);
    }
  }

  /** Forgets `id` (its run ended without an answer worth replaying: a redelivery may run it again). */
  forget(id: string): void {
    this.running.delete(id);
    const answered = this.answered.get(id);
    if (answered !== undefined) this.drop(answered);
  }

  private drop(entry: Answered): void {
    this.answered.delete(entry.key);
    this.bytes -= entry.response.payload.body.byteLength;
  }
}

const DONE: Promise<void> = Promise.resolve();
