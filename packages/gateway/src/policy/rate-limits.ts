/**
 * Builds the gateway's rate limiters from `rateLimit` config (docs/configuration.md, `rateLimit`):
 * per client and per route, each local to this replica, or with `rateLimit.shared` decided in the
 * rate-limit store of a transport's backend (shared by every replica on it) with the local limiter
 * as the fallback.
 */
import type { Clock, GatewayTransport, Logger, RateLimitStore } from '@switchyard/core';
import type { RateLimitConfig } from '../config/schema.js';
import { GatewayConfigError } from '../errors.js';
import { RateLimiter, type RequestLimiter } from './rate-limiter.js';
import { SharedLimitFallbacks, SharedRateLimiter } from './shared-rate-limiter.js';

export interface RateLimiters {
  readonly client: RequestLimiter | undefined;
  readonly route: RequestLimiter | undefined;
  /** Fallback counts; undefined without `rateLimit.shared`. */
  readonly fallbacks: SharedLimitFallbacks | undefined;
}

export function createRateLimiters(config: RateLimitConfig, transports: readonly GatewayTransport[], clock: Clock, logger: Logger): RateLimiters {
  const localClient = config.perClient === undefined ? undefined : new RateLimiter(clock, { ...config.perClient, maxKeys: config.maxClients });
  const localRoute = config.perRoute === undefined ? undefined : new RateLimiter(clock, config.perRoute);
  if (config.shared === undefined) return { client: localClient, route: localRoute, fallbacks: undefined };
  const store = sharedStore(transports);
  const fallbacks = new SharedLimitFallbacks();
  const shared = (limit: string, local: RateLimiter | undefined, bucket: { requestsPerSecond: number; burst?: number | undefined } | undefined): RequestLimiter | undefined =>
    local === undefined || bucket === undefined
      ? undefined
      : new SharedRateLimiter(
          store,
          local,
          { limit, requestsPerSecond: bucket.requestsPerSecond, burst: bucket.burst ?? Math.max(1, Math.ceil(bucket.requestsPerSecond)), timeoutMs: config.shared!.timeoutMs },
          fallbacks,
          clock,
          logger,
        );
  return { client: shared('client', localClient, config.perClient), route: shared('route', localRoute, config.perRoute), fallbacks };
}

function sharedStore(transports: readonly GatewayTransport[]): RateLimitStore {
  for (const t of transports) {
    const store = t.rateLimitStore?.();
    if (store !== undefined) return store;
  }
  throw new GatewayConfigError(
    [`rateLimit.shared needs a transport whose backend shares rate limits (a messaging transport on valkey); the transports here are ${transports.map((t) => t.type).join(', ')}`],
    'rateLimit config',
  );
}
