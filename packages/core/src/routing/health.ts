/**
 * Instance health from the last heartbeat and the clock (docs/configuration.md, `health`). Computed on read, so
 * routing never uses an instance past its thresholds even between two sweeps.
 */
import type { InstanceStatus } from '../protocol/frames.js';
import type { InstanceHealth } from './types.js';

export interface HealthInputs {
  readonly reportedStatus: InstanceStatus;
  readonly lastSeenAt: number;
}

export function healthAt(instance: HealthInputs, now: number, degradedAfterMs: number, staleAfterMs: number): InstanceHealth {
  const silentFor = now - instance.lastSeenAt;
  // Stale first: a draining instance that stops heartbeating must still be removed.
  if (silentFor >= staleAfterMs) return 'stale';
  if (instance.reportedStatus === 'draining') return 'draining';
  if (silentFor >= degradedAfterMs || instance.reportedStatus === 'degraded') return 'degraded';
  return 'healthy';
}

/** Healthy and degraded instances may take new work; draining and stale never. */
export const takesWork = (health: InstanceHealth): boolean => health === 'healthy' || health === 'degraded';

/** Every health value, in order from best to worst (metric labels, views). */
export const INSTANCE_HEALTHS: readonly InstanceHealth[] = Object.freeze(['healthy', 'degraded', 'draining', 'stale']);
