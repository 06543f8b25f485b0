/**
 * createQueueFactory turns a backend's primitives into the queue contract, once for every backend
 * (packages/core/README.md, "Queue layer"): option validation, codecs, decode-error and max-deliveries dead-lettering, fenced
 * settle-once leases, the subscribe loop, unique consumer names, batching of enqueues and acks.
 */
import { systemClock, type Clock } from '../clock.js';
import { InvalidQueueOptionsError, QueueClosedError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { KeyHygiene, QueueBackend } from './backend.js';
import type { RateLimitStore } from './rate-limit-store.js';
import type { RunOnceStore } from './run-once-store.js';
import { newConsumerName } from './consumer-name.js';
import { resolveQueueOptions } from './options.js';
import { Queue } from './queue.js';
import type { BackendStatus, MessageQueue, MessageQueueFactory, QueueCapabilities, QueueOptionsInput } from './types.js';

export interface QueueFactoryOptions {
  /** Drives lease renewal and backoff in subscribe(). Give the backend the same clock. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Replaces the host part of consumer names (`<prefix>-<pid>-<random>`). @default os.hostname() */
  consumerNamePrefix?: string;
}

class QueueFactory implements MessageQueueFactory {
  readonly backend: string;
  readonly capabilities: QueueCapabilities;
  readonly keyHygiene: KeyHygiene | undefined;
  private readonly queues = new Map<string, Queue<unknown>>();
  private closing: Promise<void> | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly prefix: string | undefined;

  constructor(private readonly impl: QueueBackend, options: QueueFactoryOptions) {
    this.backend = impl.name;
    this.capabilities = impl.capabilities;
    this.keyHygiene = impl.keyHygiene;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.prefix = options.consumerNamePrefix;
  }

  queue<T>(name: string, options?: QueueOptionsInput<T>): MessageQueue<T> {
    if (this.closing !== undefined) throw new QueueClosedError(String(name), 'open a queue');
    // Validate even when the queue is already open, so a bad option never passes silently.
    const resolved = resolveQueueOptions<T>(name, options);
    const open = this.queues.get(name);
    if (open !== undefined) return open as MessageQueue<T>;
    if (name.endsWith(resolved.deadLetterSuffix)) {
      throw new InvalidQueueOptionsError(name, [`name must not end with deadLetterSuffix ${JSON.stringify(resolved.deadLetterSuffix)} (that is the dead-letter queue's name)`]);
    }
    const backendQueue = this.impl.open({
      name,
      deadLetterName: name + resolved.deadLetterSuffix,
      leaseMs: resolved.leaseMs,
      maxDeliveries: resolved.maxDeliveries,
      dedupWindowMs: resolved.dedupWindowMs,
      fanoutRetention: resolved.fanoutRetention,
    });
    const queue: Queue<T> = new Queue<T>(
      name,
      resolved,
      backendQueue,
      { clock: this.clock, logger: this.logger, newConsumerName: () => newConsumerName(this.prefix), tailRead: this.capabilities.tailRead === true },
      () => {
        if (this.queues.get(name) === (queue as Queue<unknown>)) this.queues.delete(name);
      },
    );
    this.queues.set(name, queue as Queue<unknown>);
    return queue;
  }

  runOnceStore(): RunOnceStore | undefined {
    return this.impl.runOnceStore?.();
  }

  rateLimitStore(): RateLimitStore | undefined {
    return this.impl.rateLimitStore?.();
  }

  isReady(): boolean {
    return this.closing === undefined && this.impl.isReady();
  }

  status(): AsyncIterable<BackendStatus> {
    return this.impl.status();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await this.impl.close();
  }
}

/** Builds the queue API over `backend`. */
export function createQueueFactory(backend: QueueBackend, options: QueueFactoryOptions = {}): MessageQueueFactory {
  return new QueueFactory(backend, options);
}
