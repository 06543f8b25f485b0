/**
 * A delivered message under a consumer's claim: the RawLease a backend returned, decoded, with the
 * lease verbs. Settling happens once: the first ack/release/deadLetter decides; the
 * same verb again returns the same promise, a different verb (or renew) afterwards fails with
 * SY_QUEUE_LEASE_LOST because this consumer no longer holds the message.
 */
import { InvalidArgumentError, LeaseLostError } from '../errors.js';
import type { BackendConsumer, RawLease } from './backend.js';
import type { Delivery } from './types.js';

/** What a lease needs from the consumer that holds it. */
export interface LeaseOwner {
  readonly queueName: string;
  readonly backend: BackendConsumer;
  /** Acks through the consumer's tick batcher (one backend.ack per event-loop turn); a tail delivery at once. */
  ackBatched(raw: RawLease): Promise<void>;
  /** backend.release, or for a tail delivery (nothing redelivers it) backend.deadLetter with reason `tail-released`. */
  releaseLease(raw: RawLease, delayMs: number): Promise<void>;
  /** What the dead letter of `raw` stores instead of its payload (the codec's redaction), or undefined. */
  deadLetterPayload(raw: RawLease): Uint8Array | undefined;
}

type Verb = 'ack' | 'release' | 'deadLetter';

const NEVER_ABORTED = new AbortController().signal;

export class QueueLease<T> implements Delivery<T> {
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempt: number;
  readonly enqueuedAt: number;
  private expiresAt: number;
  private settledBy: Verb | undefined;
  private settlementPromise: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private aborted = false;
  private leaseLostListener: ((reason: unknown) => void) | undefined;
  /** True while subscribe()'s renewer has a renew in flight for this lease. */
  renewing = false;
  /** Position in subscribe()'s running list (an IndexedList) while its handler runs; -1 otherwise. */
  listIndex = -1;

  constructor(
    private readonly owner: LeaseOwner,
    readonly raw: RawLease,
    readonly message: T,
    /** Lease length this lease was taken with; renew() without an argument extends by it. */
    readonly leaseMs: number,
    /** Deliveries made by subscribe() carry a signal; plain lease() leases never abort. */
    private readonly trackSignal = false,
  ) {
    this.id = raw.id;
    this.headers = raw.headers;
    this.attempt = raw.attempt;
    this.enqueuedAt = raw.enqueuedAt;
    this.expiresAt = raw.leaseExpiresAt;
  }

  get leaseExpiresAt(): number {
    return this.expiresAt;
  }

  /** Created on first access: most handlers never look at it, and an AbortController per message costs. */
  get signal(): AbortSignal {
    if (!this.trackSignal) return NEVER_ABORTED;
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  isSettled(): boolean {
    return this.settledBy !== undefined;
  }

  /** The backend's answer to the settle made (ack, release or dead-letter); undefined while unsettled. */
  get settlement(): Promise<void> | undefined {
    return this.settlementPromise;
  }

  onLeaseLost(listener: (reason: unknown) => void): void {
    if (this.aborted) listener(this.abortReason);
    else this.leaseLostListener = listener;
  }

  /** Aborts the delivery's signal (its lease could not be kept). */
  abortDelivery(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    const listener = this.leaseLostListener;
    this.leaseLostListener = undefined;
    listener?.(reason);
    this.controller?.abort(reason);
  }

  ack(): Promise<void> {
    return this.settle('ack', () => this.owner.ackBatched(this.raw));
  }

  release(options?: { delayMs?: number }): Promise<void> {
    const delayMs = options?.delayMs ?? 0;
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      return Promise.reject(InvalidArgumentError.format('release delayMs', 'an integer ≥ 0', delayMs));
    }
    return this.settle('release', () => this.owner.releaseLease(this.raw, delayMs));
  }

  deadLetter(reason: string): Promise<void> {
    if (typeof reason !== 'string' || reason.length === 0) {
      return Promise.reject(InvalidArgumentError.format('deadLetter reason', 'a non-empty string', reason));
    }
    return this.settle('deadLetter', () => this.owner.backend.deadLetter(this.raw, reason, this.owner.deadLetterPayload(this.raw)));
  }

  async renew(ms?: number): Promise<void> {
    const leaseMs = ms ?? this.leaseMs;
    if (!Number.isInteger(leaseMs) || leaseMs < 1) throw InvalidArgumentError.format('renew ms', 'an integer ≥ 1', ms);
    if (this.settledBy !== undefined) throw new LeaseLostError(this.owner.queueName, this.id);
    const expiresAt = await this.owner.backend.renew(this.raw, leaseMs);
    if (expiresAt > this.expiresAt) this.expiresAt = expiresAt;
  }

  private settle(verb: Verb, act: () => Promise<void>): Promise<void> {
    if (this.settledBy === verb) return this.settlementPromise!;
    if (this.settledBy !== undefined) return Promise.reject(new LeaseLostError(this.owner.queueName, this.id));
    this.settledBy = verb;
    try {
      this.settlementPromise = act();
    } catch (err) {
      this.settlementPromise = Promise.reject(err);
    }
    return this.settlementPromise;
  }
}
