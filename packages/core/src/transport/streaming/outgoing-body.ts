/**
 * The sending half of a streamed body (docs/protocol.md, "Streamed bodies"): reads a source of
 * bytes only as fast as the receiver grants credit, and sends it as BODY_CHUNK frames, then one
 * BODY_END. The sender never has more bytes in flight than the receiver granted, so the
 * receiver's memory is bounded by its window whatever the body's size; and since the source is
 * only pulled while there is credit, a slow receiver pauses the source (an HTTP client's socket,
 * a handler's stream) instead of growing a buffer here.
 */
import type { BodyChunkFrame, BodyEndFrame, BodyStream } from '../../protocol/frames.js';
import type { Clock } from '../../clock.js';
import { joinWithHeadroom } from '../../protocol/body-headroom.js';

/** How a body sender puts one frame on its way; resolves when the transport can take more. */
export type BodyFrameSink = (frame: BodyChunkFrame | BodyEndFrame) => Promise<void>;

/** How an outgoing body ended. */
export type OutgoingOutcome = 'complete' | 'aborted' | 'failed';

export interface OutgoingBodyOptions {
  readonly id: string;
  readonly stream: BodyStream;
  readonly clock: Pick<Clock, 'now'>;
  /** Largest BODY_CHUNK payload; bigger source chunks are split. */
  readonly maxChunkBytes: number;
  /** Credit the receiver granted before the first CREDIT frame (the response window in the REQUEST). @default 0 */
  readonly initialCredit?: number;
}

export class OutgoingBody {
  private credit: number;
  private wake: (() => void) | undefined;
  private stopped: string | undefined;
  private seq = 0;
  private sentBytes = 0;

  constructor(
    private readonly options: OutgoingBodyOptions,
    private readonly sink: BodyFrameSink,
  ) {
    this.credit = options.initialCredit ?? 0;
  }

  /** Bytes sent so far. */
  get bytesSent(): number {
    return this.sentBytes;
  }

  /** Credit not used yet: what the receiver still accepts. */
  get available(): number {
    return this.credit;
  }

  /** The receiver lets `bytes` more through. */
  grant(bytes: number): void {
    this.credit += bytes;
    this.wakeUp();
  }

  /**
   * Stops sending: nothing more is read or sent, not even BODY_END (the exchange is over: it was
   * cancelled, or its connection is gone).
   */
  stop(reason: string): void {
    this.stopped ??= reason;
    this.wakeUp();
  }

  /**
   * Sends `source` to its end, then BODY_END; when the source fails, BODY_END carries
   * `errorReason(err)`. Never rejects: a sink that fails ends the body as 'failed'.
   */
  async run(source: AsyncIterable<Uint8Array | string>, errorReason: (err: unknown) => string): Promise<OutgoingOutcome> {
    const iterator = source[Symbol.asyncIterator]();
    /** A read of the source started while gathering a chunk, that was not ready yet. */
    let ahead: Promise<IteratorResult<Uint8Array | string>> | undefined;
    let sourceDone = false;
    try {
      while (!sourceDone) {
        if (this.stopped !== undefined) return 'aborted';
        const parts: Uint8Array[] = [];
        let size = 0;
        /** Why the body ends early: the source failed, or gave something that is not bytes. */
        let failed: string | undefined;
        // Gathers what the source has ready (up to maxChunkBytes) into one chunk: a socket or a
        // stream hands over its data in pieces of 16–64 KiB, and every chunk costs a frame, a
        // signature and, over Messaging, a queue entry. Gathering stops at the first piece not
        // ready by the next turn of the event loop, so a trickle (server-sent events) is not held.
        for (;;) {
          const read = ahead ?? iterator.next();
          ahead = undefined;
          if (parts.length > 0 && !(await settlesThisTurn(read))) {
            ahead = read;
            ahead.catch(ignore);
            break;
          }
          let next: IteratorResult<Uint8Array | string>;
          try {
            next = await read;
          } catch (err) {
            if (this.stopped !== undefined) return 'aborted';
            failed = errorReason(err);
            break;
          }
          if (next.done === true) {
            sourceDone = true;
            break;
          }
          const value = next.value;
          const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
          if (!(bytes instanceof Uint8Array)) {
            failed = 'bad-chunk';
            break;
          }
          if (bytes.length === 0) continue;
          parts.push(bytes);
          size += bytes.length;
          if (size >= this.options.maxChunkBytes || this.stopped !== undefined) break;
        }
        if (parts.length > 0 && !(await this.sendAll(joined(parts, size)))) return 'aborted';
        if (failed !== undefined) {
          await this.sink(this.end(failed));
          return 'aborted';
        }
      }
      if (this.stopped !== undefined) return 'aborted';
      await this.sink(this.end(undefined));
      return 'complete';
    } catch {
      return 'failed';
    } finally {
      if (this.stopped !== undefined) void Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  }

  /** Sends `bytes` in chunks no larger than the credit and maxChunkBytes; false when stopped. */
  private async sendAll(bytes: Uint8Array): Promise<boolean> {
    let at = 0;
    while (at < bytes.length) {
      while (this.credit <= 0 && this.stopped === undefined) await new Promise<void>((resolve) => (this.wake = resolve));
      if (this.stopped !== undefined) return false;
      const n = Math.min(bytes.length - at, this.credit, this.options.maxChunkBytes);
      const piece = at === 0 && n === bytes.length ? bytes : bytes.subarray(at, at + n);
      this.credit -= n;
      this.sentBytes += n;
      const frame: BodyChunkFrame = {
        v: 1,
        type: 'BODY_CHUNK',
        id: this.options.id,
        sentAt: this.options.clock.now(),
        payload: { stream: this.options.stream, seq: this.seq++, body: piece },
      };
      await this.sink(frame);
      at += n;
    }
    return true;
  }

  private end(error: string | undefined): BodyEndFrame {
    const payload = error === undefined ? { stream: this.options.stream, chunks: this.seq } : { stream: this.options.stream, chunks: this.seq, error };
    return { v: 1, type: 'BODY_END', id: this.options.id, sentAt: this.options.clock.now(), payload };
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** The pieces as one chunk: the piece itself when there is one (no copy), else joined with room for the frame's head (a signer writes it there). */
function joined(parts: readonly Uint8Array[], size: number): Uint8Array {
  return parts.length === 1 ? (parts[0] as Uint8Array) : joinWithHeadroom(parts, size);
}

/** True when `read` settles before the event loop's next turn (the source had the data at hand). */
function settlesThisTurn(read: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    const turn = setImmediate(() => resolve(false));
    read.then(
      () => {
        clearImmediate(turn);
        resolve(true);
      },
      () => {
        clearImmediate(turn);
        resolve(true);
      },
    );
  });
}

function ignore(): void {}
