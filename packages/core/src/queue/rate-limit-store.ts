/**
 * The shared rate-limit store: one decision per request against a limit every gateway replica
 * shares (docs/operations.md, "Shared rate limits"). A backend that spans processes offers it
 * through `QueueBackend.rateLimitStore()`; the gateway owns the policy (which key, which limit,
 * the fallback to its own limiter when the store cannot answer in time).
 *
 * The decision is GCRA (the generic cell rate algorithm): a key holds one number, the time its
 * limit is next free of all burst; a request is allowed when that time is at most
 * `(burst - 1) / requestsPerSecond` ahead of now, and then pushes it `1 / requestsPerSecond`
 * further. Equivalent to a token bucket of size `burst` refilled at `requestsPerSecond`, in one
 * atomic step on the server and with the server's clock, so replicas with skewed clocks agree.
 */
export interface RateLimitStore {
  /** Takes one request from `key`'s limit: resolves 0 when allowed, else the ms until one would be. Rejects when the store cannot be reached. */
  take(key: string, requestsPerSecond: number, burst: number): Promise<number>;
  /** False while the store is known to be unreachable (its connection is down): the caller decides without asking. */
  isReady(): boolean;
}
