/**
 * The Valkey QueueBackend: one shared command connection (scripts registered), one reader
 * connection per consumer, lifecycle events from the command connection (packages/transport-valkey/README.md, "Design decisions").
 */
import { BackendUnavailableError, QueueClosedError, silentLogger, systemClock, type BackendQueue, type BackendQueueSpec, type BackendStatus, type Clock, type Logger, type QueueBackend, type QueueCapabilities, type RateLimitStore, type RunOnceStore } from '@switchyard/core';
import { createClient, type ValkeyClient } from './connection.js';
import type { ResolvedValkeyOptions } from './options.js';
import { ValkeyKeyHygiene } from './key-hygiene.js';
import { ValkeyRateLimitStore } from './rate-limit-store.js';
import { ValkeyRunOnceStore } from './run-once-store.js';
import { StatusStream } from './status-stream.js';
import { ValkeyQueue } from './valkey-queue.js';

/** What the Valkey backend can do: survives a restart with AOF, shared across processes, real time only. */
export const VALKEY_CAPABILITIES: QueueCapabilities = Object.freeze({ survivesRestart: true, crossProcess: true, injectableClock: false, tailRead: true });
/**
 * Standalone and Sentinel: one command connection, commands applied in the order sent, and the
 * ack script refused under maxmemory like an XADD (fenced-ack.lua is a flagged write script).
 */
const VALKEY_ORDERED_CAPABILITIES: QueueCapabilities = Object.freeze({ ...VALKEY_CAPABILITIES, orderedWrites: true });

export class ValkeyBackend implements QueueBackend {
  readonly name = 'valkey';
  readonly capabilities: QueueCapabilities;
  /** The shared command client (tests and tools may use it; do not block on it). */
  readonly client: ValkeyClient;
  /** Signs of life and deletion of departed processes' keys (packages/transport-valkey/README.md, "Key hygiene"). */
  readonly keyHygiene: ValkeyKeyHygiene;
  private readonly events = new StatusStream<BackendStatus>();
  private readonly queues = new Set<ValkeyQueue>();
  private readonly readers = new Set<ValkeyClient>();
  private closing: Promise<void> | undefined;
  private runOnce: RunOnceStore | undefined;
  private rateLimits: RateLimitStore | undefined;
  private connected = false;
  private reconnectAttempt = 0;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly configKey: string | undefined;
  /** The last connection error since the last successful connect (ioredis only emits them). */
  private lastClientError: string | undefined;

  constructor(
    readonly options: ResolvedValkeyOptions,
    deps: { clock?: Clock; logger?: Logger; configKey?: string } = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
    this.configKey = deps.configKey;
    this.capabilities = options.cluster === undefined ? VALKEY_ORDERED_CAPABILITIES : VALKEY_CAPABILITIES;
    this.client = createClient(options, 'command');
    this.watch(this.client);
    this.keyHygiene = new ValkeyKeyHygiene(this.client, options.prefix, () => this.describeServer());
  }

  private watch(client: ValkeyClient): void {
    client.on('ready', () => {
      this.connected = true;
      this.reconnectAttempt = 0;
      this.lastClientError = undefined;
      this.logger.info({ url: this.options.displayUrl }, 'valkey connected');
      this.events.emit({ type: 'connected' });
    });
    client.on('close', () => {
      if (!this.connected) return;
      this.connected = false;
      this.logger.warn({ url: this.options.displayUrl }, 'valkey connection lost');
      this.events.emit({ type: 'disconnected' });
    });
    client.on('reconnecting', () => {
      this.reconnectAttempt += 1;
      this.events.emit({ type: 'reconnecting', attempt: this.reconnectAttempt });
    });
    client.on('error', (err: Error) => {
      this.lastClientError = err.message;
      this.logger.debug({ url: this.options.displayUrl, err: err.message }, 'valkey client error');
    });
  }

  /**
   * The server as connection errors name it: the URL without its password, the config key it
   * came from (when built from config) and the last connection error, e.g.
   * `redis://app@10.0.0.5:6379/0 (config key transports[0].valkey.url; last error: connect ECONNREFUSED 10.0.0.5:6379)`.
   */
  describeServer(): string {
    const notes: string[] = [];
    if (this.configKey !== undefined) notes.push(`config key ${this.configKey}.${this.options.serverKey}`);
    if (this.lastClientError !== undefined) notes.push(`last error: ${this.lastClientError}`);
    return notes.length === 0 ? this.options.displayUrl : `${this.options.displayUrl} (${notes.join('; ')})`;
  }

  open(spec: BackendQueueSpec): BackendQueue {
    if (this.closing !== undefined) throw new QueueClosedError(spec.name, 'open');
    const queue: ValkeyQueue = new ValkeyQueue(
      {
        prefix: this.options.prefix,
        client: this.client,
        clock: this.clock,
        logger: this.logger,
        reclaimIntervalMs: this.options.reclaimIntervalMs,
        staleGroupMs: this.options.staleGroupMs,
        deadLetterMaxLength: this.options.deadLetterMaxLength,
        deadLetterMaxAgeMs: this.options.deadLetterMaxAgeMs,
        createReader: (consumerName) => this.createReader(consumerName),
        describeServer: () => this.describeServer(),
        groupRecreated: (group) => this.events.emit({ type: 'group-recreated', queue: spec.name, group }),
        consuming: (group, consumer) => this.events.emit({ type: 'consuming', queue: spec.name, group, consumer }),
      },
      spec,
      () => this.queues.delete(queue),
    );
    this.queues.add(queue);
    return queue;
  }

  /** Records on the shared command connection, under this backend's key prefix. */
  runOnceStore(): RunOnceStore {
    this.runOnce ??= new ValkeyRunOnceStore(this.client, this.options.prefix);
    return this.runOnce;
  }

  /** GCRA decisions on the shared command connection, under this backend's key prefix. */
  rateLimitStore(): RateLimitStore {
    this.rateLimits ??= new ValkeyRateLimitStore(this.client, this.options.prefix);
    return this.rateLimits;
  }

  private createReader(consumerName: string): ValkeyClient {
    const reader = createClient(this.options, 'reader', `${this.options.connectionName}:${consumerName}`);
    reader.on('error', (err: Error) => this.logger.debug({ consumer: consumerName, err: err.message }, 'valkey reader error'));
    reader.on('end', () => this.readers.delete(reader));
    this.readers.add(reader);
    return reader;
  }

  /** Resolves once the command connection is ready; rejects with SY_QUEUE_BACKEND_UNAVAILABLE after `timeoutMs`. */
  async whenReady(timeoutMs = this.options.connectTimeoutMs): Promise<void> {
    if (this.isReady()) return;
    const stop = new AbortController();
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.client.once('ready', () => resolve())),
        this.clock.sleep(timeoutMs, stop.signal).then(() => {
          throw new BackendUnavailableError('valkey', undefined, `not connected to ${this.describeServer()} within ${timeoutMs} ms`);
        }),
      ]);
    } finally {
      stop.abort();
    }
  }

  isReady(): boolean {
    return this.closing === undefined && this.client.status === 'ready';
  }

  status(): AsyncIterable<BackendStatus> {
    return this.events.iterate();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.queues].map((q) => q.close()));
      for (const r of this.readers) r.disconnect();
      this.readers.clear();
      // QUIT waits for the connection; while it is down, close at once instead.
      if (this.client.status === 'ready') {
        try {
          await this.client.quit();
        } catch {
          this.client.disconnect();
        }
      } else {
        this.client.disconnect();
      }
      this.events.end({ type: 'closed' });
    })();
    return this.closing;
  }
}
