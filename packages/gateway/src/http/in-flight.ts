/**
 * The gateway's in-flight dispatches, and their deadlines, in one set. Shutdown waits for the set
 * to empty (or answers what is left 503 when the grace period ends). This file owns the
 * deadline of a gateway request: it sets it (deadlineAfter), cancels entries past it with reason
 * `timeout` when core's DeadlineAlarm (one timer, set for the earliest deadline) fires, and
 * timedOut() says whether an outcome came too late, which the request path answers 504. A timer
 * and an AbortController per request cost several allocations and listener calls on the hot
 * path, and a sweep every few milliseconds wakes an idle gateway a hundred times a second; this
 * costs one slot of an IndexedList (not a Set: each entry holds a whole HTTP exchange, see there)
 * and one number compared per request.
 */
import { type Cancellation, type Clock } from '@switchyard/core';
import { DeadlineAlarm, IndexedList, type Indexed } from '@switchyard/core/internal';

/** One dispatch the gateway waits on. */
export interface InFlightEntry extends Indexed {
  /** Epoch ms; past it the entry is cancelled with reason `timeout`. */
  readonly deadline: number;
  readonly cancellation: Cancellation;
  /** Answers the client 503 SY_GATEWAY_SHUTTING_DOWN now, without waiting for the dispatch to settle. */
  answerShuttingDown(): void;
}

export class InFlightRequests {
  private readonly entries = new IndexedList<InFlightEntry>();
  private idleWaiters: Array<() => void> = [];
  private readonly alarm: DeadlineAlarm;

  constructor(private readonly clock: Clock) {
    this.alarm = new DeadlineAlarm(clock, (now) => this.cancelDue(now));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The deadline (epoch ms) of a request dispatched now with `timeoutMs`. */
  deadlineAfter(timeoutMs: number): number {
    return this.clock.now() + timeoutMs;
  }

  /**
   * True when `entry`'s outcome is too late for its client: it was cancelled for its deadline, or
   * the deadline passed before the outcome arrived (the instance also stops at the deadline and
   * may answer a moment before the tick fires). Either way the answer is 504.
   */
  timedOut(entry: InFlightEntry): boolean {
    return entry.cancellation.reason === 'timeout' || this.clock.now() >= entry.deadline;
  }

  add(entry: InFlightEntry): void {
    this.entries.add(entry);
    this.alarm.watch(entry.deadline);
  }

  delete(entry: InFlightEntry): void {
    if (!this.entries.remove(entry)) return;
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
    for (const entry of this.entries.toArray()) entry.answerShuttingDown();
  }

  /** Stops the deadline alarm (idempotent); deadlines no longer fire. */
  stop(): void {
    this.alarm.stop();
  }

  /** Cancels the entries due at `now`; returns the earliest deadline of the others. */
  private cancelDue(now: number): number {
    // cancel() is a no-op on an entry already cancelled; the dispatch's settlement removes it
    // (a cancel can settle synchronously, so iterate over a copy when anything is due).
    let due: InFlightEntry[] | undefined;
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.entries) {
      if (entry.deadline <= now) (due ??= []).push(entry);
      else if (entry.deadline < next) next = entry.deadline;
    }
    if (due !== undefined) for (const entry of due) entry.cancellation.cancel('timeout');
    return next;
  }
}
