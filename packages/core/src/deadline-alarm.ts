/**
 * One timer for the deadlines of many requests, set for the earliest one. A sweep that polls every
 * few milliseconds wakes an idle process a hundred times a second; this wakes it when a deadline
 * it was told of passes, and not otherwise.
 *
 * The owner keeps its requests and their deadlines; it tells the alarm each new deadline
 * (`watch`), and when the alarm fires, the owner's `sweep` cancels what is due and returns the
 * earliest deadline still to come, for which the alarm sets itself again. A request answered
 * before its deadline needs nothing: the timer still fires at that deadline, the sweep finds it
 * gone and sets the timer for the next one, if any. So a busy process with one timeout fires about
 * once per timeout, and an idle one at most once more after its last request.
 */
import type { Clock } from './clock.js';

/** setTimeout's largest delay; a later deadline fires early, finds nothing due, and sets the timer again. */
const MAX_DELAY_MS = 2_147_483_647;

export class DeadlineAlarm {
  private armedFor = Number.POSITIVE_INFINITY;
  private disarm: (() => void) | undefined;
  private stopped = false;

  /**
   * `sweep(now)` cancels every request whose deadline is due at `now` (by the owner's own rule)
   * and returns the earliest deadline among the others (Infinity when none is left).
   */
  constructor(
    private readonly clock: Clock,
    private readonly sweep: (now: number) => number,
  ) {}

  /** A deadline (epoch ms) to fire for: the alarm is set earlier when this is the earliest. Infinity is ignored. */
  watch(deadline: number): void {
    if (deadline < this.armedFor && !this.stopped) this.arm(deadline);
  }

  /** Stops the alarm for good (idempotent): nothing fires from now on. */
  stop(): void {
    this.stopped = true;
    this.disarm?.();
    this.disarm = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private arm(deadline: number): void {
    this.disarm?.();
    this.armedFor = deadline;
    // At least 1 ms: a sweep whose rule is "past the deadline" finds a deadline equal to now not due yet.
    const delay = Math.min(MAX_DELAY_MS, Math.max(1, deadline - this.clock.now()));
    this.disarm = this.clock.after(delay, () => this.fire(), { unref: true });
  }

  private fire(): void {
    this.disarm = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const next = this.sweep(this.clock.now());
    // The sweep's cancellations may have watched new deadlines already (then the alarm is set).
    this.watch(next);
  }
}
