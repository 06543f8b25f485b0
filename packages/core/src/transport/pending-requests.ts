/**
 * A gateway-side transport's dispatched-but-unanswered REQUESTs, by correlation id: the one
 * table the Messaging and TCP/TLS transports share. A RESPONSE settles its entry exactly once; a
 * RESPONSE whose id is not here (late, duplicate, or for another process) is the caller's to drop
 * and count (docs/protocol.md, "Correlation and ordering rules").
 *
 * Entries live in an array of slots, and the ids this table hands out name their slot, so a
 * RESPONSE finds its entry without a hash table. On Node 20 a long-lived Map or dictionary that
 * gains and loses an entry per request drags its live entries (and everything a pending request
 * holds: its promise, the HTTP exchange) into the old generation on every scavenge; the same live
 * set in an array is not promoted. Measured with 256 in flight: ~6 MB promoted per scavenge
 * with a Map against ~0.06 MB with an array.
 */
import { randomBytes } from 'node:crypto';
import type { CancelReason } from '../protocol/frames.js';
import type { CancelListener, Cancellation } from './cancellation.js';

/** What every entry carries; a transport adds its own fields (resolve, reject, target, ...). */
export interface PendingEntry {
  /** Set by add(): the REQUEST's correlation id. */
  id: string;
  /** The caller's cancellation, if any: cancelling it takes the entry and reports it to the table's `cancelled`. */
  readonly cancellation: Cancellation | undefined;
  /** Set by add() when there is a cancellation: the table's listener, detached once the entry is taken. */
  onCancel?: CancelListener;
}

/** Id layout (32 lower-case hex, the frame id format): table prefix (18) + slot (6) + sequence (8). */
const PREFIX_HEX = 18;
const SLOT_HEX = 6;
const SEQUENCE_HEX = 8;
const MAX_SLOTS = 16 ** SLOT_HEX;

export class PendingRequests<E extends PendingEntry> {
  private readonly slots: Array<E | undefined> = [];
  private readonly free: number[] = [];
  /** Random per table, so ids from another gateway (or an earlier run of this one) never match a slot. */
  private readonly prefix = randomBytes(PREFIX_HEX / 2).toString('hex');
  private sequence = 0;
  /** Entries under an id the caller chose (DispatchOptions.requestId): they cannot name a slot. */
  private readonly chosen = new Map<string, E>();
  private count = 0;

  /**
   * @param cancelled called once for an entry whose cancellation fired while it was still
   *   waiting; the entry is already taken (the transport sends CANCEL and rejects its promise).
   */
  constructor(private readonly cancelled: (entry: E, reason: CancelReason) => void) {}

  get size(): number {
    return this.count;
  }

  /**
   * Stores `entry` and returns its id: `requestId` when given, else a fresh id naming its slot.
   * When the entry has a cancellation, cancelling it while the entry waits takes the entry and
   * calls `cancelled`. The caller checks that the cancellation has not fired yet.
   */
  add(entry: E, requestId?: string): string {
    this.count++;
    let id: string;
    if (requestId !== undefined || (this.free.length === 0 && this.slots.length >= MAX_SLOTS)) {
      id = requestId ?? `${this.prefix}${'f'.repeat(SLOT_HEX)}${this.nextSequence()}`;
      entry.id = id;
      this.chosen.set(id, entry);
    } else {
      const slot = this.free.length > 0 ? (this.free.pop() as number) : this.slots.push(undefined) - 1;
      id = `${this.prefix}${slot.toString(16).padStart(SLOT_HEX, '0')}${this.nextSequence()}`;
      entry.id = id;
      this.slots[slot] = entry;
    }
    if (entry.cancellation !== undefined) {
      const onCancel: CancelListener = (reason) => {
        if (this.take(id) !== undefined) this.cancelled(entry, reason);
      };
      entry.onCancel = onCancel;
      entry.cancellation.onCancel(onCancel);
    }
    return id;
  }

  /** The entry of `id` while it is still waiting, left in place. */
  get(id: string): E | undefined {
    const slot = this.slotOf(id);
    if (slot >= 0) return this.slots[slot];
    return this.chosen.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Removes and returns the entry of `id`, if it is still waiting, and detaches its cancellation listener. */
  take(id: string): E | undefined {
    let entry: E;
    const slot = this.slotOf(id);
    if (slot >= 0) {
      entry = this.slots[slot] as E;
      this.slots[slot] = undefined;
      this.free.push(slot);
    } else {
      const chosen = this.chosen.get(id);
      if (chosen === undefined) return undefined;
      this.chosen.delete(id);
      entry = chosen;
    }
    this.count--;
    if (entry.onCancel !== undefined) entry.cancellation?.offCancel(entry.onCancel);
    return entry;
  }

  /** Removes and returns every entry `matches` accepts. */
  takeWhere(matches: (entry: E) => boolean): E[] {
    const ids: string[] = [];
    for (const entry of this.slots) if (entry !== undefined && matches(entry)) ids.push(entry.id);
    for (const entry of this.chosen.values()) if (matches(entry)) ids.push(entry.id);
    return ids.map((id) => this.take(id) as E);
  }

  /** Removes and returns every entry. */
  takeAll(): E[] {
    return this.takeWhere(() => true);
  }

  /** The slot `id` names when it is this table's and its entry is still there, else -1. */
  private slotOf(id: string): number {
    if (id.length !== PREFIX_HEX + SLOT_HEX + SEQUENCE_HEX || !id.startsWith(this.prefix)) return -1;
    const slot = Number.parseInt(id.slice(PREFIX_HEX, PREFIX_HEX + SLOT_HEX), 16);
    return this.slots[slot]?.id === id ? slot : -1;
  }

  private nextSequence(): string {
    this.sequence = (this.sequence + 1) % 16 ** SEQUENCE_HEX;
    return this.sequence.toString(16).padStart(SEQUENCE_HEX, '0');
  }
}
