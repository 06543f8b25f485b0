/**
 * The subscribe() loop (packages/core/README.md, "Queue options"). It leases only as many messages
 * as it has free slots, so a lease's clock starts near its handler's start: a consumer that leased
 * ahead would let buffered leases expire and see them redelivered while it still ran them. Running leases are renewed from the Clock at a third of leaseMs; a handler
 * that returns is acked (acks of one turn go to the backend together); one that throws is released
 * with exponential backoff. Stopping stops leasing, lets running handlers finish and settle (for
 * up to drainTimeoutMs; then their leases are released so another consumer runs them now),
 * releases anything leased but not started, then resolves `closed` (never rejects).
 */
import type { Clock } from '../clock.js';
import { ERROR_CODES, hasCode, LeaseLostError } from '../errors.js';
import { IndexedList } from '../indexed-list.js';
import type { Logger } from '../logger.js';
import { backoffMs } from './backoff.js';
import { afterThisTurnsBatches } from './tick-batcher.js';
import type { QueueLease } from './lease.js';
import type { MessageHandler, Subscription } from './types.js';

/** What the loop needs from its consumer. */
export interface LoopSource<T> {
  readonly queueName: string;
  /** Leases whose handlers will run now; decoding and max-deliveries already handled. */
  leaseForLoop(max: number, leaseMs: number, blockMs: number, signal: AbortSignal): Promise<QueueLease<T>[]>;
  /** See Subscription.opened. */
  opened(): Promise<void>;
  /** True when an ack needs nothing from the backend (a `tail` consumer): the loop counts it settled at once. */
  readonly acksAtOnce: boolean;
}

export interface LoopSettings {
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly blockMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How long stopping waits for running handlers before releasing their leases. */
  readonly drainTimeoutMs: number;
}

/**
 * Waits until `subscription` sees what is published from now on (Subscription.opened), at most
 * `ms`: a slow or unreachable server must not hold up a start; its first lease retries.
 */
export async function untilOpened(subscription: Subscription, clock: Pick<Clock, 'after'>, ms: number): Promise<void> {
  let cancel: (() => void) | undefined;
  await Promise.race([subscription.opened, new Promise<void>((resolve) => (cancel = clock.after(ms, resolve)))]);
  cancel?.();
}

/** Reads of at most this many messages wait for their handlers' first writes before reading again. */
const FEW_LEASES = 4;

/** Backoff after a failed lease (backend down): retried, never fatal. */
const LOOP_RETRY_BASE_MS = 100;
const LOOP_RETRY_MAX_MS = 5_000;

export class SubscriptionLoop<T> implements Subscription {
  readonly closed: Promise<void | Error>;
  readonly opened: Promise<void>;
  private stopping = false;
  private done = false;
  private readonly stopController = new AbortController();
  /** Leases whose handler runs (an IndexedList, not a Set: see there). */
  private readonly running = new IndexedList<QueueLease<T>>();
  /** Handlers running plus settles (ack/release) not yet confirmed by the backend. */
  private outstanding = 0;
  private wakeLoop: (() => void) | undefined;
  private wakeDrain: (() => void) | undefined;
  private readonly detachSignal: () => void;

