/**
 * Concurrency limits of the admission step: how many requests of one route (or one service) may be
 * in flight at once. `FixedLimit` is a number from config. `AdaptiveLimit` follows the latency it
 * measures, in the style of a gradient concurrency limiter: every WINDOW_SAMPLES answers it
 * compares their mean latency with a target and moves the limit by that ratio —
 *
 *   target   = deadlineShare × deadline, or tolerance × baseline when that is lower (tolerance set)
 *   gradient = clamp(target / latency, 0.5, 1)
 *   limit'   = limit × gradient, plus √limit of headroom while latency is on target and the limit is in use
 *   limit    = 0.8 × limit + 0.2 × limit'   (smoothed), within [minLimit, maxLimit]
 *
 * so the limit settles where the requests it admits still finish well inside their deadline. The
 * baseline is a slow moving average of the windows' latency that falls quickly when latency drops
 * (a service that got faster, or a queue that emptied).
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

  constructor(private readonly options: AdaptiveLimitOptions) {
    this.estimate = options.initialLimit;
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
    const peak = this.peakInFlight;
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
    const headroom = gradient >= 1 && peak >= estimate / 2 ? Math.sqrt(estimate) : 0;
    const next = estimate * gradient + headroom;
    this.estimate = Math.max(o.minLimit, Math.min(o.maxLimit, estimate * (1 - SMOOTHING) + next * SMOOTHING));
  }
}
