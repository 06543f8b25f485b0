/**
 * A rate limit shared by every gateway replica (docs/operations.md, "Shared rate limits"): each
 * decision is one GCRA step in the backend's RateLimitStore, so N replicas together admit the
 * configured rate, not N times it. When the store cannot decide, the replica's own limiter
 * (the same limit, counted locally) decides instead, and the fallback is counted by reason:
 *   - `unreachable`: the store's connection is down; the store is not asked at all, so an outage
 *     costs nothing per request;
 *   - `timeout`: no answer within `timeoutMs` (a slow or partitioned server must not add its
 *     latency to every request);
 *   - `error`: the store answered with an error.
 * While the fallback decides, each replica admits up to the full limit on its own.
 */
import { Counter, type Registry } from 'prom-client';
import type { Clock, Logger, RateLimitStore } from '@switchyard/core';
import { METRIC_NAMES } from '../operations/metrics.js';
import type { RateLimiter, RequestLimiter } from './rate-limiter.js';

export type FallbackReason = 'unreachable' | 'timeout' | 'error';

/** Fallback decisions by limit (`client`, `route`) and reason, for `/metrics`. */
export class SharedLimitFallbacks {
  private readonly counts = new Map<string, { readonly limit: string; readonly reason: FallbackReason; value: number }>();

  count(limit: string, reason: FallbackReason): void {
    const key = `${limit} ${reason}`;
    const entry = this.counts.get(key);
    if (entry === undefined) this.counts.set(key, { limit, reason, value: 1 });
    else entry.value += 1;
  }

  /** Total fallbacks of `limit` (all reasons). */
  total(limit?: string): number {
    let sum = 0;
    for (const c of this.counts.values()) if (limit === undefined || c.limit === limit) sum += c.value;
    return sum;
  }

  /** Registers `switchyard_gateway_rate_limit_fallbacks_total{limit,reason}` on `registry`. */
  register(registry: Registry): void {
    const counts = this.counts;
    new Counter({
      name: METRIC_NAMES.rateLimitFallbacks,
      help: "Rate-limit decisions made by this replica's own limiter because the shared store could not decide, by limit (client, route) and reason (unreachable, timeout, error)",
      labelNames: ['limit', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of counts.values()) this.inc({ limit: c.limit, reason: c.reason }, c.value);
      },
    });
  }
}

export interface SharedRateLimiterOptions {
  /** `client` or `route`: the metric label, and part of every key in the store. */
  readonly limit: string;
  readonly requestsPerSecond: number;
  readonly burst: number;
  /** A decision the store has not answered after this long is made locally. */
  readonly timeoutMs: number;
}

/** Logs a fallback at most this often (a down store would otherwise log every request). */
const LOG_EVERY_MS = 10_000;

export class SharedRateLimiter implements RequestLimiter {
  private lastLogAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: RateLimitStore,
    /** The same limit, counted by this replica alone: the fallback. */
    private readonly local: RateLimiter,
    private readonly options: SharedRateLimiterOptions,
    private readonly fallbacks: SharedLimitFallbacks,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  take(key: string): number | Promise<number> {
    if (!this.store.isReady()) return this.fallBack(key, 'unreachable');
    return new Promise<number>((resolve) => {
      let decided = false;
      const cancelTimer = this.clock.after(this.options.timeoutMs, () => {
        if (decided) return;
        decided = true;
        resolve(this.fallBack(key, 'timeout'));
      });
      this.store.take(`${this.options.limit}:${key}`, this.options.requestsPerSecond, this.options.burst).then(
        (waitMs) => {
          if (decided) return;
          decided = true;
          cancelTimer();
          resolve(waitMs);
        },
        (err: unknown) => {
          if (decided) return;
          decided = true;
          cancelTimer();
          resolve(this.fallBack(key, 'error', err));
        },
      );
    });
  }

  /** Drops idle buckets of the local fallback. */
  sweep(): void {
    this.local.sweep();
  }

  private fallBack(key: string, reason: FallbackReason, err?: unknown): number {
    this.fallbacks.count(this.options.limit, reason);
    const now = this.clock.now();
    if (now - this.lastLogAt >= LOG_EVERY_MS) {
      this.lastLogAt = now;
      this.logger.warn({ limit: this.options.limit, reason, err }, "shared rate limit store cannot decide; this replica's own limiter decides until it can");
    }
    return this.local.take(key);
  }
}
