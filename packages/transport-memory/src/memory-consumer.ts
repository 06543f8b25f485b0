/**
 * A backend consumer of a memory queue. A lease with nothing to deliver waits for a change on the
 * queue (enqueue, release, a consumer leaving) or for the Clock to reach the next lease expiry or
 * due time, whichever is first, up to blockMs. An abort during the wait returns what it has: none.
 */
import { QueueClosedError, type BackendConsumer, type BackendConsumerSpec, type Clock, type RawLease, type SettleOutcome } from '@switchyard/core';
import type { GroupState } from './group.js';
import type { MemoryQueueState } from './queue-state.js';

export class MemoryConsumer implements BackendConsumer {
  private closed = false;
  private readonly group: GroupState;
  /** Aborts blocked leases when the consumer closes. */
  private readonly closing = new AbortController();

  constructor(
    private readonly state: MemoryQueueState,
    private readonly spec: BackendConsumerSpec,
    private readonly clock: Clock,
    private readonly onClose: () => void,
  ) {
    // A fan-out or tail consumer gets a private group named after itself.
    const group = spec.mode === 'competing' ? spec.group : `${spec.mode}:${spec.consumerName}`;
    this.group = state.joinGroup(spec.mode, group, spec.consumerName);
  }

  async lease(max: number, leaseMs: number, blockMs: number, signal?: AbortSignal): Promise<RawLease[]> {
    this.assertOpen('lease');
    const deadline = this.clock.now() + blockMs;
    for (;;) {
      const now = this.clock.now();
      const got = this.state.lease(this.group, this.spec.consumerName, max, leaseMs, now);
      if (got.length > 0 || now >= deadline || signal?.aborted || this.closed) return got;
      await this.waitForChange(Math.min(deadline, this.state.nextWakeAt(this.group)) - now, signal);
    }
  }

  /**
   * Resolves on the first of: a change to the queue, `ms` passing, `signal` aborting, close().
   * No AbortController per wait: this runs once per blocking lease, and on Node 20 every
   * controller is promoted to the old generation (a queue loop spent its GC time on them).
   */
  private waitForChange(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let woken = false;
      let cancelTimer: (() => void) | undefined;
      const closing = this.closing.signal;
      const wake = (): void => {
        if (woken) return;
        woken = true;
        cancelTimer?.();
        off();
        closing.removeEventListener('abort', wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const off = this.state.onChange(wake);
      closing.addEventListener('abort', wake, { once: true });
      signal?.addEventListener('abort', wake, { once: true });
      if (!woken) cancelTimer = this.clock.after(Math.max(0, ms), wake);
    });
  }

  async ack(leases: readonly RawLease[]): Promise<SettleOutcome[]> {
    if (this.group.mode === 'tail') return leases.map(() => 'ok');
    return this.state.ack(this.group, leases);
  }

  async renew(lease: RawLease, leaseMs: number): Promise<number> {
    if (this.group.mode === 'tail') return lease.leaseExpiresAt;
    return this.state.renew(this.group, lease, this.spec.consumerName, leaseMs, this.clock.now());
  }

  async release(lease: RawLease, delayMs: number): Promise<void> {
    this.state.release(this.group, lease, this.spec.consumerName, delayMs, this.clock.now());
  }

  async deadLetter(lease: RawLease, reason: string, payload?: Uint8Array): Promise<void> {
    if (this.group.mode === 'tail') return this.state.deadLetterTail(lease, reason, this.clock.now(), payload);
    this.state.deadLetter(this.group, lease, this.spec.consumerName, reason, this.clock.now(), payload);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.state.leaveGroup(this.group, this.spec.consumerName, this.clock.now());
    this.onClose();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new QueueClosedError(this.state.name, operation);
  }
}
