/**
 * Instances an operator drained at this gateway: no new requests go to them, requests already
 * dispatched finish. The gateway marks the instance `draining` at once and keeps it so: after
 * every HELLO or HEARTBEAT routing applies for it, {@link afterControl} marks it draining again in
 * the same turn, so no request is routed to it in between. A drained instance that leaves
 * (GOODBYE, lost, stale) is forgotten, so a restarted instance with a new id takes traffic again.
 */
import type { ControlFrame } from '@switchyard/core';
import type { InstanceView, RoutingState } from '@switchyard/core/internal';

export class DrainedInstances {
  private readonly ids = new Set<string>();

  constructor(private readonly routing: RoutingState) {}

  /** Marks `instanceId` draining; false when this gateway does not know it. */
  drain(instanceId: string): boolean {
    const instance = this.routing.instance(instanceId);
    if (instance === undefined) return false;
    this.ids.add(instanceId);
    this.markDraining(instance);
    return true;
  }

  isDrained(instanceId: string): boolean {
    return this.ids.has(instanceId);
  }

  /** Call after routing applied `frame`: a drained instance that a HELLO or HEARTBEAT made healthy again is marked draining. */
  afterControl(frame: ControlFrame): void {
    const id = frame.type === 'HELLO' ? frame.payload.instance.instanceId : frame.payload.instanceId;
    if (!this.ids.has(id)) return;
    const instance = this.routing.instance(id);
    if (instance === undefined) this.ids.delete(id);
    else if (instance.reportedStatus !== 'draining') this.markDraining(instance);
  }

  /**
   * Applies a HEARTBEAT saying `draining`, one past the instance's last seq: the instance's own
   * heartbeat with that seq is then ignored, and the one after is followed by this again. It also
   * counts as seeing the instance now, which its real heartbeats confirm every interval.
   */
  private markDraining(instance: InstanceView): void {
    const seq = instance.lastSeq + 1;
    this.routing.applyControl(
      {
        v: 1,
        type: 'HEARTBEAT',
        id: `admin-drain-${instance.instanceId}-${seq}`,
        sentAt: instance.lastSeenAt,
        payload: { instanceId: instance.instanceId, seq, status: 'draining', inFlight: instance.reportedInFlight, endpointsHash: instance.endpointsHash },
      },
      instance.link,
    );
  }
}
