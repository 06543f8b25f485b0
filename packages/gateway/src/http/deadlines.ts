/**
 * Request deadlines without one timer per request: every in-flight dispatch registers its
 * deadline here and one Clock tick (every `resolutionMs`) aborts the expired ones with reason
 * `timeout`. A per-request AbortController + timer costs a DOMException and several listeners
 * per request on the hot path; this costs one Map entry. Deadlines fire up to `resolutionMs` late.
 */
import type { Clock } from '@switchyard/core';

export class Deadlines {
  private readonly entries = new Map<AbortController, number>();
  private stopTick: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly resolutionMs = 10,
  ) {}

  /** Aborts `controller` with reason 'timeout' once `deadline` (epoch ms) has passed, unless removed first. */
  add(controller: AbortController, deadline: number): void {
    this.entries.set(controller, deadline);
    this.stopTick ??= this.clock.every(this.resolutionMs, () => this.tick());
  }

  remove(controller: AbortController): void {
    this.entries.delete(controller);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stops the tick (idempotent); registered deadlines no longer fire. */
  stop(): void {
    this.stopTick?.();
    this.stopTick = undefined;
  }

  private tick(): void {
    if (this.entries.size === 0) return;
    const now = this.clock.now();
    for (const [controller, deadline] of this.entries) {
      if (deadline <= now) {
        this.entries.delete(controller);
        controller.abort('timeout');
      }
    }
  }
}
