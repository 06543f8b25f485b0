/**
 * The gateway's in-flight dispatches, and their deadlines, in one set. Shutdown waits for the set
 * to empty (or answers what is left 503 when the grace period ends); one Clock tick every
 * `resolutionMs` cancels entries past their deadline with reason `timeout`. A timer and an
 * AbortController per request cost several allocations and listener calls on the hot path; this
 * costs one array slot. Deadlines fire up to `resolutionMs` late.
 *
 * An array with swap-remove, not a Set: on Node 20 a long-lived Set that gains and loses an entry
 * per request promotes its live entries (each holding a whole HTTP exchange) into the old
 * generation on every scavenge, and the same live set in an array does not.
 */
import type { Cancellation, Clock } from '@switchyard/core';

/** One dispatch the gateway waits on. */
export interface InFlightEntry {
  /** This entry's position in the tracker; managed by InFlightRequests (-1 when not tracked). */
  inFlightIndex: number;
  /** Epoch ms; past it the entry is cancelled with reason `timeout`. */
  readonly deadline: number;
  readonly cancellation: Cancellation;
  /** Answers the client 503 SY_GATEWAY_SHUTTING_DOWN now, without waiting for the dispatch to settle. */
  answerShuttingDown(): void;
}

export class InFlightRequests {
  private readonly entries: InFlightEntry[] = [];
  private idleWaiters: Array<() => void> = [];
  private stopTick: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly resolutionMs = 10,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  add(entry: InFlightEntry): void {
    entry.inFlightIndex = this.entries.push(entry) - 1;
    this.stopTick ??= this.clock.every(this.resolutionMs, () => this.tick());
  }

  delete(entry: InFlightEntry): void {
    const index = entry.inFlightIndex;
    if (index < 0 || this.entries[index] !== entry) return;
    const last = this.entries.pop() as InFlightEntry;
    if (last !== entry) {
      this.entries[index] = last;
      last.inFlightIndex = index;
    }
    entry.inFlightIndex = -1;
    if (this.entries.length === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    if (this.entries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Answers every in-flight client 503 SY_GATEWAY_SHUTTING_DOWN now. */
  answerAllShuttingDown(): void {
    for (const entry of [...this.entries]) entry.answerShuttingDown();
  }

  /** Stops the deadline tick (idempotent); deadlines no longer fire. */
  stop(): void {
    this.stopTick?.();
    this.stopTick = undefined;
  }

  private tick(): void {
    if (this.entries.length === 0) return;
    const now = this.clock.now();
    // cancel() is a no-op on an entry already cancelled; the dispatch's settlement removes it
    // (a cancel can settle synchronously, so iterate over a copy when anything is due).
    let due: InFlightEntry[] | undefined;
    for (const entry of this.entries) if (entry.deadline <= now) (due ??= []).push(entry);
    if (due !== undefined) for (const entry of due) entry.cancellation.cancel('timeout');
  }
}
