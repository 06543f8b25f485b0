/**
 * One consumer of one queue, as core's BackendConsumer: its parts each do one job (see
 * docs/messaging-transport.md and the package README for the Valkey mapping):
 * lease-reader.ts reads (XREADGROUP on its own connection), reclaimer.ts claims expired and due
 * deliveries on a cadence (XAUTOCLAIM), lease-settler.ts settles (fenced ack, renew, release,
 * dead-letter), held-leases.ts keeps each delivery's fence, consumer-group.ts keeps the group.
 */
import { QueueClosedError, type BackendConsumer, type ConsumptionMode, type RawLease, type SettleOutcome } from '@switchyard/core';
import { ConsumerGroup } from './consumer-group.js';
import type { ConsumerContext, ConsumerIdentity } from './consumer-context.js';
import { HeldLeases } from './held-leases.js';
import { LeaseReader } from './lease-reader.js';
import { LeaseSettler } from './lease-settler.js';
import { Reclaimer } from './reclaimer.js';

export type { ConsumerContext } from './consumer-context.js';

export class ValkeyConsumer implements BackendConsumer {
  private readonly who: ConsumerIdentity;
  private readonly reader: LeaseReader;
  private readonly settler: LeaseSettler;
  private readonly stopping = new AbortController();
  private active: Promise<RawLease[]> | undefined;
  private closing: Promise<void> | undefined;

  private readonly consumerGroup: ConsumerGroup;

  constructor(
    private readonly ctx: ConsumerContext,
    readonly mode: ConsumptionMode,
    readonly group: string,
    readonly consumerName: string,
    private readonly onClosed: () => void,
  ) {
    this.who = { ctx, mode, group, consumerName };
    const held = new HeldLeases(ctx.clock);
    const consumerGroup = new ConsumerGroup(this.who);
    this.consumerGroup = consumerGroup;
    const reclaimer = new Reclaimer(this.who, consumerGroup, held);
    this.reader = new LeaseReader(this.who, consumerGroup, reclaimer, held, this.stopping.signal);
    this.settler = new LeaseSettler(this.who, held, reclaimer);
  }

  /** Resolves once the consumer group exists on the server (a fan-out group starts at the stream's end); never rejects. */
  opened(): Promise<void> {
    return this.consumerGroup.ensure().catch(() => undefined);
  }

  lease(max: number, leaseMs: number, blockMs: number, signal?: AbortSignal): Promise<RawLease[]> {
    if (this.closing !== undefined) return Promise.reject(new QueueClosedError(this.ctx.spec.name, 'lease'));
    if (signal?.aborted) return Promise.resolve([]);
    const run = this.reader.lease(max, leaseMs, blockMs, signal);
    this.active = run;
    return run.finally(() => {
      if (this.active === run) this.active = undefined;
    });
  }

  ack(leases: readonly RawLease[]): Promise<SettleOutcome[]> {
    return this.settler.ack(leases);
  }

  renew(lease: RawLease, leaseMs: number): Promise<number> {
    return this.settler.renew(lease, leaseMs);
  }

  release(lease: RawLease, delayMs: number): Promise<void> {
    return this.settler.release(lease, delayMs);
  }

  deadLetter(lease: RawLease, reason: string, payload?: Uint8Array): Promise<void> {
    return this.settler.deadLetter(lease, reason, payload);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { ctx } = this;
    this.stopping.abort(new QueueClosedError(ctx.spec.name, 'lease'));
    try {
      await this.active?.catch(() => undefined);
      // Nothing stays leased forever: what this consumer still holds goes back now. While the
      // server is unreachable that is skipped: held leases expire, a fan-out group is swept.
      const connected = ctx.client.status === 'ready';
      if (connected) await this.settler.releaseAllHeld();
      if (this.mode === 'fanout' && connected) {
        await ctx.client.xgroup('DESTROY', ctx.keys.stream, this.group).catch((err: unknown) => {
          ctx.logger.warn({ queue: ctx.spec.name, group: this.group, err }, 'could not remove the fan-out group');
        });
      }
    } finally {
      this.reader.disconnect();
      this.onClosed();
    }
  }
}
