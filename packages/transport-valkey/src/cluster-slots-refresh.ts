/**
 * ioredis (5.11) re-arms a Cluster client's periodic slots refresh (`slotsRefreshInterval`) from
 * the callback of a refresh that was in flight when the client was closed. The timer then fires
 * every interval forever, each refresh failing at once on the emptied connection pool, and keeps
 * the process from exiting. Once the client has ended, this waits for that refresh, if any, and
 * clears the timer after it. It uses two members ioredis keeps private (`isRefreshing`,
 * `clearNodesRefreshInterval`); should they go, it does nothing.
 */
import type { Cluster } from 'ioredis';

interface RefreshInternals {
  readonly isRefreshing?: boolean;
  readonly clearNodesRefreshInterval?: () => void;
}

export function clearSlotsRefreshOnEnd(cluster: Cluster): void {
  cluster.once('end', () => {
    const internals = cluster as unknown as RefreshInternals;
    const clear = (): void => internals.clearNodesRefreshInterval?.call(cluster);
    // A refresh's callbacks run in the order they were given: the one that re-arms the timer
    // first, then this one.
    if (internals.isRefreshing === true) cluster.refreshSlotsCache(clear);
    else clear();
  });
}
