/**
 * Run once across instances (docs/messaging-transport.md, "Run once across instances"): an
 * instance claims a REQUEST id in the backend's RunOnceStore before it runs it, renews the claim
 * while the handler runs, stores the RESPONSE when it answers and drops the claim when the run
 * ends without an answer. A REQUEST whose id another instance holds is not run: this instance
 * asks the store again every `pollMs` (its lease is renewed meanwhile, as for any running
 * handler) until the first run answers (then its RESPONSE is replayed), its claim is dropped or
 * expires (then this instance claims and runs it), or the REQUEST's deadline passes (then it is
 * dropped: the gateway has answered the client).
 *
 * Only an instance with `runOnce.scope: shared` has one; the per-instance ExecutedRequests stays the
 * fast path in front of it, so a redelivery to the instance that ran the REQUEST never reaches
 * the store. Claims are renewed by one sweep, not a timer per REQUEST.
 */
import type { Clock } from '../../clock.js';
import { InvalidFrameError, TransportClosedError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { decodeFrame, encodeFrame } from '../../protocol/frame-codec.js';
import type { RequestFrame, ResponseFrame } from '../../protocol/frames.js';
import type { RunOnceStore } from '../../queue/run-once-store.js';
import type { RunOnceOptions } from './run-once-options.js';

/** How a claim attempt ended. */
export type SharedClaim =
  | { readonly state: 'claimed' }
  | { readonly state: 'answered'; readonly response: ResponseFrame }
  /** The deadline passed while another instance held the claim: nobody waits for an answer any more. */
  | { readonly state: 'gave-up' };

interface Held {
  readonly id: string;
  renewedAt: number;
}

export interface SharedRunOnceCounters {
  /** Redeliveries that found another instance's live claim and waited instead of running. */
  readonly claimWaits: number;
  /** Redeliveries answered from the shared store (another instance's RESPONSE). */
  readonly sharedReplays: number;
  /** Store calls that failed (claim: the REQUEST is released and retried; renew, answer, abandon: logged). */
  readonly storeErrors: number;
}

export class SharedRunOnce {
  private readonly held = new Map<string, Held>();
  private readonly stopRenewer: () => void;
  private readonly closing = new AbortController();
  private counters = { claimWaits: 0, sharedReplays: 0, storeErrors: 0 };

  constructor(
    private readonly store: RunOnceStore,
    private readonly options: RunOnceOptions,
    /** This instance's name in the store (its instance id). */
    private readonly owner: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.stopRenewer = clock.every(Math.max(1, Math.floor(options.claimMs / 3)), () => this.renewDue());
  }

  metrics(): SharedRunOnceCounters {
    return { ...this.counters };
  }

  /**
   * Claims `frame`'s id, waiting while another instance holds it. Rejects when the store cannot be
   * reached, and with TransportClosedError when the transport closes while it waits (the REQUEST is
   * then released for another instance, not dropped).
   */
  async claim(frame: RequestFrame): Promise<SharedClaim> {
    const { id } = frame;
    let waited = false;
    for (;;) {
      let found;
      try {
        found = await this.store.claim(id, this.owner, this.options.claimMs);
      } catch (err) {
        this.counters.storeErrors += 1;
        throw err;
      }
      if (found.state === 'claimed') {
        this.held.set(id, { id, renewedAt: this.clock.now() });
        return found;
      }
      if (found.state === 'answered') {
        this.counters.sharedReplays += 1;
        return { state: 'answered', response: storedResponse(found.response, id) };
      }
      if (!waited) {
        waited = true;
        this.counters.claimWaits += 1;
      }
      if (this.closing.signal.aborted) throw new TransportClosedError('messaging', `wait for the run of REQUEST ${id} on another instance`);
      if (this.clock.now() + this.options.pollMs > frame.payload.deadline) return { state: 'gave-up' };
      await this.clock.sleep(this.options.pollMs, this.closing.signal).catch(() => undefined);
    }
  }

  /** Stores the RESPONSE of a run this instance claimed. Never rejects. */
  async answer(response: ResponseFrame): Promise<void> {
    this.held.delete(response.id);
    try {
      await this.store.answer(response.id, this.owner, encodeFrame(response), this.options.ttlMs);
    } catch (err) {
      this.counters.storeErrors += 1;
      this.logger.warn({ err, requestId: response.id }, 'run-once store: the RESPONSE could not be stored; a redelivery elsewhere may run the REQUEST again');
    }
  }

  /** Drops this instance's claim on `id` (its run ended without an answer). Never rejects. */
  async abandon(id: string): Promise<void> {
    this.held.delete(id);
    try {
      await this.store.abandon(id, this.owner);
    } catch (err) {
      this.counters.storeErrors += 1;
      this.logger.warn({ err, requestId: id }, `run-once store: the claim could not be dropped; it expires after ${this.options.claimMs} ms`);
    }
  }

  /** Stops renewing and waiting. Claims still held expire on their own. */
  close(): void {
    this.stopRenewer();
    this.closing.abort();
  }

  private renewDue(): void {
    const now = this.clock.now();
    const due = now - this.options.claimMs / 3;
    for (const entry of this.held.values()) {
      if (entry.renewedAt > due) continue;
      entry.renewedAt = now;
      this.store.renew(entry.id, this.owner, this.options.claimMs).then(
        (kept) => {
          if (!kept) this.logger.warn({ requestId: entry.id }, 'run-once claim was lost while the handler ran (it expired): another instance may run the REQUEST');
        },
        (err: unknown) => {
          this.counters.storeErrors += 1;
          this.logger.warn({ err, requestId: entry.id }, 'run-once claim could not be renewed; will retry');
          entry.renewedAt = 0;
        },
      );
    }
  }
}

function storedResponse(bytes: Uint8Array, id: string): ResponseFrame {
  const frame = decodeFrame(bytes);
  if (frame.type !== 'RESPONSE' || frame.id !== id) {
    throw new InvalidFrameError(`run-once store: the answer stored for REQUEST ${id} is a ${frame.type} with id ${frame.id}, not its RESPONSE`);
  }
  return frame;
}
