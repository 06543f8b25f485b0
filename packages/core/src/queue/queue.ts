/**
 * A named queue over a backend queue: enqueue (calls of one event-loop turn become one backend
 * call), consumers, the default competing consumer behind lease(), subscribe(), dead letters, stats.
 */
import type { Clock } from '../clock.js';
import { QueueClosedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { checkConsumerOptions, checkEnqueueOptions, checkSubscribeOptions } from './arguments.js';
import type { BackendQueue, RawMessage } from './backend.js';
import { Consumer } from './consumer.js';
import { DeadLetters } from './dead-letters.js';
import { TickBatcher } from './tick-batcher.js';
import type {
  QueueActivity,
  ConsumerOptions,
  DeadLetterStore,
  EnqueueOptions,
  Lease,
  LeaseRequest,
  MessageHandler,
  MessageQueue,
  QueueConsumer,
  QueueOptions,
  QueueStats,
  SubscribeOptions,
  Subscription,
} from './types.js';

export interface QueueContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newConsumerName: () => string;
  /** The backend reads `tail` consumers itself (capabilities.tailRead); otherwise they are competing consumers. */
  readonly tailRead: boolean;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export class Queue<T> implements MessageQueue<T> {
  readonly deadLetters: DeadLetterStore<T>;
  private readonly consumers = new Set<Consumer<T>>();
  private defaultConsumer: Consumer<T> | undefined;
  private closing: Promise<void> | undefined;
  private readonly enqueues: TickBatcher<RawMessage, string>;

  constructor(
    readonly name: string,
    readonly options: QueueOptions<T>,
    private readonly backend: BackendQueue,
    private readonly ctx: QueueContext,
    private readonly onClosed: () => void,
  ) {
    this.deadLetters = new DeadLetters(name, backend, options.codec, () => this.closing !== undefined);
    this.enqueues = new TickBatcher((raws) => this.backend.enqueue(raws));
  }

  enqueue(message: T, options?: EnqueueOptions): Promise<string> {
    try {
      return this.enqueues.push(this.toRaw(message, options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async enqueueBatch(items: ReadonlyArray<{ message: T; options?: EnqueueOptions }>): Promise<string[]> {
    const raws = items.map((item) => this.toRaw(item.message, item.options));
    if (raws.length === 0) return [];
    return this.backend.enqueue(raws);
  }

  private toRaw(message: T, options: EnqueueOptions | undefined): RawMessage {
    if (this.closing !== undefined) throw new QueueClosedError(this.name, 'enqueue');
    checkEnqueueOptions(options);
    const payload = this.options.codec.encode(message);
    if (options === undefined) return { payload, headers: NO_HEADERS };
    return {
      payload,
      headers: options.headers ?? NO_HEADERS,
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
      ...(options.delayMs === undefined || options.delayMs === 0 ? {} : { delayMs: options.delayMs }),
    };
  }

  consumer(options: ConsumerOptions = {}): QueueConsumer<T> {
    return this.openConsumer(options);
  }

  private openConsumer(options: ConsumerOptions): Consumer<T> {
    checkConsumerOptions(options);
    if (this.closing !== undefined) throw new QueueClosedError(this.name, 'open a consumer');
    const asked = options.mode ?? 'competing';
    const mode = asked === 'tail' && !this.ctx.tailRead ? 'competing' : asked;
    const backendConsumer = this.backend.openConsumer({
      mode,
      group: options.group ?? 'default',
      consumerName: this.ctx.newConsumerName(),
    });
    const consumer: Consumer<T> = new Consumer(
      { queueName: this.name, options: this.options, clock: this.ctx.clock, logger: this.ctx.logger },
      backendConsumer,
      mode,
      () => this.consumers.delete(consumer),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  lease(request?: LeaseRequest): Promise<Lease<T>[]> {
    if (this.closing !== undefined) return Promise.reject(new QueueClosedError(this.name, 'lease'));
    this.defaultConsumer ??= this.openConsumer({});
    return this.defaultConsumer.lease(request);
  }

  subscribe(handler: MessageHandler<T>, options: SubscribeOptions = {}): Subscription {
    checkSubscribeOptions(options);
    const consumer = this.openConsumer({
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.group === undefined ? {} : { group: options.group }),
    });
    // The consumer exists only for this subscription; closing it also removes a fan-out group.
    return consumer.startLoop(handler, options, () => (consumer.isClosed() ? Promise.resolve() : consumer.close()));
  }

  stats(): Promise<QueueStats> {
    if (this.closing !== undefined) return Promise.reject(new QueueClosedError(this.name, 'read stats'));
    return this.backend.stats();
  }

  activity(): Promise<QueueActivity | undefined> {
    if (this.closing !== undefined) return Promise.reject(new QueueClosedError(this.name, 'read activity'));
    return this.backend.activity?.() ?? Promise.resolve(undefined);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    try {
      await Promise.all([...this.consumers].map((c) => c.close()));
      await this.backend.close();
    } finally {
      this.onClosed();
    }
  }
}
