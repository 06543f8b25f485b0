/** The memory QueueBackend: one process, same semantics as Valkey, time from an injectable Clock. */
import { QueueClosedError, systemClock, type BackendQueue, type BackendQueueSpec, type BackendStatus, type Clock, type QueueBackend, type QueueCapabilities, type RunOnceStore } from '@switchyard/core';
import { MemoryQueue } from './memory-queue.js';
import { MemoryRunOnceStore } from './memory-run-once-store.js';
import { storeFor, type MemoryStore } from './store.js';

/** Options of a memory backend (the `memory:` config section). */
export interface MemoryBackendOptions {
  /** Backends with the same namespace in one process share queues. @default a private store */
  namespace?: string;
}

/** What a memory backend takes from its host. */
export interface MemoryBackendDeps {
  /** @default systemClock */
  clock?: Clock;
}

/** What the memory backend can do (the conformance kit reads this). */
export const MEMORY_CAPABILITIES: QueueCapabilities = Object.freeze({
  survivesRestart: false,
  crossProcess: false,
  injectableClock: true,
  tailRead: true,
});

class MemoryBackend implements QueueBackend {
  readonly name = 'memory';
  readonly capabilities = MEMORY_CAPABILITIES;
  private closed = false;
  private readonly queues = new Set<MemoryQueue>();
  private readonly store: MemoryStore;
  private readonly clock: Clock;
  private runOnce: RunOnceStore | undefined;
  private markClosed!: () => void;
  private readonly closedEvent = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(options: MemoryBackendOptions, deps: MemoryBackendDeps) {
    this.store = storeFor(options.namespace);
    this.clock = deps.clock ?? systemClock;
  }

  open(spec: BackendQueueSpec): BackendQueue {
    if (this.closed) throw new QueueClosedError(spec.name, 'open');
    const queue: MemoryQueue = new MemoryQueue(this.store.open(spec), this.clock, () => this.queues.delete(queue));
    this.queues.add(queue);
    return queue;
  }

  /** Shared by the backends of one namespace (one process): the memory backend never spans processes. */
  runOnceStore(): RunOnceStore {
    this.runOnce ??= new MemoryRunOnceStore(this.store.runOnce, this.clock);
    return this.runOnce;
  }

  isReady(): boolean {
    return !this.closed;
  }

  async *status(): AsyncIterable<BackendStatus> {
    if (this.closed) {
      yield { type: 'closed' };
      return;
    }
    yield { type: 'connected' };
    await this.closedEvent;
    yield { type: 'closed' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.queues].map((q) => q.close()));
    this.markClosed();
  }
}

/** A memory queue backend. Give the same clock to createQueueFactory. */
export function createMemoryBackend(options: MemoryBackendOptions = {}, deps: MemoryBackendDeps = {}): QueueBackend {
  return new MemoryBackend(options, deps);
}