  constructor(
    private readonly source: LoopSource<T>,
    private readonly handler: MessageHandler<T>,
    private readonly settings: LoopSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    signal: AbortSignal | undefined,
    /** Runs after everything settled, before `closed` resolves (e.g. closing a consumer made for this subscription). */
    private readonly afterDrain?: () => Promise<void>,
  ) {
    if (signal?.aborted) this.stopping = true;
    const onAbort = (): void => this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.detachSignal = () => signal?.removeEventListener('abort', onAbort);
    this.opened = source.opened();
    this.closed = this.loop().then(
      (result) => result,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
  }

  isClosed(): boolean {
    return this.done;
  }

  /** Stops leasing; `closed` resolves once in-flight work has settled. Idempotent. */
  stop(): void {
    if (this.stopping && this.stopController.signal.aborted) return;
    this.stopping = true;
    this.stopController.abort(new Error('subscription stopping'));
    this.wakeLoop?.();
  }

  async close(): Promise<void> {
    this.stop();
    await this.closed;
  }

  private async loop(): Promise<void | Error> {
    const { concurrency, leaseMs, blockMs } = this.settings;
    const stopRenewer = this.clock.every(Math.max(1, Math.floor(leaseMs / 3)), () => this.renewDue());
    let failures = 0;
    try {
      while (!this.stopping) {
        const free = concurrency - this.running.length;
        if (free <= 0) {
          await new Promise<void>((resolve) => (this.wakeLoop = resolve));
          this.wakeLoop = undefined;
          // Let every handler finishing in this turn free its slot, so one read fetches for all of them.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        let leases: QueueLease<T>[];
        try {
          leases = await this.source.leaseForLoop(free, leaseMs, blockMs, this.stopController.signal);
          failures = 0;
        } catch (err) {
          if (this.stopping) break;
          if (hasCode(err, ERROR_CODES.QueueClosed)) {
            this.stopping = true;
            break;
          }
          failures++;
          const waitMs = backoffMs(failures, LOOP_RETRY_BASE_MS, LOOP_RETRY_MAX_MS);
          this.logger.warn({ queue: this.source.queueName, err, failures, waitMs }, 'lease failed; retrying');
          await this.clock.sleep(waitMs, this.stopController.signal).catch(() => undefined);
          continue;
        }
        for (const lease of leases) {
          if (this.stopping) this.giveBack(lease);
          else this.run(lease);
        }
        // A read that brought a few messages (low load): let their handlers run to their first
        // write (an HTTP response, an answer enqueued and batched for this turn) before the next
        // read is written, which would otherwise come first, on the critical path of each message.
        // The read resumes in the same callback that sends the turn's batches, before the event
        // loop polls again (where the next request would otherwise be taken ahead of it).
        // Under load (full reads) the next read goes out at once: waiting there cost throughput.
        if (leases.length > 0 && leases.length <= FEW_LEASES) await afterThisTurnsBatches();
      }
      if (this.outstanding > 0) await this.drain();
      if (this.afterDrain !== undefined) await this.afterDrain();
      return undefined;
    } finally {
      stopRenewer();
      this.detachSignal();
      this.done = true;
    }
  }

  /**
   * Waits for running handlers and unconfirmed settles, up to drainTimeoutMs. Past it, every lease
   * whose handler still runs has its delivery signal aborted and is released for immediate
   * redelivery (a handler that ignores its stop must not hold its message, renewed, forever); the
   * drain ends once those releases are answered.
   */
  private async drain(): Promise<void> {
    const drained = new Promise<void>((resolve) => (this.wakeDrain = resolve));
    const timer = new AbortController();
    const timedOut = await Promise.race([
      drained.then(() => false),
      this.clock.sleep(this.settings.drainTimeoutMs, timer.signal).then(
        () => true,
        () => false,
      ),
    ]);
    timer.abort();
    if (!timedOut) return;
    const stuck = this.running.toArray().filter((lease) => !lease.isSettled());
    this.logger.warn(
      { queue: this.source.queueName, running: stuck.length, drainTimeoutMs: this.settings.drainTimeoutMs },
      'handlers still running at the drain timeout; releasing their messages for redelivery',
    );
    await Promise.all(
      stuck.map((lease) => {
        lease.abortDelivery(new Error(`drain timeout: message ${lease.id} was released for redelivery`));
        return lease.release({ delayMs: 0 }).catch((err: unknown) => {
          this.logger.warn({ queue: this.source.queueName, id: lease.id, err }, 'release at the drain timeout failed; the lease will expire');
        });
      }),
    );
  }

  private run(lease: QueueLease<T>): void {
    this.running.add(lease);
    this.outstanding++;
    let result: Promise<void> | void;
    try {
      result = this.handler(lease.message, lease);
    } catch (err) {
      result = Promise.reject(err);
    }
    // A handler that returns nothing is done now (no promise to wait on: the gateway's RESPONSE
    // and body-frame readers answer synchronously); any other non-promise is treated as done too.
    if (result === undefined) {
      this.finish(lease, undefined);
      return;
    }
    Promise.resolve(result).then(
      () => this.finish(lease, undefined),
      (err: unknown) => this.finish(lease, err ?? new Error('handler rejected without a reason')),
    );
  }

  private finish(lease: QueueLease<T>, error: unknown): void {
    this.running.remove(lease);
    this.wakeLoop?.();
    const own = lease.settlement;
    if (own !== undefined) {
      // The handler settled the lease itself and handles the outcome; the loop still counts the
      // settle as outstanding until the backend answers it, so a drain waits for it.
      own.then(this.settledBound, this.settledBound);
      return;
    }
    if (error === undefined && this.source.acksAtOnce) {
      // Nothing to wait for: the ack is recorded on the lease and is already settled.
      void lease.ack();
      this.settled();
      return;
    }
    const settle =
      error === undefined
        ? lease.ack()
        : lease.release({ delayMs: backoffMs(lease.attempt, this.settings.retryBaseMs, this.settings.retryMaxMs) });
    if (error !== undefined) {
      this.logger.warn({ queue: this.source.queueName, id: lease.id, attempt: lease.attempt, err: error }, 'handler failed; released with backoff');
    }
    settle.then(
      () => this.settled(),
      (err: unknown) => {
        this.logger.warn({ queue: this.source.queueName, id: lease.id, err }, error === undefined ? 'ack failed' : 'release failed');
        this.settled();
      },
    );
  }

  /** A lease that arrived after stop was asked: give it back untouched so another consumer takes it now. */
  private giveBack(lease: QueueLease<T>): void {
    this.outstanding++;
    lease.release({ delayMs: 0 }).then(
      () => this.settled(),
      (err: unknown) => {
        this.logger.warn({ queue: this.source.queueName, id: lease.id, err }, 'release on stop failed');
        this.settled();
      },
    );
  }

  private readonly settledBound = (): void => this.settled();

  private settled(): void {
    this.outstanding--;
    if (this.outstanding === 0) this.wakeDrain?.();
  }

  /** Renews every running lease that has used a third of its time or more. */
  private renewDue(): void {
    const now = this.clock.now();
    const threshold = (this.settings.leaseMs * 2) / 3;
    for (const lease of this.running) {
      if (lease.renewing || lease.isSettled() || lease.leaseExpiresAt - now > threshold) continue;
      lease.renewing = true;
      lease.renew(this.settings.leaseMs).then(
        () => {
          lease.renewing = false;
        },
        (err: unknown) => {
          lease.renewing = false;
          if (hasCode(err, ERROR_CODES.LeaseLost)) {
            this.logger.warn({ queue: this.source.queueName, id: lease.id }, 'lease lost while the handler ran; aborting its signal');
            lease.abortDelivery(err);
          } else if (this.clock.now() >= lease.leaseExpiresAt) {
            // The backend could not be reached until the lease ran out: another consumer may take
            // the message as soon as it can, so this handler must stop as if the lease were lost.
            this.logger.warn({ queue: this.source.queueName, id: lease.id, err }, 'lease expired while renewals failed; aborting its signal');
            lease.abortDelivery(new LeaseLostError(this.source.queueName, lease.id, { cause: err }));
          } else {
            this.logger.warn({ queue: this.source.queueName, id: lease.id, err }, 'renew failed; will retry');
          }
        },
      );
    }
  }
}
