/**
 * One consumer group of a memory queue: a cursor into the queue's log, the deliveries it holds
 * (fenced by consumer and attempt), and what it must deliver again (now or when due).
 */
import type { ConsumptionMode } from '@switchyard/core';
import type { StoredEntry } from './log.js';

export interface Held {
  readonly entry: StoredEntry;
  consumer: string;
  attempt: number;
  expiresAt: number;
}

/** A message to deliver again, with the attempt its next delivery will carry. */
export interface Redelivery {
  readonly entry: StoredEntry;
  readonly attempt: number;
  readonly dueAt: number;
}

export class GroupState {
  /** Sequence number of the next log entry this group has not seen. */
  cursor: number;
  readonly held = new Map<string, Held>();
  /** Due now, FIFO. */
  ready: Redelivery[] = [];
  /** Released with a delay, sorted by dueAt. */
  delayed: Redelivery[] = [];
  readonly consumers = new Set<string>();

  constructor(readonly name: string, readonly mode: ConsumptionMode, cursor: number) {
    this.cursor = cursor;
  }

  /** Removes entry `id` from what the group holds or will deliver again; the entry, or undefined when the group has nothing of it. */
  settle(id: string): StoredEntry | undefined {
    const h = this.held.get(id);
    if (h !== undefined) {
      this.held.delete(id);
      return h.entry;
    }
    for (const list of [this.ready, this.delayed]) {
      const i = list.findIndex((r) => r.entry.id === id);
      if (i >= 0) return (list.splice(i, 1)[0] as Redelivery).entry;
    }
    return undefined;
  }

  /** Moves delayed redeliveries whose time has come to `ready`; returns how many moved. */
  promoteDue(now: number): number {
    let n = 0;
    while (n < this.delayed.length && this.delayed[n]!.dueAt <= now) n++;
    if (n > 0) this.ready.push(...this.delayed.splice(0, n));
    return n;
  }

  addDelayed(item: Redelivery): void {
    let i = this.delayed.length;
    while (i > 0 && this.delayed[i - 1]!.dueAt > item.dueAt) i--;
    this.delayed.splice(i, 0, item);
  }

  /** Earliest time something here becomes deliverable without an enqueue (delayed due or a lease expiring). */
  nextWakeAt(): number {
    let at = this.delayed[0]?.dueAt ?? Infinity;
    for (const h of this.held.values()) if (h.expiresAt < at) at = h.expiresAt;
    return at;
  }
}
