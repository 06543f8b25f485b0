/**
 * A minimal stand-in for the gateway's routing state: records the control frames a gateway-side
 * transport reports, and lets a test await a HELLO from a given instance.
 */
import type { ControlFrame, GatewayTransportEvents, HelloFrame, InstanceLink } from '@switchyard/core';
import { within } from '../harness/wait.js';

export class RecordingEvents implements GatewayTransportEvents {
  readonly hellos = new Map<string, { frame: HelloFrame; link: InstanceLink }>();
  readonly frames: ControlFrame[] = [];
  private waiters: Array<() => void> = [];

  control(frame: ControlFrame, link: InstanceLink): void {
    this.frames.push(frame);
    if (frame.type === 'HELLO') this.hellos.set(frame.payload.instance.instanceId, { frame, link });
    if (frame.type === 'GOODBYE') this.hellos.delete(frame.payload.instanceId);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  readonly lostIds: string[] = [];

  lost(instanceId: string): void {
    this.lostIds.push(instanceId);
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
