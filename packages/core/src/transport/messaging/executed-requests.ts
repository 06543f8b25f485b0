/**
 * The instance's memory of REQUESTs it has taken, so a REQUEST delivered again runs at most once
 * per instance (docs/protocol.md, "Correlation and ordering rules"): while it runs, another
 * delivery waits for the same run; once answered, a delivery replays the stored RESPONSE until the
 * REQUEST's ack is confirmed. From then on nothing can redeliver that delivery, and the RESPONSE is
 * already in the gateway's responses queue (it was written before the ack), so the RESPONSE is
 * dropped and only the id is kept: a duplicate copy of the REQUEST (a client that re-sent an
 * enqueue after a reconnect) is then acked without running and without a second RESPONSE. Answered
 * entries are bounded by count, bytes and age, and are evicted oldest first.
 *
 * One Map holds every id, running or answered, and an entry turns from running to answered in
 * place: a REQUEST costs one lookup when it arrives, one insert when it starts and one delete when
 * its entry is evicted. Answer order lives in an array queue, not in the Map's iteration order
 * (see OldestFirstMap for why); an entry removed out of order is marked dead and skipped when it
 * reaches the front, without a Map lookup.
 */
import type { ResponseFrame } from '../../protocol/frames.js';

export interface Executed {
  /** Settles when the first run has answered (or failed to). */
  readonly done: Promise<void>;
  /** The stored RESPONSE, once answered and until the REQUEST's ack is confirmed. */
  readonly response: ResponseFrame | undefined;
}

const DONE: Promise<void> = Promise.resolve();

/** An id's entry; handed out as its Executed view (no object per lookup). */
class Entry implements Executed {
  response: ResponseFrame | undefined = undefined;
  /** False while the run runs. */
  isAnswered = false;
  answeredAt = 0;
  /** False once removed from the Map (evicted, forgotten, replaced): its place in the answer order is skipped. */
  live = true;

  constructor(
    readonly key: string,
    public done: Promise<void>,
  ) {}
}

export class ExecutedRequests {
  private readonly entries = new Map<string, Entry>();
  /** Answered entries, oldest answer first from `head`; dead ones are skipped. */
  private order: Array<Entry | undefined> = [];
  private head = 0;
  private answered = 0;
  /** Body bytes held by answered entries. */
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    /** Body bytes kept at most: large RESPONSEs must not pin memory (and GC time) for a whole TTL. */
    private readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** What is known about `id`: running, or answered less than ttlMs ago. */
  get(id: string, now: number): Executed | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.isAnswered && now - entry.answeredAt > this.ttlMs) {
      this.removeOutOfOrder(entry);
      return undefined;
    }
    return entry;
  }

  /** Records that `id` is running until `done` settles. */
  begin(id: string, done: Promise<void>): void {
    const previous = this.entries.get(id);
    if (previous !== undefined) this.removeOutOfOrder(previous);
    this.entries.set(id, new Entry(id, done));
  }

  /** Stores the RESPONSE a redelivery replays; forgets the oldest answers beyond the bounds. */
  answer(id: string, response: ResponseFrame, now: number): void {
    let entry = this.entries.get(id);
    if (this.maxEntries === 0) {
      if (entry !== undefined) this.removeOutOfOrder(entry);
      return;
    }
    if (entry === undefined || entry.isAnswered) {
      // Not begun here (a RESPONSE from the shared store), or answered again: a new entry, newest.
      if (entry !== undefined) this.removeOutOfOrder(entry);
      entry = new Entry(id, DONE);
      this.entries.set(id, entry);
    }
    entry.done = DONE;
    entry.response = response;
    entry.isAnswered = true;
    entry.answeredAt = now;
    this.answered += 1;
    this.bytes += response.payload.body.byteLength;
    this.order.push(entry);
    this.evict(now);
  }

  /**
   * The ack of answered `id` was confirmed (or the queue said another delivery settled it): drops
   * its RESPONSE and keeps the id, so a later copy is dropped instead of run.
   */
  acked(id: string): void {
    const entry = this.entries.get(id);
    if (entry?.response === undefined) return;
    this.bytes -= entry.response.payload.body.byteLength;
    entry.response = undefined;
  }

  /** Forgets `id` (its run ended without an answer worth replaying: a redelivery may run it again). */
  forget(id: string): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) this.removeOutOfOrder(entry);
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.key);
    entry.live = false;
    if (entry.isAnswered) this.answered -= 1;
    if (entry.response !== undefined) this.bytes -= entry.response.payload.body.byteLength;
  }

  /** Removes `entry` out of answer order (forgotten, replaced): rebuilds the queue once dead entries outnumber the live ones. */
  private removeOutOfOrder(entry: Entry): void {
    this.remove(entry);
    if (this.order.length - this.head > 2 * this.answered + 1024) this.rebuildOrder();
  }

  private evict(now: number): void {
    while (this.head < this.order.length) {
      const oldest = this.order[this.head] as Entry;
      if (oldest.live) {
        if (this.answered <= this.maxEntries && this.bytes <= this.maxBytes && now - oldest.answeredAt <= this.ttlMs) return;
        this.remove(oldest);
      }
      this.order[this.head] = undefined;
      this.head++;
      // Compact once the consumed front is both large and most of the array.
      if (this.head >= 1024 && this.head * 2 >= this.order.length) {
        this.order = this.order.slice(this.head);
        this.head = 0;
      }
    }
  }

  private rebuildOrder(): void {
    const live: Entry[] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const entry = this.order[i] as Entry;
      if (entry.live) live.push(entry);
    }
    this.order = live;
    this.head = 0;
  }
}
