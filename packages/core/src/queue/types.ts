/**
 * The queue contract every Switchyard component uses (packages/core/README.md, "Queue layer"). Backends do not implement these
 * interfaces directly: they implement the primitives in `backend.ts`, and core's
 * `createQueueFactory(backend)` turns them into this API once, for every backend (validation,
 * decoding, dead-lettering undecodable payloads, maxDeliveries, the subscribe loop).
 */
import type { KeyHygiene } from './backend.js';
import type { RateLimitStore } from './rate-limit-store.js';
import type { RunOnceStore } from './run-once-store.js';

/** Turns messages into bytes and back. A `decode` that throws dead-letters the entry with `decode-error`. */
export interface QueueCodec<T> {
  encode(message: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  /**
   * What a dead letter stores instead of `bytes`, or undefined to store them unchanged. Called
   * whenever a delivery is dead-lettered (by a handler or by core), so secrets in a message need
   * not outlive it (the frame codecs remove credentials, protocol/frame-redaction.ts).
   */
  redactForDeadLetter?(bytes: Uint8Array): Uint8Array | undefined;
}

/**
 * How a consumer shares messages: `competing` (each message to one consumer of the group),
 * `fanout` (every subscriber gets every message), or `tail`: the queue's one reader takes every
 * message once, oldest first, with no lease — nothing is redelivered, ack and renew change
 * nothing, delivered messages are deleted by the backend, and a release dead-letters the message
 * (reason `tail-released`), since no other reader would take it. A message read by a tail
 * consumer whose process then dies is lost; use it where the reader's death loses the messages'
 * purpose anyway (a gateway's own responses). On a backend without `capabilities.tailRead`, a
 * `tail` consumer is a competing consumer of the group `options.group` (stronger guarantees, higher cost).
 */
export type ConsumptionMode = 'competing' | 'fanout' | 'tail';

/** Options given when a queue is opened. Validated once, then frozen. */
export interface QueueOptionsInput<T> {
  /** How messages become bytes. @default JSON over UTF-8 */
  codec?: QueueCodec<T>;
  /** Lease length used by lease() and subscribe() when the call does not say. @default 30000 */
  leaseMs?: number;
  /** Deliveries before a message is dead-lettered instead of delivered again. @default 3 */
  maxDeliveries?: number;
  /** Dead-letter queue name = queue name + this. @default ':dlq' */
  deadLetterSuffix?: string;
  /** How long an idempotency key suppresses a second enqueue. @default 600000 (10 min) */
  dedupWindowMs?: number;
  /** Retention of fan-out queues (competing queues delete acked entries and never trim unconsumed work). */
  fanoutRetention?: { maxLength?: number; maxAgeMs?: number };
}

/** Fully resolved queue options. */
export interface QueueOptions<T> {
  readonly codec: QueueCodec<T>;
  readonly leaseMs: number;
  readonly maxDeliveries: number;
  readonly deadLetterSuffix: string;
  readonly dedupWindowMs: number;
  readonly fanoutRetention: { readonly maxLength: number; readonly maxAgeMs: number };
}

export interface EnqueueOptions {
  /** A second enqueue with the same key inside the dedup window returns the first id and stores nothing. */
  idempotencyKey?: string;
  headers?: Readonly<Record<string, string>>;
  /** Deliver no sooner than this many ms from now. */
  delayMs?: number;
}

/** One message under a consumer's exclusive, time-limited claim. */
export interface Lease<T> {
  readonly id: string;
  readonly message: T;
  readonly headers: Readonly<Record<string, string>>;
  /** 1-based delivery count. */
  readonly attempt: number;
  /** Epoch ms. */
  readonly enqueuedAt: number;
  /** Epoch ms; moves forward on renew(). */
  readonly leaseExpiresAt: number;
  /** Done: the message is removed. Fails with SY_QUEUE_LEASE_LOST if the lease was lost. */
  ack(): Promise<void>;
  /** Extends the lease to `ms` from now (default: the lease length). */
  renew(ms?: number): Promise<void>;
  /** Gives the message back for redelivery (attempt + 1), after `delayMs` if given. */
  release(options?: { delayMs?: number }): Promise<void>;
  /** Moves the message to the dead-letter queue with `reason`. */
  deadLetter(reason: string): Promise<void>;
}

export interface LeaseRequest {
  /** @default 1 */
  max?: number;
  /** @default the queue's leaseMs */
  leaseMs?: number;
  /** Long-poll up to this long when nothing is ready. @default 0 (return at once) */
  blockMs?: number;
  signal?: AbortSignal;
}

export interface ConsumerOptions {
  /** @default 'competing' */
  mode?: ConsumptionMode;
  /** Competing consumers of one group share messages. @default 'default' */
  group?: string;
}

/** What a subscribe() handler gets beside the message. */
export interface Delivery<T> extends Lease<T> {
  /** Aborts when the lease could not be kept while the handler runs (lost on renewal, or given back at the drain timeout). */
  readonly signal: AbortSignal;
  /**
   * Calls `listener` once, with the same reason, when `signal` would abort; at once when it already
   * has. One listener slot: cheaper than reading `signal`, which makes an AbortController.
   */
  onLeaseLost(listener: (reason: unknown) => void): void;
}

/**
 * Return (or resolve) to ack; throw (or reject) to release with backoff. Calling
 * ack/release/deadLetter yourself is allowed. A handler with nothing to wait for may return
 * nothing: its message is settled at once, with no promise made for it.
 */
export type MessageHandler<T> = (message: T, delivery: Delivery<T>) => Promise<void> | void;

export interface SubscribeOptions extends ConsumerOptions {
  /** Handlers running at once; the loop never leases more than it can run. @default 1 */
  concurrency?: number;
  /** @default the queue's leaseMs */
  leaseMs?: number;
  /** Aborting stops the loop; in-flight handlers finish (or are released) before `closed` resolves. */
  signal?: AbortSignal;
  /** Release backoff after a thrown error: min(maxMs, baseMs * 2^(attempt-1)). @default { baseMs: 100, maxMs: 30000 } */
  retryBackoff?: { baseMs?: number; maxMs?: number };
  /** Long-poll length of each read. @default 1000 */
  blockMs?: number;
  /**
   * After the loop stops, how long running handlers may take to finish. Past it their leases are
   * released (redelivered at once, attempt + 1) and `closed` resolves: a handler that ignores its
   * stop keeps running, but it no longer holds the message and its result is not acked. 0 releases
   * at once. @default 30000
   */
  drainTimeoutMs?: number;
}

export interface Subscription {
  /**
   * Resolves (never rejects) once the subscription sees every message enqueued from then on. A
   * fan-out subscription on a server misses what is published before its group exists there; a
   * caller that publishes, or lets others publish, right after subscribing waits for this first.
   */
  readonly opened: Promise<void>;
  /** Resolves (never rejects) when the loop has stopped and every in-flight handler has settled or, past drainTimeoutMs, been released: void, or the Error that stopped it. */
  readonly closed: Promise<void | Error>;
  /** Stops the loop and waits for in-flight handlers. Idempotent. */
  close(): Promise<void>;
  isClosed(): boolean;
}

export interface QueueConsumer<T> {
  readonly mode: ConsumptionMode;
  lease(request?: LeaseRequest): Promise<Lease<T>[]>;
  subscribe(handler: MessageHandler<T>, options?: Omit<SubscribeOptions, 'mode' | 'group'>): Subscription;
  /** Stops reading and releases what it still holds. A fan-out consumer's group is removed. */
  close(): Promise<void>;
}

/** A message in the dead-letter queue. `message` is undefined when the payload could not be decoded. */
export interface DeadLetter<T> {
  readonly id: string;
  readonly originalId: string;
  readonly sourceQueue: string;
  readonly message: T | undefined;
  readonly payload: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempts: number;
  readonly reason: string;
  readonly enqueuedAt: number;
  readonly deadLetteredAt: number;
}

export interface DeadLetterStore<T> {
  /** Oldest first; `after` is an id from a previous page. */
  list(options?: { limit?: number; after?: string }): Promise<DeadLetter<T>[]>;
  count(): Promise<number>;
  /** Moves dead letters back to the source queue (all when `ids` is omitted); returns how many moved. */
  replay(ids?: readonly string[]): Promise<number>;
  /** Deletes dead letters (all when `ids` is omitted); returns how many were deleted. */
  purge(ids?: readonly string[]): Promise<number>;
}

export interface QueueStats {
  /** Messages waiting to be leased. */
  readonly depth: number;
  /** Messages currently leased. */
  readonly inFlight: number;
  /** Messages released with a delay, not yet due. */
  readonly delayed: number;
  readonly deadLetters: number;
  /** Dead letters the backend's retention has dropped, in total (a counter); undefined when the backend keeps every dead letter. */
  readonly deadLettersDropped?: number;
}

/**
 * Who is reading a queue and how old its backlog is, for operators. Separate from QueueStats so a
 * backend that cannot tell simply does not offer it.
 */
export interface QueueActivity {
  /** Consumers that read the queue recently (competing and fan-out). */
  readonly consumers: number;
  /** Age of the oldest message no consumer has been handed yet; null when none waits. */
  readonly oldestWaitingAgeMs: number | null;
  /** Messages leased now (or released) that have been delivered more than once. */
  readonly redelivered: number;
  /**
   * True when the backend counted `redelivered` over only part of the pending messages (a huge
   * backlog), so the true figure is at least that. Absent or false: the count is exact.
   */
  readonly redeliveredIsLowerBound?: boolean;
}

export interface MessageQueue<T> {
  readonly name: string;
  readonly options: QueueOptions<T>;
  enqueue(message: T, options?: EnqueueOptions): Promise<string>;
  /** Many messages in one round trip where the backend allows. Returns ids in order. */
  enqueueBatch(items: ReadonlyArray<{ message: T; options?: EnqueueOptions }>): Promise<string[]>;
  /** A consumer of this queue; each has its own consumer identity. */
  consumer(options?: ConsumerOptions): QueueConsumer<T>;
  /** Leases through this queue's default competing consumer. */
  lease(request?: LeaseRequest): Promise<Lease<T>[]>;
  /** Runs `handler` over messages with a new consumer (competing by default). */
  subscribe(handler: MessageHandler<T>, options?: SubscribeOptions): Subscription;
  readonly deadLetters: DeadLetterStore<T>;
  stats(): Promise<QueueStats>;
  /** Consumers and backlog age; undefined when the backend cannot tell. */
  activity(): Promise<QueueActivity | undefined>;
  /** Closes every consumer this queue made. Idempotent. */
  close(): Promise<void>;
}

/** What a backend can do; the conformance kit skips what a backend cannot, and says why. */
export interface QueueCapabilities {
  /** Messages acknowledged by the server survive a restart of the backing server. */
  readonly survivesRestart: boolean;
  /** Consumers in other processes share the queue. */
  readonly crossProcess: boolean;
  /** Time can be driven by an injected ManualClock (lease expiry tests take milliseconds). */
  readonly injectableClock: boolean;
  /**
   * The backend reads `tail` consumers without leases (backend.ts, BackendConsumerSpec.mode).
   * Absent or false: core opens a competing consumer for them instead.
   */
  readonly tailRead?: boolean;
  /**
   * The writes of one process reach the server over one connection and are applied in the order
   * made, and an ack is refused whenever an enqueue made just before it was refused for lack of
   * memory. The Messaging instance then sends a REQUEST's ack right behind its RESPONSE instead of
   * waiting for the RESPONSE's enqueue to be confirmed (docs/messaging-transport.md). Absent or
   * false (a Cluster, whose queues live on different nodes): the ack waits.
   */
  readonly orderedWrites?: boolean;
}

/** Connection and consumption events, discriminated by `type`. */
export type BackendStatus =
  | { readonly type: 'connected' }
  | { readonly type: 'disconnected'; readonly error?: Error }
  | { readonly type: 'reconnecting'; readonly attempt: number }
  | { readonly type: 'group-recreated'; readonly queue: string; readonly group: string }
  /** A consumer's read loop is reading: after its first read, and again after its connection came back. Backends without connections may not emit it. */
  | { readonly type: 'consuming'; readonly queue: string; readonly group: string; readonly consumer: string }
  | { readonly type: 'closed' };

export interface MessageQueueFactory {
  /** Backend name, e.g. 'memory' or 'valkey'. */
  readonly backend: string;
  readonly capabilities: QueueCapabilities;
  /** Opens (or returns the already open) queue `name`; options are validated here. */
  queue<T>(name: string, options?: QueueOptionsInput<T>): MessageQueue<T>;
  /** The backend's run-once store, shared across processes; undefined when the backend has none. */
  runOnceStore?(): RunOnceStore | undefined;
  /** The backend's rate-limit store, shared across processes; undefined when the backend has none. */
  rateLimitStore?(): RateLimitStore | undefined;
  /** True while the backend is connected and usable. */
  isReady(): boolean;
  /** Lifecycle events until close. */
  status(): AsyncIterable<BackendStatus>;
  /** Closes every queue, then the backend. Idempotent. */
  close(): Promise<void>;
  /** The backend's key hygiene, when it has one (a shared backend such as Valkey). */
  readonly keyHygiene?: KeyHygiene;
}
