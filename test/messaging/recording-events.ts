/**
 * Records the events a gateway-side transport reports, and lets a test await a HELLO from a given
 * instance. With `forward` (the gateway's own TransportFeed over a RoutingState), every event also
 * goes where the gateway sends it, so the routing state's RESYNC decisions are sent as in a gateway.
 */
import type { ControlFrame, GatewayTransportEvents, HelloFrame, InstanceLink } from '@switchyard/core';
import { within } from '../harness/wait.js';

export class RecordingEvents implements GatewayTransportEvents {
  readonly hellos = new Map<string, { frame: HelloFrame; link: InstanceLink }>();
  readonly frames: ControlFrame[] = [];
  readonly recoveries: string[] = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly forward?: GatewayTransportEvents) {}

  control(frame: ControlFrame, link: InstanceLink): void {
    this.frames.push(frame);
    this.forward?.control(frame, link);
    if (frame.type === 'HELLO') this.hellos.set(frame.payload.instance.instanceId, { frame, link });
    if (frame.type === 'GOODBYE') this.hellos.delete(frame.payload.instanceId);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  readonly lostIds: string[] = [];

  lost(instanceId: string, reason: string): void {
    this.lostIds.push(instanceId);
    this.forward?.lost(instanceId, reason);
  }

  recovered(reason: string): void {
    this.recoveries.push(reason);
    this.forward?.recovered?.(reason);
  }

  /** Resolves once `predicate` holds after some control frame (or already holds). */
  async until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
    const reached = (async () => {
      while (!predicate()) await new Promise<void>((resolve) => this.waiters.push(resolve));
    })();
    await within(reached, ms, what);
  }

  waitForHello(instanceId: string, ms = 10_000): Promise<void> {
    return this.until(() => this.hellos.has(instanceId), `HELLO from ${instanceId}`, ms);
  }

  count(type: ControlFrame['type'], instanceId: string): number {
    return this.frames.filter((f) => f.type === type && (f.type === 'HELLO' ? f.payload.instance.instanceId : f.payload.instanceId) === instanceId).length;
  }
}
