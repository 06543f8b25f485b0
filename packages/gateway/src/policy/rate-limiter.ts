/**
 * Token-bucket rate limiting, one bucket per key (a client or a route). Time comes from the
 * injected Clock. The number of buckets is bounded: idle (full) buckets are dropped by
 * `sweep()`, and past `maxKeys` the oldest bucket is evicted, so a flood of distinct clients
 * cannot grow memory without bound.
 */
import { type Clock } from '@switchyard/core';
import { OldestFirstMap } from '@switchyard/core/internal';

export interface BucketOptions {
  /** Sustained rate. */
  readonly requestsPerSecond: number;
  /** Bucket size (requests allowed at once). @default ceil(requestsPerSecond) */
  readonly burst?: number;
  /** Most keys tracked at once. @default 100000 */
  readonly maxKeys?: number;
}

/** One rate-limit decision per request: 0 when allowed, else ms until a request would be. A shared limiter answers asynchronously. */
export interface RequestLimiter {
  take(key: string): number | Promise<number>;
  /** Drops state that no longer matters (idle buckets). */
  sweep(): void;
}

interface Bucket {
  readonly key: string;
  tokens: number;
  updatedAt: number;
}

export class RateLimiter implements RequestLimiter {
  /**
   * Buckets by key, oldest first for eviction at `maxKeys`: taking a plain Map's first key walks
   * every entry deleted since the Map was last rebuilt, ~23 µs per new client at 100,000 keys,
   * which a flood of distinct clients would pay on every request.
   */
  private readonly buckets = new OldestFirstMap<Bucket>();
  private readonly capacity: number;
  private readonly perMs: number;
  private readonly maxKeys: number;

  constructor(private readonly clock: Clock, options: BucketOptions) {
    this.capacity = options.burst ?? Math.max(1, Math.ceil(options.requestsPerSecond));
    this.perMs = options.requestsPerSecond / 1000;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Takes one token for `key`: returns 0 when allowed, else the ms until a token is available. */
  take(key: string): number {
    const now = this.clock.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      for (let oldest = this.buckets.oldest(); oldest !== undefined && this.buckets.size >= this.maxKeys; oldest = this.buckets.oldest()) {
        this.buckets.delete(oldest.key);
      }
      bucket = { key, tokens: this.capacity, updatedAt: now };
      this.buckets.set(bucket);
    } else {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.updatedAt) * this.perMs);
      bucket.updatedAt = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.perMs);
  }

  /** Drops buckets that have refilled completely (they behave exactly like a new one). */
  sweep(): void {
    const now = this.clock.now();
    this.buckets.deleteWhere((b) => b.tokens + (now - b.updatedAt) * this.perMs >= this.capacity);
  }

  /** Number of keys tracked (for tests and metrics). */
  size(): number {
    return this.buckets.size;
  }
}
