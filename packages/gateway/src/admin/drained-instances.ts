/**
 * Instances an operator drained. Draining has two effects: this gateway marks the instance
 * `draining` at once, and it sends the instance a DRAIN frame over the transport the instance
 * registered on (the way RESYNC is sent). The instance then stops taking new requests (over a
 * queue it stops pulling them), finishes those it holds, and says `draining` in its heartbeats,
 * which is how every other gateway replica learns it.
 *
 * The local mark covers the time until the instance's own heartbeats say so: after every HELLO or
 * HEARTBEAT routing applies for it, {@link afterControl} marks it draining again in the same turn,
 * so no request is routed to it here in between. Once a heartbeat of the instance itself says
 * `draining`, the instance has taken over; a later heartbeat saying `healthy` then means it was
 * undrained (through any gateway) and the mark is forgotten. An instance that was never told
 * (its transport cannot carry DRAIN) stays marked here. A drained instance that leaves (GOODBYE,
 * lost, stale) is forgotten, so a restarted instance takes traffic again.
 *
 * {@link undrain} takes a drain back: the mark goes, and the instance is sent UNDRAIN; it takes
 * requests again and its next heartbeat (sent at once) says `healthy` to every gateway.
 */
import type { ControlFrame, DrainPayload, GatewayTransport, TransportType } from '@switchyard/core';
import type { InstanceView, RoutingState } from '@switchyard/core/internal';

/** What a drain or undrain did: whether the instance is known here, and whether the frame went out. */
export type DrainOutcome =
  | { readonly known: false }
  | { readonly known: true; readonly told: true }
  | { readonly known: true; readonly told: false; readonly why: string };

export class DrainedInstances {
  /** Instances drained through this gateway; `confirmed` once a heartbeat of the instance itself said `draining`. */
  private readonly marks = new Map<string, { confirmed: boolean }>();

  constructor(
    private readonly routing: RoutingState,
    private readonly transportOf: (type: TransportType) => GatewayTransport | undefined,
  ) {}

  /** Marks `instanceId` draining here, then sends it DRAIN. `known: false` when this gateway does not know it. */
  async drain(instanceId: string, request: Omit<DrainPayload, 'instanceId'> = {}): Promise<DrainOutcome> {
    const instance = this.routing.instance(instanceId);
    if (instance === undefined) return { known: false };
    this.marks.set(instanceId, { confirmed: false });
    this.markDraining(instance);
    return this.tell(instance, 'drain', { instanceId, ...request });
  }

  /**
   * Forgets the mark and sends UNDRAIN (whichever gateway drained it). The instance shows
   * `healthy` again here once its own heartbeat says so (it sends one at once).
   */
  async undrain(instanceId: string, request: Omit<DrainPayload, 'instanceId'> = {}): Promise<DrainOutcome> {
    const instance = this.routing.instance(instanceId);
    if (instance === undefined) return { known: false };
    this.marks.delete(instanceId);
    return this.tell(instance, 'undrain', { instanceId, ...request });
  }

  private async tell(instance: InstanceView, what: 'drain' | 'undrain', payload: DrainPayload): Promise<DrainOutcome> {
    const transport = this.transportOf(instance.link.transport);
    const send = transport?.[what];
    if (transport === undefined || send === undefined) return { known: true, told: false, why: `the ${instance.link.transport} transport cannot carry ${what.toUpperCase()}` };
    try {
      await send.call(transport, { instanceId: instance.instanceId, service: instance.service, version: instance.version, link: instance.link }, payload);
      return { known: true, told: true };
    } catch (err) {
      return { known: true, told: false, why: (err as Error).message };
    }
  }

  isDrained(instanceId: string): boolean {
    return this.marks.has(instanceId);
  }

  /** Call after routing applied `frame` (HELLO, HEARTBEAT or GOODBYE): keeps a marked instance draining until it says so itself. */
  afterControl(frame: ControlFrame): void {
    const id = frame.type === 'HELLO' ? frame.payload.instance.instanceId : frame.payload.instanceId;
    const mark = this.marks.get(id);
    if (mark === undefined) return;
    const instance = this.routing.instance(id);
    if (instance === undefined) {
      this.marks.delete(id);
      return;
    }
    if (frame.type === 'HEARTBEAT') {
      if (frame.payload.status === 'draining') {
        mark.confirmed = true;
        return;
      }
      if (mark.confirmed) {
        // It said draining, and now says healthy: an UNDRAIN reached it (through another gateway).
        this.marks.delete(id);
        return;
      }
    }
    // A HELLO registers healthy; the instance's draining heartbeat follows it, and this covers the gap.
    if (instance.reportedStatus !== 'draining') this.markDraining(instance);
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
