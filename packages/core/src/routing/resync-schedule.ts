/**
 * When a RESYNC to an instance is due: at most one per instance per `resyncMinIntervalMs`, so a
 * burst of HEARTBEATs (a backlog, several links, a recovering backend) asks an instance for its
 * HELLO once rather than once per frame. RoutingState is its only user.
 */
export class ResyncSchedule {
  /** Instance id → when the last RESYNC to it was asked for. */
  private readonly lastAt = new Map<string, number>();

  constructor(private readonly minIntervalMs: number) {}

  /** True (and the time noted) when no RESYNC to `instanceId` was asked for within the interval. */
  due(instanceId: string, now: number): boolean {
    const last = this.lastAt.get(instanceId);
    if (last !== undefined && now - last < this.minIntervalMs) return false;
    this.lastAt.set(instanceId, now);
    return true;
  }

  /** The instance answered (HELLO) or left (GOODBYE): the next RESYNC to it is due at once. */
  forget(instanceId: string): void {
    this.lastAt.delete(instanceId);
  }

  /** Drops entries whose interval has passed, so instances that never answered are not kept forever. */
  sweep(now: number): void {
    for (const [id, at] of this.lastAt) if (now - at >= this.minIntervalMs) this.lastAt.delete(id);
  }
}
