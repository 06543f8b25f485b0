/**
 * Instances an operator drained. Draining has two effects: this gateway marks the instance
 * `draining` at once, and it sends the instance a DRAIN frame over the transport the instance
 * registered on (the way RESYNC is sent). The instance then stops taking new requests (over a
 * queue it stops pulling them), finishes those it holds, and says `draining` in its heartbeats,
 * which is how every other gateway replica learns it.
 *
 * The local mark covers the time until the instance's own heartbeats say so: after every HELLO or
 * HEARTBEAT routing applies for it, {@link afterControl} marks it draining again in the same turn,
 * so no request is routed to it here in between. A drained instance that leaves (GOODBYE, lost,
 * stale) is forgotten, so a restarted instance takes traffic again.
 */
import type { ControlFrame, DrainPayload, GatewayTransport, TransportType } from '@switchyard/core';
import type { InstanceView, RoutingState } from '@switchyard/core/internal';

/** What a drain did: whether the instance is known here, and whether the DRAIN frame went out. */
export type DrainOutcome =
  | { readonly known: false }
  | { readonly known: true; readonly told: true }
  | { readonly known: true; readonly told: false; readonly why: string };

export class DrainedInstances {
  private readonly ids = new Set<string>();

  constructor(
    private readonly routing: RoutingState,
    private readonly transportOf: (type: TransportType) => GatewayTransport | undefined,
  ) {}

  /** Marks `instanceId` draining here, then sends it DRAIN. `known: false` when this gateway does not know it. */
  async drain(instanceId: string, request: Omit<DrainPayload, 'instanceId'> = {}): Promise<DrainOutcome> {
    const instance = this.routing.instance(instanceId);
    if (instance === undefined) return { known: false };
    this.ids.add(instanceId);
    this.markDraining(instance);
    const transport = this.transportOf(instance.link.transport);
    if (transport?.drain === undefined) return { known: true, told: false, why: `the ${instance.link.transport} transport cannot carry DRAIN` };
    try {
      await transport.drain({ instanceId, service: instance.service, version: instance.version, link: instance.link }, { instanceId, ...request });
      return { known: true, told: true };
    } catch (err) {
      return { known: true, told: false, why: (err as Error).message };
    }
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
