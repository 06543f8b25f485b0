/**
 * The chunks of a Node Readable as it pushed them, none joined. Node's own async iterator reads
 * with `read()`, which joins everything the stream has buffered into one new buffer: a streamed
 * body read that way is copied once there, cut into frame-sized views that have no room in front
 * for their frame's head, and copied again when each frame is encoded. Read piece by piece, a
 * chunk is joined from the pieces once, with that room (outgoing-body.ts, body-headroom.ts).
 *
 * The stream flows while fewer than `highWaterBytes` wait here and is paused beyond that, so what
 * waits stays bounded as with Node's iterator. The iterator ends at the stream's `end`; it throws
 * the stream's error, or a premature-close error when the stream closed before its end. Its
 * `return()` (a reader that gives up) destroys the stream, as Node's iterator does; `release()`
 * stops reading and leaves the stream as it is, to be read or drained by someone else.
 */
import type { Readable } from 'node:stream';

/** An iterator over a stream's pieces that can also let go of the stream without destroying it. */
export interface PieceIterator<T> extends AsyncIterator<T> {
  /** Stops reading: no more pieces are taken or held, the stream is no longer paused by this reader, and a later return() does not destroy it. */
  release(): void;
}

export function streamPieces<T extends Uint8Array | string>(stream: Readable, highWaterBytes: number): { [Symbol.asyncIterator](): PieceIterator<T> } {
  return {
    [Symbol.asyncIterator]: () => new PieceReader<T>(stream, highWaterBytes),
  };
}

class PieceReader<T extends Uint8Array | string> implements PieceIterator<T> {
  private readonly pieces: T[] = [];
  private head = 0;
  private waitingBytes = 0;
  private ended = false;
  /** Let go by release(): a later return() leaves the stream alone. */
  private released = false;
  private failure: unknown;
  /** Reads waiting for a piece, the end or a failure. */
  private waiting: Array<() => void> = [];

  constructor(
    private readonly stream: Readable,
    private readonly highWaterBytes: number,
  ) {
    // A stream that already ended or was destroyed emits nothing more.
    if (stream.readableEnded) this.ended = true;
    else if (stream.destroyed) this.failure = stream.errored ?? prematureClose();
    stream.on('data', this.onData);
    stream.once('end', this.onEnd);
    stream.once('error', this.onError);
    stream.once('close', this.onClose);
    // This is the stream's reader now: one paused before it was handed over flows too.
    if (stream.isPaused() && !this.ended) stream.resume();
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.head < this.pieces.length) return { done: false, value: this.take() };
      if (this.failure !== undefined) {
        this.detach();
        throw this.failure;
      }
      if (this.ended) {
        this.detach();
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.detach();
    if (!this.ended && !this.released) this.stream.destroy();
    return { done: true, value: undefined };
  }

  release(): void {
    this.released = true;
    this.detach();
    this.pieces.length = 0;
    this.head = 0;
    this.waitingBytes = 0;
  }

  private take(): T {
    const piece = this.pieces[this.head] as T;
    this.pieces[this.head++] = undefined as unknown as T;
    if (this.head === this.pieces.length) {
      this.pieces.length = 0;
      this.head = 0;
    }
    this.waitingBytes -= sizeOf(piece);
    if (this.waitingBytes < this.highWaterBytes && this.stream.isPaused() && !this.ended) this.stream.resume();
    return piece;
  }

  private readonly onData = (piece: T): void => {
    this.pieces.push(piece);
    this.waitingBytes += sizeOf(piece);
    if (this.waitingBytes >= this.highWaterBytes) this.stream.pause();
    this.wakeUp();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.wakeUp();
  };

  private readonly onError = (err: unknown): void => {
    this.failure ??= err;
    this.wakeUp();
  };

  private readonly onClose = (): void => {
    if (!this.ended) this.failure ??= prematureClose();
    this.wakeUp();
  };

  private wakeUp(): void {
    const waiting = this.waiting;
    if (waiting.length === 0) return;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  private detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.off('close', this.onClose);
  }
}

function prematureClose(): Error {
  return Object.assign(new Error('the stream closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** A piece's size; an object-mode stream's piece that is not bytes (the reader refuses it) counts as one. */
function sizeOf(piece: unknown): number {
  const length = (piece as { length?: unknown }).length;
  return typeof length === 'number' ? length : 1;
}
