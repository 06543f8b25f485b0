/**
 * Concurrency limits of the admission step: how many requests of one route (or one service) may be
 * in flight at once. `FixedLimit` is a number from config. `AdaptiveLimit` follows the latency it
 * measures, in the style of a gradient concurrency limiter: every WINDOW_SAMPLES answers it
 * compares their mean latency with a target and moves the limit by that ratio —
 *
 *   target   = deadlineShare × deadline, or tolerance × baseline when that is lower (tolerance set)
 *   gradient = clamp(target / latency, 0.5, 1)
 *   on target: limit += 0.2 × √limit while the limit is in use (half of it reached in the window)
 *   over it:   limit  = max(limit × gradient, throughput × target), within [minLimit, maxLimit]
 *
 * While latency is over target the limit falls at once (not smoothed), but never below
 * throughput × target: by Little's law that many requests in flight is what the service gets through
 * in the target latency, so the limit lands there instead of overshooting while the requests
 * admitted before the cut still drain. So the limit settles where the requests it admits still
 * finish well inside their deadline. The baseline is a slow moving average of the windows' latency
 * that falls quickly when latency drops (a service that got faster, or a queue that emptied).
 */

/** What the admission step needs of a limit: try to take a slot, give it back with what was measured. */
export interface ConcurrencyLimit {
  /** The current limit (requests in flight allowed). */
  readonly limit: number;
  /** Requests admitted and not yet released. */
  readonly inFlight: number;
  /** Takes a slot when fewer than `limit` are in flight; false (shed) otherwise. */
  tryAcquire(): boolean;
  /**
   * Gives a slot back. `latencyMs` is how long the request took (undefined when it was never
   * dispatched or the client left: nothing learned); `deadlineMs` the route's timeout.
   */
  release(latencyMs: number | undefined, deadlineMs: number): void;
}

export class FixedLimit implements ConcurrencyLimit {
  inFlight = 0;

  constructor(readonly limit: number) {}

  tryAcquire(): boolean {
    if (this.inFlight >= this.limit) return false;
    this.inFlight += 1;
    return true;
  }

  release(): void {
    this.inFlight -= 1;
  }
}

export interface AdaptiveLimitOptions {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Latency may reach this share of the deadline before the limit shrinks. */
  readonly deadlineShare: number;
  /** When set, latency may also grow only to this multiple of its baseline. */
  readonly tolerance?: number | undefined;
  /** Milliseconds on a monotonic clock, read once per window. @default performance.now */
  readonly now?: () => number;
}

/** Answers per adjustment: enough to average out one slow answer, few enough to react within a fraction of a second under load. */
export const WINDOW_SAMPLES = 20;
/** How fast the limit moves towards each new estimate. */
const SMOOTHING = 0.2;
/** Windows in the baseline's moving average. */
const BASELINE_WINDOWS = 50;

export class AdaptiveLimit implements ConcurrencyLimit {
  inFlight = 0;
  private estimate: number;
  private samples = 0;
  private latencySum = 0;
  /** Most requests in flight during the window: a limit nobody reaches is not raised. */
  private peakInFlight = 0;
  private baselineMs = 0;
  private readonly now: () => number;
  private windowStartedAt: number;

  constructor(private readonly options: AdaptiveLimitOptions) {
    this.estimate = options.initialLimit;
    this.now = options.now ?? (() => performance.now());
    this.windowStartedAt = this.now();
  }

  get limit(): number {
    return Math.floor(this.estimate);
  }

  /** The latency baseline the tolerance compares with (0 before the first window). */
  get baseline(): number {
    return this.baselineMs;
  }

  tryAcquire(): boolean {
    if (this.inFlight >= Math.floor(this.estimate)) return false;
    this.inFlight += 1;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    return true;
  }

  release(latencyMs: number | undefined, deadlineMs: number): void {
    this.inFlight -= 1;
    if (latencyMs === undefined) return;
    this.latencySum += latencyMs;
    this.samples += 1;
    if (this.samples >= WINDOW_SAMPLES) this.adjust(deadlineMs);
  }

  private adjust(deadlineMs: number): void {
    const latency = this.latencySum / this.samples;
    const now = this.now();
    // Answers per ms over the window.
    const throughput = this.samples / Math.max(now - this.windowStartedAt, 1);
    const peak = this.peakInFlight;
    this.windowStartedAt = now;
    this.samples = 0;
    this.latencySum = 0;
    this.peakInFlight = this.inFlight;
    const o = this.options;
    if (this.baselineMs === 0) this.baselineMs = latency;
    else {
      this.baselineMs += (latency - this.baselineMs) / BASELINE_WINDOWS;
      // Latency well under the baseline: the service got faster; follow it down quickly.
      if (this.baselineMs > 2 * latency) this.baselineMs = (this.baselineMs + latency) / 2;
    }
    let target = o.deadlineShare * deadlineMs;
    if (o.tolerance !== undefined) target = Math.min(target, o.tolerance * this.baselineMs);
    const gradient = Math.max(0.5, Math.min(1, target / Math.max(latency, 1e-3)));
    const estimate = this.estimate;
    let next: number;
    if (gradient < 1) next = Math.min(estimate, Math.max(estimate * gradient, throughput * target));
    else next = peak >= estimate / 2 ? estimate + SMOOTHING * Math.sqrt(estimate) : estimate;
    this.estimate = Math.max(o.minLimit, Math.min(o.maxLimit, next));
  }
}
