/**
 * The primitives a queue backend implements (packages/core/README.md, "Queue layer"). Everything above them — option
 * validation, codecs, decode-error dead-lettering, maxDeliveries, the subscribe loop — core does
 * once in `createQueueFactory`. A third-party backend implements these and runs the conformance kit.
 *
 * Backends work on bytes. They must be fenced: renew, release and deadLetter of a lease whose
 * delivery is no longer the current one (expired and re-leased, even by the same consumer) throw
 * LeaseLostError and change nothing. An ack is not fenced by delivery: the handler's work is done,
 * so acking a message the group still has (held by any consumer, or released and waiting) settles
 * it, under at-least-once nothing is lost; acking one the group no longer has (already acked or
 * dead-lettered) is 'lease-lost' and changes nothing.
 */
import type { RateLimitStore } from './rate-limit-store.js';
import type { RunOnceStore } from './run-once-store.js';
import type { BackendStatus, ConsumptionMode, DeadLetter, QueueActivity, QueueCapabilities, QueueStats } from './types.js';
import type { Clock } from '../clock.js';
import type { OptionProblem } from '../options/problems.js';

/** What core passes when it opens a queue: validated, resolved, frozen. */
export interface BackendQueueSpec {
  readonly name: string;
  /** name + deadLetterSuffix */
  readonly deadLetterName: string;
  readonly leaseMs: number;
  readonly maxDeliveries: number;
  readonly dedupWindowMs: number;
  readonly fanoutRetention: { readonly maxLength: number; readonly maxAgeMs: number };
}

export interface RawMessage {
  readonly payload: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly idempotencyKey?: string;
  readonly delayMs?: number;
}

/** One delivery, as the backend hands it to core. */
export interface RawLease {
  readonly id: string;
  readonly payload: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** 1-based delivery count of this delivery; part of the fence. */
  readonly attempt: number;
  readonly enqueuedAt: number;
  readonly leaseExpiresAt: number;
}

export type SettleOutcome = 'ok' | 'lease-lost';

export interface BackendConsumerSpec {
  /**
   * `tail` only when the backend declares `capabilities.tailRead` (core opens a competing consumer
   * otherwise). A tail consumer is the queue's one reader: lease() returns every message once,
   * oldest stored first (messages enqueued before it opened included), each with attempt 1 and
   * leaseExpiresAt Number.MAX_SAFE_INTEGER, and never returns it again; the backend deletes
   * delivered messages when it likes (and at close). ack returns 'ok' for each (core does not call
   * it), renew returns the lease's expiry unchanged, release is never called (core dead-letters
   * instead), deadLetter stores the delivery with no fence. A delayed message is delivered once due.
   */
  readonly mode: ConsumptionMode;
  /** Competing group name (fan-out consumers get a private group from the backend). */
  readonly group: string;
  /** Unique per consumer across all processes. */
  readonly consumerName: string;
}

export interface BackendConsumer {
  /**
   * Up to `max` deliveries: due delayed messages promoted, expired leases reclaimed (attempt + 1),
   * then new messages; waits up to `blockMs` when there are none. Returns deliveries whose attempt
   * may exceed maxDeliveries: core dead-letters those.
   */
  lease(max: number, leaseMs: number, blockMs: number, signal?: AbortSignal): Promise<RawLease[]>;
  /** Acks many leases in one round trip where possible (not fenced by delivery, see above); one outcome per lease, in order. */
  ack(leases: readonly RawLease[]): Promise<SettleOutcome[]>;
  /** Extends the lease to leaseMs from now; returns the new expiry (epoch ms). Throws LeaseLostError. */
  renew(lease: RawLease, leaseMs: number): Promise<number>;
  /** Redelivers later (attempt + 1 on next delivery). Throws LeaseLostError. */
  release(lease: RawLease, delayMs: number): Promise<void>;
  /**
   * Moves to the dead-letter queue with `reason`. When `payload` is given, the dead letter stores
   * it instead of the delivery's payload (a redacted copy; headers are kept). Throws LeaseLostError.
   */
  deadLetter(lease: RawLease, reason: string, payload?: Uint8Array): Promise<void>;
  /** Stops reading; releases held leases; a fan-out consumer removes its group. Idempotent. */
  close(): Promise<void>;
  /**
   * Resolves once this consumer sees every message enqueued from then on: for a fan-out consumer
   * on a server, once its group exists there (before that, a publish would pass it by). Never
   * rejects: a failure is retried by the first lease. Optional: a backend whose consumers see
   * everything from the moment they are made leaves it out.
   */
  opened?(): Promise<void>;
}

