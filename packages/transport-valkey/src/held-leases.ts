/**
 * The deliveries one consumer handed out and has not settled: each lease's fence (the delivery
 * count the fenced scripts check) and the ids to release when the consumer closes.
 *
 * Attempt = attempt base + the entry's delivery count in the group's pending list. The base is 0,
 * or -1 for a delayed enqueue, whose first read only parks it until due.
 */
import type { Clock, RawLease } from '@switchyard/core';
import type { ParsedEntry } from './entry.js';

/** A delivery this consumer handed out, with its fence: core passes the same object back to settle it. */
class HeldLease implements RawLease {
  constructor(
    readonly id: string,
    readonly payload: Uint8Array,
    readonly headers: Readonly<Record<string, string>>,
    readonly attempt: number,
    readonly enqueuedAt: number,
    readonly leaseExpiresAt: number,
    /** The entry's delivery count in the group's pending list when handed out. */
    readonly count: number,
  ) {}
}

export class HeldLeases {
  /** Ids this consumer may still hold (released on close); dropped on any settle outcome. */
  private readonly held = new Set<string>();

  constructor(private readonly clock: Clock) {}

  /** The lease of entry `e` at delivery count `count`, recorded as held. */
  hand(e: ParsedEntry, base: number, count: number, leaseMs: number): RawLease {
    this.held.add(e.id);
    return new HeldLease(e.id, e.payload, e.headers, base + count, e.enqueuedAt, this.clock.now() + leaseMs, count);
  }

  /** The fence of `lease`; for an object this consumer did not hand out, its attempt (base 0). */
  fence(lease: RawLease): number {
    return lease instanceof HeldLease ? lease.count : lease.attempt;
  }

  settled(id: string): void {
    this.held.delete(id);
  }

  /** A copy of the ids still held. */
  ids(): string[] {
    return [...this.held];
  }
}
