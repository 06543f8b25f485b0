/**
 * Which instances may take a request, in preference order, and which one gets it:
 * healthy first, degraded only when no instance is healthy, draining and stale never; within
 * that, the caller's region first. pick() then takes the least loaded (by this gateway's own
 * in-flight count) and breaks ties round robin, so equal instances share load evenly.
 */
import type { InstanceHealth } from './types.js';

export interface Selectable {
  readonly instanceId: string;
  readonly region: string;
  readonly health: InstanceHealth;
  readonly localInFlight: number;
}

/** Eligible instances in preference order: one health tier (healthy, else degraded), same region first. */
export function orderEligible<T extends Selectable>(instances: readonly T[], region: string | undefined): T[] {
  const healthy = instances.filter((i) => i.health === 'healthy');
  const tier = healthy.length > 0 ? healthy : instances.filter((i) => i.health === 'degraded');
  if (region === undefined) return tier;
  const local = tier.filter((i) => i.region === region);
  return local.length === 0 || local.length === tier.length ? tier : [...local, ...tier.filter((i) => i.region !== region)];
}

/** Round-robin cursors, one per service version, so picks rotate among equally loaded instances. */
export class RoundRobin {
  private readonly cursors = new Map<string, number>();

  /** From ordered eligible instances: the caller's region group if it has any, least in-flight, rotating on ties. */
  choose<T extends Selectable>(key: string, ordered: readonly T[], region: string | undefined): T | undefined {
    if (ordered.length === 0) return undefined;
    const first = ordered[0] as T;
    const group = region !== undefined && first.region === region ? ordered.filter((i) => i.region === region) : ordered;
    let least = Infinity;
    for (const i of group) least = Math.min(least, i.localInFlight);
    const tied = group.filter((i) => i.localInFlight === least);
    return tied[this.advance(key) % tied.length];
  }

  /** Moves `key`'s cursor on by one and returns its previous position. */
  advance(key: string): number {
    const n = this.cursors.get(key) ?? 0;
    this.cursors.set(key, (n + 1) % 1_000_000_007);
    return n;
  }

  forget(key: string): void {
    this.cursors.delete(key);
  }
}
