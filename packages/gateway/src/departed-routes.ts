/**
 * Routes whose last instance left (GOODBYE, lost connection, stale) are remembered for
 * `routing.rememberDepartedMs`, so a request for them answers 503 + Retry-After ("nobody can
 * take it right now, retry") instead of 404 ("no such thing"). During a rolling restart of every
 * instance clients then see a retryable answer. The memory is a second RoutingState holding the
 * last HELLO of each departed instance; it expires them by its own sweep.
 */
import type { Clock, HelloFrame, InstanceLink } from '@switchyard/core';
import { RoutingState } from '@switchyard/core/internal';

export class DepartedRoutes {
  private readonly hellos = new Map<string, { frame: HelloFrame; link: InstanceLink }>();
  private readonly memory: RoutingState | undefined;

  constructor(clock: Clock, rememberMs: number) {
    this.memory = rememberMs <= 0 ? undefined : new RoutingState({ clock, degradedAfterMs: Math.max(1, rememberMs - 1), staleAfterMs: rememberMs, registration: false });
  }

  /** A live instance registered: keep its HELLO until it departs. */
  registered(frame: HelloFrame, link: InstanceLink): void {
    if (this.memory !== undefined) this.hellos.set(frame.payload.instance.instanceId, { frame, link });
  }

  /** The instance left the live routing state: remember its routes. */
  departed(instanceId: string): void {
    const hello = this.hellos.get(instanceId);
    if (hello === undefined || this.memory === undefined) return;
    this.hellos.delete(instanceId);
    this.memory.applyControl(hello.frame, hello.link);
  }

  /** Forgets routes remembered for longer than rememberMs. */
  sweep(): void {
    this.memory?.sweep();
  }

  /** True when `method path` was served by an instance that departed recently. */
  wasServed(method: string, path: string): boolean {
    return this.memory !== undefined && this.memory.match(method, path).kind === 'found';
  }
}
