/**
 * The receiving half of a streamed body (docs/protocol.md, "Streamed bodies"): a Node Readable fed
 * by BODY_CHUNK frames in sequence order, which grants the sender credit only for bytes its reader
 * has taken. What is buffered here plus what is in flight never exceeds the window, so a slow
 * reader (an HTTP client, a handler) holds the sender back instead of growing memory.
 *
 * It ends when BODY_END says every chunk arrived; it errors with BodyAbortedError when the sender
 * aborts, a chunk is missing at the end, the sender exceeds its credit, or nothing arrives for
 * `idleMs` while the reader waits and the sender has credit.
 */
import { Readable } from 'node:stream';
import { BodyAbortedError } from '../../errors.js';
import type { BodyStream } from '../../protocol/frames.js';

export interface IncomingBodyOptions {
  readonly id: string;
  readonly stream: BodyStream;
  /** Bytes the receiver lets be buffered and in flight at once. */
  readonly window: number;
  /** Credit the sender already has (e.g. the response window announced in the REQUEST); the rest is granted at once. */
  readonly alreadyGranted: number;
  /** Aborts the body when nothing arrives for this long while its reader waits for more. */
  readonly idleMs: number;
  /** Sends a CREDIT of `bytes`. Must not throw. */
  readonly grant: (bytes: number) => void;
}

export class IncomingBody extends Readable {
  private granted: number;
  private received = 0;
  private nextSeq = 0;
  /** Chunks that came ahead of a missing one (a queue may redeliver out of order), by seq. */
  private readonly ahead = new Map<number, Uint8Array>();
  private aheadBytes = 0;
  private endAfter = -1;
  private idle: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(private readonly options: IncomingBodyOptions) {
    super({ highWaterMark: options.window });
    // A body nobody reads (a handler that ignores it, a response whose head said it has none) may
    // still be aborted; that is no error of the process. Readers see the error through their own
    // listeners, iterators and pipelines.
    this.on('error', ignore);
    this.granted = options.alreadyGranted;
    if (this.granted < options.window) {
      const first = options.window - this.granted;
      this.granted = options.window;
      options.grant(first);
    }
  }

  /** True once the body ended or failed: later frames for it are ignored. */
  get done(): boolean {
    return this.finished;
  }

  /** Bytes received so far. */
  get bytesReceived(): number {
    return this.received;
  }

  /** Bytes received that the reader has not taken yet (this body's share of memory). */
  get bufferedBytes(): number {
    return this.readableLength + this.aheadBytes;
  }

  /** One BODY_CHUNK. */
  chunk(seq: number, bytes: Uint8Array): void {
    if (this.finished || seq < this.nextSeq || this.ahead.has(seq)) return;
    this.received += bytes.length;
    if (this.received > this.granted) {
      this.abort('credit-exceeded', `${this.received} bytes received with ${this.granted} granted`);
      return;
    }
    // Something arrived: the idle clock runs again only when the reader next waits (_read).
    this.stopIdle();
    if (seq !== this.nextSeq) {
      this.ahead.set(seq, bytes);
      this.aheadBytes += bytes.length;
      return;
    }
    this.deliver(bytes);
    for (let next = this.ahead.get(this.nextSeq); next !== undefined; next = this.ahead.get(this.nextSeq)) {
      this.ahead.delete(this.nextSeq);
      this.aheadBytes -= next.length;
      this.deliver(next);
    }
    this.maybeEnd();
  }

  /** BODY_END: complete after `chunks` chunks, or aborted by the sender with `error`. */
  receiveEnd(chunks: number, error: string | undefined): void {
    if (this.finished) return;
    if (error !== undefined) {
      this.abort(error);
      return;
    }
    this.endAfter = chunks;
    if (this.nextSeq > chunks) this.abort('chunk-count', `BODY_END says ${chunks} chunks, ${this.nextSeq} arrived`);
    else this.maybeEnd();
  }

  /** Fails the body from outside (cancelled exchange, lost connection). */
  abort(reason: string, detail?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.stopIdle();
    this.ahead.clear();
    this.aheadBytes = 0;
    this.destroy(new BodyAbortedError(this.options.id, this.options.stream, reason, detail));
  }

  /**
   * Every way of reading (flowing mode, pipe, async iteration, read()) goes through read(): the
   * place to see bytes leave the buffer. _read() alone would not do: Node calls it once and not
   * again until the next push, so a grant it declined (too small yet) would never be made.
   */
  override read(size?: number): unknown {
    const out: unknown = super.read(size);
    if (!this.finished) this.topUp();
    return out;
  }

  override _read(): void {
    if (this.finished) return;
    this.topUp();
    // Idle means: the sender may send and nothing comes. A sender without credit is waiting for
    // this side's reader, which is not idleness.
    if (this.idle === undefined && this.granted > this.received) {
      this.idle = setTimeout(() => this.abort('idle-timeout', `nothing arrived for ${this.options.idleMs} ms`), this.options.idleMs);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // A reader that gives up (destroy() without an error) ends the body here too.
    this.finished = true;
    this.stopIdle();
    callback(err);
  }

  private deliver(bytes: Uint8Array): void {
    this.nextSeq += 1;
    this.push(bytes);
  }

  private maybeEnd(): void {
    if (this.endAfter >= 0 && this.nextSeq === this.endAfter && !this.finished) {
      this.finished = true;
      this.stopIdle();
      this.push(null);
    }
  }

  /** Grants credit for what the reader took, once that is a quarter of the window (fewer CREDIT frames). */
  private topUp(): void {
    const taken = this.received - this.readableLength - this.aheadBytes;
    const due = taken + this.options.window - this.granted;
    if (due >= this.options.window / 4) {
      this.granted += due;
      this.options.grant(due);
    }
  }

  private stopIdle(): void {
    if (this.idle !== undefined) clearTimeout(this.idle);
    this.idle = undefined;
  }
}

function ignore(): void {}