/** A dead letter as the backend stores it: every DeadLetter field but the decoded `message`, which core adds. */
export type RawDeadLetter = Omit<DeadLetter<never>, 'message'>;

export interface BackendQueue {
  /** Ids in order. With an idempotency key seen inside the window, returns the first id and stores nothing. */
  enqueue(messages: readonly RawMessage[]): Promise<string[]>;
  openConsumer(spec: BackendConsumerSpec): BackendConsumer;
  listDeadLetters(limit: number, after?: string): Promise<RawDeadLetter[]>;
  countDeadLetters(): Promise<number>;
  replayDeadLetters(ids?: readonly string[]): Promise<number>;
  purgeDeadLetters(ids?: readonly string[]): Promise<number>;
  stats(): Promise<QueueStats>;
  /** Optional: consumers and backlog age, for the admin API. */
  activity?(): Promise<QueueActivity>;
  /** Closes every consumer it opened. Idempotent. */
  close(): Promise<void>;
}

export interface QueueBackend {
  readonly name: string;
  readonly capabilities: QueueCapabilities;
  open(spec: BackendQueueSpec): BackendQueue;
  /**
   * Optional: the run-once store shared by every process on this backend (docs/messaging-transport.md,
   * "Run once across instances"). It lives as long as the backend; without it `runOnce.scope: shared`
   * cannot be configured.
   */
  runOnceStore?(): RunOnceStore;
  /** Optional: the rate-limit store shared by every process on this backend (gateway `rateLimit.shared`). It lives as long as the backend. */
  rateLimitStore?(): RateLimitStore;
  isReady(): boolean;
  status(): AsyncIterable<BackendStatus>;
  close(): Promise<void>;
  /** Optional: signs of life kept in the backend and deletion of what departed processes left behind (see KeyHygiene). */
  readonly keyHygiene?: KeyHygiene;
}

/**
 * Key hygiene of a shared backend: processes record signs of life in the backend itself (so a
 * process killed without a goodbye is noticed by the others), and a live process deletes the
 * queues and consumer groups a departed one alone used. Times are the backend's own clock.
 */
export interface KeyHygiene {
  /** Records a sign of life of `owner` now. */
  beat(owner: string): Promise<void>;
  /** Owners whose last sign of life is older than `silentForMs`, with how long ago it was. */
  silent(silentForMs: number): Promise<Array<{ readonly owner: string; readonly silentMs: number }>>;
  /** Forgets `owner`'s signs of life. */
  forget(owner: string): Promise<void>;
  /** Deletes every key of queue `name` (messages, dead letters `deadLetterName`, consumer groups, bookkeeping); the number of keys deleted. */
  deleteQueue(name: string, deadLetterName: string): Promise<number>;
  /**
   * Deletes from queue `name` the consumers whose names core made with `consumerNamePrefix`
   * (`<prefix>-<pid>-<random>`, see isConsumerNameOf): a fan-out consumer's own group goes with it;
   * a competing consumer goes only when it holds nothing (what it holds is reclaimed at lease
   * expiry first). The number of consumers deleted.
   */
  deleteConsumers(name: string, consumerNamePrefix: string): Promise<number>;
}

/** What a backend gets from its host when it is created. */
export interface BackendDeps {
  readonly clock: Clock;
  /**
   * Where the backend's options sit in a config file (e.g. `transports[0].valkey`), when it was
   * built from one: connection errors name it so the operator knows which key to fix.
   */
  readonly configKey?: string;
}

/**
 * What a queue backend package exports as `plugin` (or default export) so the gateway and SDK can
 * load it by name from config.
 */
export interface QueueBackendPlugin {
  /** Backend name used in config, e.g. 'valkey'. */
  readonly name: string;
  /** semver range of @switchyard/core this plugin was built for, e.g. '^0.1.0'. */
  readonly coreVersion: string;
  /** Validates `options` (the config section named after the backend) and builds the backend. Throws naming the bad key. */
  createBackend(options: Readonly<Record<string, unknown>>, deps: BackendDeps): QueueBackend;
  /**
   * Every problem of `options`, with paths relative to the section, without building or connecting
   * anything; a config loader reports them with the rest of the config. Optional: without it the
   * problems surface when `createBackend` runs.
   */
  checkOptions?(options: Readonly<Record<string, unknown>>): readonly OptionProblem[];
}
