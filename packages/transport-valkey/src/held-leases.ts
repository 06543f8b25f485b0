/**
 * The deliveries one consumer handed out and has not settled: each lease's fence (the delivery
 * count the fenced scripts check) and the ids to release when the consumer closes.
 *
 * Attempt = attempt base + the entry's delivery count in the group's pending list. The base is 0,
 * or -1 for a delayed enqueue, whose first read only parks it until due.
 */
import type { Clock, RawLease } from '@switchyard/core';
import type { ParsedEntry } from './entry.js';

export class HeldLeases {
  /** Delivery count of each delivery handed out: the fence (core passes the same objects back). */
  private readonly counts = new WeakMap<RawLease, number>();
  /** Ids this consumer may still hold (released on close); dropped on any settle outcome. */
  private readonly held = new Set<string>();

  constructor(private readonly clock: Clock) {}

  /** The lease of entry `e` at delivery count `count`, recorded as held. */
  hand(e: ParsedEntry, base: number, count: number, leaseMs: number): RawLease {
    this.held.add(e.id);
    const lease: RawLease = { id: e.id, payload: e.payload, headers: e.headers, attempt: base + count, enqueuedAt: e.enqueuedAt, leaseExpiresAt: this.clock.now() + leaseMs };
    this.counts.set(lease, count);
    return lease;
  }

  /** The fence of `lease`; for an object this consumer did not hand out, its attempt (base 0). */
  fence(lease: RawLease): number {
    return this.counts.get(lease) ?? lease.attempt;
  }

  settled(id: string): void {
    this.held.delete(id);
  }

  /** A copy of the ids still held. */
  ids(): string[] {
    return [...this.held];
  }
}
