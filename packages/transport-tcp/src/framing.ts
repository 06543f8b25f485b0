/**
 * Length-prefixed framing (packages/transport-tcp/README.md, "Wire format"): every frame on the wire is a big-endian u32 byte count
 * followed by that many bytes of a frame encoded by core's codec.
 *
 *   0               4                         4 + length
 *   +---------------+-------------------------+
 *   | length (u32BE)| encoded frame (length B)|
 *   +---------------+-------------------------+
 *
 * The decoder keeps the received chunks in a list and only copies when a frame spans chunks, so a
 * large frame arriving in many chunks is copied once, not once per chunk.
 */
import { FrameTooLargeError } from './errors.js';

/** Bytes in the length prefix. */
export const LENGTH_PREFIX_BYTES = 4;

/** The largest value a u32 length can take. */
export const MAX_U32 = 0xffff_ffff;

/** Prefixes `frame` with its length. Throws SY_TCP_FRAME_TOO_LARGE over `maxFrameBytes`. */
export function encodeLengthPrefixed(frame: Uint8Array, maxFrameBytes: number): Buffer {
  if (frame.byteLength > maxFrameBytes) throw new FrameTooLargeError(frame.byteLength, maxFrameBytes);
  const out = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + frame.byteLength);
  out.writeUInt32BE(frame.byteLength, 0);
  out.set(frame, LENGTH_PREFIX_BYTES);
  return out;
}

/**
 * Turns a byte stream back into frames. `push(chunk)` returns the complete frames the chunk
 * finished (zero or more), in order. A length over `maxFrameBytes` throws SY_TCP_FRAME_TOO_LARGE
 * as soon as the prefix is read, before any of the body is buffered; the stream is unusable after
 * that (the caller closes the connection).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private offset = 0;
  /** Unread bytes over all chunks. */
  private buffered = 0;
  /** Length of the frame being assembled, once its prefix is read; -1 while waiting for a prefix. */
  private expected = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Unread bytes held (a partial prefix or frame). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    if (chunk.byteLength === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < LENGTH_PREFIX_BYTES) break;
        const length = this.readPrefix();
        if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  private readPrefix(): number {
    const head = this.chunks[0]!;
    if (head.byteLength - this.offset >= LENGTH_PREFIX_BYTES) {
      const length = head.readUInt32BE(this.offset);
      this.consume(LENGTH_PREFIX_BYTES);
      return length;
    }
    return this.take(LENGTH_PREFIX_BYTES).readUInt32BE(0);
  }

  /** Removes and returns the next `n` bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    const head = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (head !== undefined && head.byteLength - this.offset >= n) {
      const view = head.subarray(this.offset, this.offset + n);
      this.consume(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[0]!;
      const available = chunk.byteLength - this.offset;
      const step = Math.min(available, n - written);
      chunk.copy(out, written, this.offset, this.offset + step);
      written += step;
      this.consume(step);
    }
    return out;
  }

  private consume(n: number): void {
    this.offset += n;
    this.buffered -= n;
    const head = this.chunks[0];
    if (head !== undefined && this.offset >= head.byteLength) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}
