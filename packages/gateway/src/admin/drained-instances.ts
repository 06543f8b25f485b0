/**
 * Instances an operator drained at this gateway: no new requests go to them, requests already
 * dispatched finish. The gateway marks the instance `draining` at once and keeps it so: every
 * later HEARTBEAT from it is applied as `draining`. A drained instance that leaves (GOODBYE, lost,
 * stale) is forgotten with it, so a restarted instance with a new id takes traffic again.
 */
import type { ControlFrame, InstanceView, RoutingState } from '@switchyard/core';

export class DrainedInstances {
  private readonly ids = new Set<string>();

  constructor(private readonly routing: RoutingState) {}

  /**
   * Marks `instanceId` draining; false when this gateway does not know it. Applied as a HEARTBEAT
   * one past the instance's last seq, so the instance's own next heartbeat (same seq) is ignored
   * and the one after is rewritten by {@link adjust}; it also counts as seeing the instance now.
   */
  drain(instanceId: string): boolean {
    const instance = this.routing.instance(instanceId);
    if (instance === undefined) return false;
    this.ids.add(instanceId);
    this.routing.applyControl(drainingHeartbeat(instance, instance.lastSeq + 1), instance.link);
    return true;
  }

  isDrained(instanceId: string): boolean {
    return this.ids.has(instanceId);
  }

  /** The frame to apply instead of `frame`: a drained instance's HEARTBEAT says `draining`. */
  adjust(frame: ControlFrame): ControlFrame {
    if (frame.type !== 'HEARTBEAT' || !this.ids.has(frame.payload.instanceId)) return frame;
    if (this.routing.instance(frame.payload.instanceId) === undefined) {
      this.ids.delete(frame.payload.instanceId);
      return frame;
    }
    return { ...frame, payload: { ...frame.payload, status: 'draining' } };
  }
}

function drainingHeartbeat(instance: InstanceView, seq: number): ControlFrame {
  return {
    v: 1,
    type: 'HEARTBEAT',
    id: `admin-drain-${instance.instanceId}-${seq}`,
    sentAt: instance.lastSeenAt,
    payload: { instanceId: instance.instanceId, seq, status: 'draining', inFlight: instance.reportedInFlight, endpointsHash: instance.endpointsHash },
  };
}

