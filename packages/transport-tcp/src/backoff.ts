/**
 * Reconnect delays: capped exponential with full jitter, so a fleet of instances that lost the
 * same gateway does not reconnect in lock-step.
 */

/** A delay in [0, min(maxMs, minMs · 2^attempt)], attempt 0-based. `random` is injectable for tests. */
export function reconnectDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * ceiling);
}
