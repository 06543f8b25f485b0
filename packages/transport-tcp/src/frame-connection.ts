/**
 * One framed connection, either side: decodes incoming frames (length prefix, then core's codec)
 * and sends frames with writes batched per event-loop turn and bounded by backpressure.
 *
 * - A frame over `maxFrameBytes`, or one the codec rejects, closes THIS connection with a logged
 *   reason; nothing throws out of the read path.
 * - Frames sent during one event-loop turn go out as one `write()` (fewer syscalls and TLS
 *   records under load, no per-frame timer), up to FLUSH_FRAMES frames or FLUSH_BYTES bytes: a
 *   batch that full is written at once, so the peer starts on it while this side is still busy.
 *   When the socket's buffer plus the batch exceeds `maxWriteBufferBytes`, `send()` resolves only
 *   after 'drain', so a slow peer makes its senders wait instead of growing memory without bound.
 */
import type { Socket } from 'node:net';
import { decodeFrame, hasCode, TransportFailureError, type Clock, type Frame, type Logger } from '@switchyard/core';
import { frameParts, writeFrameParts, type FrameParts } from '@switchyard/core/internal';
import { FrameTooLargeError } from './errors.js';
import { FrameDecoder, LENGTH_PREFIX_BYTES } from './framing.js';

/** Write counters shared by every connection of one transport (frames per write shows the batching). */
export interface WriteStats {
  framesWritten: number;
  writes: number;
}

export interface FrameConnectionOptions {
  readonly maxFrameBytes: number;
  readonly stats?: WriteStats;
  readonly maxWriteBufferBytes: number;
  /** 'tcp' or 'tls', for errors and logs. */
  readonly transport: string;
}

export interface FrameConnectionHandlers {
  /** A decoded, validated frame. Must not throw (a throw is logged and the frame dropped). */
  frame(frame: Frame, connection: FrameConnection): void;
  /** Called once, after the socket closed, with why. */
  closed(reason: string, connection: FrameConnection): void;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A batch with this many frames, or this many bytes, is written at once instead of at the end of
 * the turn. Holding every frame to the end of a long turn (a gateway reading 200 HTTP requests
 * in one poll) leaves the peer idle until then, and the two sides take turns instead of working
 * at the same time: at 256 concurrent HTTP requests over TCP, flushing every 16 frames took a
 * slower gateway of the time from 5.9–6.3k to 8.4–8.5k req/s on a 2-core machine. Each batch is a
 * write here and a wake-up and a read on the peer, though: once the gateway was faster, 64 frames
 * cost less than 16 on both sides (bench:http, TCP at c=256, 6 interleaved pairs: the echo's CPU per
 * request 12.2 against 14.6 µs, the gateway's 38 against 43, throughput and p99 no worse), and
 * whole turns (256) were no better than 64. 4 frames cost more than they gained.
 */
export const FLUSH_FRAMES = 64;
const FLUSH_BYTES = 64 * 1024;
/** A frame body this large is written as its own piece rather than copied into the batch. */
const LARGE_BODY_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);
const END_GRACE_MS = 2_000;

export class FrameConnection {
  private readonly decoder: FrameDecoder;
  private pending: FrameParts[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private drainWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private closeReason: string | undefined;
  private closedFlag = false;
  private queuedCount = 0;
  private writtenCount = 0;
  private readonly closedPromise: Promise<string>;
  private resolveClosed!: (reason: string) => void;

  constructor(
    readonly id: string,
    readonly socket: Socket,
    private readonly options: FrameConnectionOptions,
    private readonly handlers: FrameConnectionHandlers,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err: Error) => {
      this.closeReason ??= `socket error: ${err.message}`;
    });
    socket.on('end', () => {
      this.closeReason ??= 'closed by peer';
    });
    socket.on('close', () => this.onClose());
  }

  /** True until the socket closes (or close() is called). */
  isOpen(): boolean {
    return !this.closedFlag && this.closeReason === undefined;
  }

  /**
   * Frames accepted by send() so far: read right after a send(), it is that frame's sequence
   * number. A frame whose number is above {@link written} never left this process.
   */
  get queued(): number {
    return this.queuedCount;
  }

  /** Frames handed to the socket so far (they may have reached the peer). */
  get written(): number {
    return this.writtenCount;
  }

  /** Resolves with the close reason once the socket has closed. */
  get closed(): Promise<string> {
    return this.closedPromise;
  }

