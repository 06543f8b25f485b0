/**
 * One consumer identity over a backend consumer: leases are decoded here, and deliveries that
 * cannot be handed out are dead-lettered here, once for every backend: attempt beyond
 * maxDeliveries → `max-deliveries`; a payload the codec cannot decode → `decode-error`, or
 * `unauthenticated` when the codec refused it as unauthenticated (a signing codec, SY_PROTOCOL_UNAUTHENTICATED_FRAME).
 * Neither reaches a handler, neither stops the consumer.
 */
import type { Clock } from '../clock.js';
import { ERROR_CODES, hasCode, QueueClosedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { checkLeaseRequest, checkSubscribeOptions } from './arguments.js';
import { DEAD_LETTER_REASONS } from './dead-letter-reasons.js';
import type { BackendConsumer, RawLease, SettleOutcome } from './backend.js';
import { LeaseLostError } from '../errors.js';
import { QueueLease, type LeaseOwner } from './lease.js';
import { SubscriptionLoop } from './subscription.js';
import { TickBatcher } from './tick-batcher.js';
import type { ConsumptionMode, Lease, LeaseRequest, MessageHandler, QueueConsumer, QueueOptions, SubscribeOptions, Subscription } from './types.js';

// Re-exported where it always was; the table of reasons is dead-letter-reasons.ts.
export { DEAD_LETTER_REASONS };

const ACKED: Promise<void> = Promise.resolve();

export interface ConsumerContext<T> {
  readonly queueName: string;
  readonly options: QueueOptions<T>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class Consumer<T> implements QueueConsumer<T>, LeaseOwner {
  private closing: Promise<void> | undefined;
  private readonly subscriptions = new Set<SubscriptionLoop<T>>();
  private readonly acks: TickBatcher<RawLease, undefined>;
  readonly queueName: string;
  /** A tail delivery's ack tells the backend nothing (ackBatched): the subscription loop need not wait for it. */
  readonly acksAtOnce: boolean;

  constructor(
    private readonly ctx: ConsumerContext<T>,
    readonly backend: BackendConsumer,
    readonly mode: ConsumptionMode,
    private readonly onClosed: () => void,
  ) {
    this.queueName = ctx.queueName;
    this.acksAtOnce = mode === 'tail';
    this.acks = new TickBatcher((raws) => this.ackMany(raws), 'settle');
  }

  deadLetterPayload(raw: RawLease): Uint8Array | undefined {
    return this.ctx.options.codec.redactForDeadLetter?.(raw.payload);
  }

  ackBatched(raw: RawLease): Promise<void> {
    // A tail delivery holds nothing: there is nothing to tell the backend.
    if (this.mode === 'tail') return ACKED;
    return this.acks.push(raw) as Promise<undefined>;
  }

  releaseLease(raw: RawLease, delayMs: number): Promise<void> {
    if (this.mode !== 'tail') return this.backend.release(raw, delayMs);
    this.ctx.logger.warn({ queue: this.queueName, id: raw.id }, 'a tail delivery was released: dead-lettered, since nothing redelivers it');
    return this.backend.deadLetter(raw, DEAD_LETTER_REASONS.tailReleased, this.deadLetterPayload(raw));
  }

  private async ackMany(raws: RawLease[]): Promise<ReadonlyArray<undefined | Error>> {
    const outcomes: SettleOutcome[] = await this.backend.ack(raws);
    return outcomes.map((o, i) => (o === 'ok' ? undefined : new LeaseLostError(this.queueName, raws[i]!.id)));
  }

  async lease(request: LeaseRequest = {}): Promise<Lease<T>[]> {
    checkLeaseRequest(request);
    if (this.closing !== undefined) throw new QueueClosedError(this.queueName, 'lease');
    if (request.signal?.aborted) throw request.signal.reason;
    const leaseMs = request.leaseMs ?? this.ctx.options.leaseMs;
    const raws = await this.backend.lease(request.max ?? 1, leaseMs, request.blockMs ?? 0, request.signal);
    return await this.admit(raws, leaseMs, false);
  }

  opened(): Promise<void> {
    return this.backend.opened?.() ?? Promise.resolve();
  }

  leaseForLoop(max: number, leaseMs: number, blockMs: number, signal: AbortSignal): Promise<QueueLease<T>[]> {
    if (this.closing !== undefined) return Promise.reject(new QueueClosedError(this.queueName, 'lease'));
    return this.backend.lease(max, leaseMs, blockMs, signal).then((raws) => this.admit(raws, leaseMs, true));
  }

  /**
   * Decodes; dead-letters what must not be delivered (awaited, so stats are right when lease()
   * returns). Synchronous when nothing is refused, which is nearly always: no promise per read.
   */
  private admit(raws: readonly RawLease[], leaseMs: number, forLoop: boolean): QueueLease<T>[] | Promise<QueueLease<T>[]> {
    const out: QueueLease<T>[] = [];
    let refused: Promise<void>[] | undefined;
    const { codec, maxDeliveries } = this.ctx.options;
    for (const raw of raws) {
      if (raw.attempt > maxDeliveries) {
        (refused ??= []).push(this.refuse(raw, DEAD_LETTER_REASONS.maxDeliveries, undefined));
        continue;
      }
      let message: T;
      try {
        message = codec.decode(raw.payload);
      } catch (err) {
        const reason = hasCode(err, ERROR_CODES.UnauthenticatedFrame) ? DEAD_LETTER_REASONS.unauthenticated : DEAD_LETTER_REASONS.decodeError;
        (refused ??= []).push(this.refuse(raw, reason, err));
        continue;
      }
      out.push(new QueueLease(this, raw, message, leaseMs, forLoop));
    }
    return refused === undefined ? out : Promise.all(refused).then(() => out);
  }

  private async refuse(raw: RawLease, reason: string, cause: unknown): Promise<void> {
    this.ctx.logger.warn({ queue: this.queueName, id: raw.id, attempt: raw.attempt, reason, err: cause }, 'dead-lettering a delivery');
    try {
      await this.backend.deadLetter(raw, reason, this.deadLetterPayload(raw));
    } catch (err) {
      // Lost: another consumer holds it now and will make the same decision.
      if (!hasCode(err, ERROR_CODES.LeaseLost)) {
        this.ctx.logger.error({ queue: this.queueName, id: raw.id, err }, 'dead-lettering failed; the message will be redelivered');
      }
    }
  }

  subscribe(handler: MessageHandler<T>, options: Omit<SubscribeOptions, 'mode' | 'group'> = {}): Subscription {
    return this.startLoop(handler, options, undefined);
  }

  /** Used by MessageQueue.subscribe(), which closes this consumer when the loop ends. */
  startLoop(handler: MessageHandler<T>, options: SubscribeOptions, afterDrain: (() => Promise<void>) | undefined): SubscriptionLoop<T> {
    checkSubscribeOptions(options);
    if (typeof handler !== 'function') throw new TypeError('subscribe handler must be a function');
    if (this.closing !== undefined) throw new QueueClosedError(this.queueName, 'subscribe');
    const loop: SubscriptionLoop<T> = new SubscriptionLoop(
      this,
      handler,
      {
        concurrency: options.concurrency ?? 1,
        leaseMs: options.leaseMs ?? this.ctx.options.leaseMs,
        blockMs: options.blockMs ?? 1_000,
        retryBaseMs: options.retryBackoff?.baseMs ?? 100,
        retryMaxMs: options.retryBackoff?.maxMs ?? 30_000,
        drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
      },
      this.ctx.clock,
      this.ctx.logger,
      options.signal,
      async () => {
        this.subscriptions.delete(loop);
        if (afterDrain !== undefined) await afterDrain();
      },
    );
    this.subscriptions.add(loop);
    return loop;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  isClosed(): boolean {
    return this.closing !== undefined;
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    try {
      await this.backend.close();
    } finally {
      this.onClosed();
    }
  }
}