  /**
   * Queues `frame` for the next batched write. Resolves at once while the connection's buffer is
   * under `maxWriteBufferBytes`, else after the socket drains. Rejects with SY_TRANSPORT_FAILURE
   * when the connection is closed, and with SY_TCP_FRAME_TOO_LARGE (nothing sent) when the frame
   * is over `maxFrameBytes`.
   */
  send(frame: Frame): Promise<void> {
    if (!this.isOpen()) {
      return Promise.reject(new TransportFailureError(this.options.transport, `connection ${this.id} is closed (${this.closeReason ?? 'closed'})`));
    }
    let parts: FrameParts;
    try {
      parts = frameParts(frame);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (parts.byteLength > this.options.maxFrameBytes) return Promise.reject(new FrameTooLargeError(parts.byteLength, this.options.maxFrameBytes));
    // Frames are queued measured, not encoded: writePending() writes each one, with its length
    // prefix, straight into the batch, so a body is copied once and no buffer is made per frame.
    this.pending.push(parts);
    this.queuedCount += 1;
    this.pendingBytes += LENGTH_PREFIX_BYTES + parts.byteLength;
    if (this.pending.length >= FLUSH_FRAMES || this.pendingBytes >= FLUSH_BYTES) {
      this.writePending();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushTurn);
    }
    if (this.pendingBytes + this.socket.writableLength <= this.options.maxWriteBufferBytes) return RESOLVED;
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  /** Closes the connection now (unsent frames are dropped), logging `reason`. */
  close(reason: string, level: 'debug' | 'warn' = 'debug'): void {
    if (this.closeReason === undefined) {
      this.closeReason = reason;
      this.logger[level]({ connection: this.id, transport: this.options.transport, reason }, 'closing connection');
    }
    this.socket.destroy();
  }

  /** Sends what is queued, half-closes, and waits (bounded) for the socket to close. */
  async end(): Promise<void> {
    if (this.closedFlag) return;
    this.writePending();
    this.closeReason ??= 'closed locally';
    this.socket.end();
    const grace = new AbortController();
    try {
      await Promise.race([this.closedPromise, this.clock.sleep(END_GRACE_MS, grace.signal).then(() => this.socket.destroy())]);
    } finally {
      grace.abort();
    }
    await this.closedPromise;
  }

  /** The end-of-turn flush (setImmediate). */
  private readonly flushTurn = (): void => {
    this.flushScheduled = false;
    this.writePending();
  };

  /**
   * Writes every queued frame as one batch. A body of LARGE_BODY_BYTES or more (a streamed
   * body's chunk) is not copied into the batch: the batch is cut around it and the pieces go out
   * in one corked write (writev), so a large body is copied by the kernel only.
   */
  private writePending(): void {
    if (this.pending.length === 0) return;
    const frames = this.pending;
    let separate = 0;
    for (const parts of frames) if (parts.body.length >= LARGE_BODY_BYTES) separate += parts.body.length;
    const batch = Buffer.allocUnsafe(this.pendingBytes - separate);
    const pieces: Buffer[] = [];
    let start = 0;
    let at = 0;
    for (const parts of frames) {
      batch.writeUInt32BE(parts.byteLength, at);
      if (parts.body.length >= LARGE_BODY_BYTES) {
        writeFrameParts({ ...parts, body: EMPTY }, batch, at + LENGTH_PREFIX_BYTES);
        at += LENGTH_PREFIX_BYTES + parts.byteLength - parts.body.length;
        pieces.push(batch.subarray(start, at), Buffer.from(parts.body.buffer, parts.body.byteOffset, parts.body.byteLength));
        start = at;
      } else {
        writeFrameParts(parts, batch, at + LENGTH_PREFIX_BYTES);
        at += LENGTH_PREFIX_BYTES + parts.byteLength;
      }
    }
    const stats = this.options.stats;
    if (stats !== undefined) {
      stats.framesWritten += frames.length;
      stats.writes += 1;
    }
    this.pending = [];
    this.pendingBytes = 0;
    if (this.socket.destroyed) return;
    this.writtenCount += frames.length;
    let flowing: boolean;
    if (pieces.length === 0) {
      flowing = this.socket.write(batch);
    } else {
      if (start < at) pieces.push(batch.subarray(start, at));
      this.socket.cork();
      flowing = true;
      for (const piece of pieces) flowing = this.socket.write(piece);
      this.socket.uncork();
    }
    if (flowing && this.drainWaiters.length > 0) this.onDrain();
  }

  private onDrain(): void {
    if (this.pendingBytes + this.socket.writableLength > this.options.maxWriteBufferBytes) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.close(`framing error: ${(err as Error).message}`, 'warn');
      return;
    }
    for (const bytes of frames) {
      if (this.closeReason !== undefined) return;
      let frame: Frame;
      try {
        frame = decodeFrame(bytes);
      } catch (err) {
        const reason = hasCode(err, 'SY_PROTOCOL_INVALID_FRAME') ? (err as Error).message : `undecodable frame: ${(err as Error).message}`;
        this.close(reason, 'warn');
        return;
      }
      try {
        this.handlers.frame(frame, this);
      } catch (err) {
        this.logger.error({ connection: this.id, frameType: frame.type, err }, 'frame handler threw; frame dropped');
      }
    }
  }

  private onClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const reason = this.closeReason ?? 'closed';
    this.closeReason = reason;
    this.pending = [];
    this.pendingBytes = 0;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w.reject(new TransportFailureError(this.options.transport, `connection ${this.id} closed: ${reason}`));
    this.resolveClosed(reason);
    this.handlers.closed(reason, this);
  }
}
