/**
 * The one frame codec every transport uses (docs/protocol.md, "Wire format"). Wire layout:
 *
 *   byte 0      0x53 ('S')                 FRAME_MAGIC
 *   byte 1      0x01 or 0x02               wire format: JSON_WIRE_FORMAT or BINARY_WIRE_FORMAT
 *   bytes 2–5   u32 big-endian             header length H (≤ PROTOCOL_LIMITS.maxHeaderBytes)
 *   H bytes     the header                 format 1: UTF-8 JSON of the frame without payload.body;
 *                                          format 2: binary-header.ts (REQUEST and RESPONSE only)
 *   the rest    raw bytes                  payload.body (REQUEST, RESPONSE, BODY_CHUNK); empty otherwise
 *
 * A REQUEST or RESPONSE whose `wireFormat` is 2 is written in format 2; every other frame in
 * format 1. The decoder reads both and sets `wireFormat` on what it reads.
 *
 * Bodies are never base64: encoding copies a body once into the output, decoding returns a
 * subarray view of the input (no copy), so a decoded body lives as long as the input buffer.
 */
import { InvalidFrameError } from '../errors.js';
import type { QueueCodec } from '../queue/types.js';
import type { Frame } from './frames.js';
import { decodeBinaryHeader, encodeBinaryHeader } from './binary-header.js';
import { takeHeadroom } from './body-headroom.js';
import { BINARY_WIRE_FORMAT, FRAME_MAGIC, FRAME_PREFIX_BYTES, JSON_WIRE_FORMAT, PROTOCOL_LIMITS, type WireFormat } from './limits.js';
import { hasBody, validateFrameParts } from './validate.js';

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A frame measured for writing: its header (JSON text in format 1, bytes in format 2), the
 * header's length in bytes and the body, so a writer that batches frames (the TCP link) can size
 * its buffer and write each frame straight into it, without an intermediate buffer per frame.
 */
export interface FrameParts {
  readonly wireFormat: WireFormat;
  readonly header: string | Uint8Array;
  readonly headerBytes: number;
  readonly body: Uint8Array;
  /** Encoded size: prefix + header + body. */
  readonly byteLength: number;
}

/**
 * Measures a frame for writeFrameParts. It does not validate (the receiver does, and a sender
 * builds frames with makeFrame); it only refuses what it cannot encode: a REQUEST or RESPONSE
 * whose body is not a Uint8Array, or a header over the size limit.
 */
export function frameParts(frame: Frame): FrameParts {
  let body: Uint8Array = EMPTY;
  let header: string;
  if (hasBody(frame.type)) {
    const payload = frame.payload as { body?: unknown };
    if (!(payload.body instanceof Uint8Array)) {
      throw new InvalidFrameError(`cannot encode ${frame.type} ${frame.id}: payload.body must be a Uint8Array`);
    }
    body = payload.body;
    if (frame.wireFormat === BINARY_WIRE_FORMAT && (frame.type === 'REQUEST' || frame.type === 'RESPONSE')) {
      const binary = encodeBinaryHeader(frame);
      checkHeaderSize(frame, binary.length);
      return { wireFormat: BINARY_WIRE_FORMAT, header: binary, headerBytes: binary.length, body, byteLength: FRAME_PREFIX_BYTES + binary.length + body.length };
    }
    // JSON.stringify drops properties whose value is undefined: this writes the header without
    // the body and without copying the body into a string.
    header = JSON.stringify({ v: frame.v, type: frame.type, id: frame.id, sentAt: frame.sentAt, payload: { ...frame.payload, body: undefined } });
    // A request body's chunk head ends with a space (JSON allows it), one byte more than the same
    // head naming the response stream: a receiver that sends the chunk on as a response body
    // writes its head where this one was (body-headroom.ts, lendHeadroom) instead of copying it.
    if (frame.type === 'BODY_CHUNK' && frame.payload.stream === 'request') header += ' ';
  } else {
    header = JSON.stringify(frame);
  }
  const headerBytes = Buffer.byteLength(header, 'utf8');
  checkHeaderSize(frame, headerBytes);
  return { wireFormat: JSON_WIRE_FORMAT, header, headerBytes, body, byteLength: FRAME_PREFIX_BYTES + headerBytes + body.length };
}

function checkHeaderSize(frame: Frame, headerBytes: number): void {
  if (headerBytes > PROTOCOL_LIMITS.maxHeaderBytes) {
    throw new InvalidFrameError(
      `cannot encode ${frame.type} ${frame.id}: its header is ${headerBytes} bytes, over the limit of ${PROTOCOL_LIMITS.maxHeaderBytes}`,
    );
  }
}

/** Writes `parts` (from frameParts) into `target` at `offset`; `parts.byteLength` bytes must fit. */
export function writeFrameParts(parts: FrameParts, target: Buffer, offset: number): void {
  target[offset] = FRAME_MAGIC;
  target[offset + 1] = parts.wireFormat;
  target.writeUInt32BE(parts.headerBytes, offset + 2);
  if (typeof parts.header === 'string') target.write(parts.header, offset + FRAME_PREFIX_BYTES, parts.headerBytes, 'utf8');
  else target.set(parts.header, offset + FRAME_PREFIX_BYTES);
  if (parts.body.length > 0) target.set(parts.body, offset + FRAME_PREFIX_BYTES + parts.headerBytes);
}

/**
 * Encodes a frame into a new buffer (frameParts, then writeFrameParts; the same refusals). A body
 * joined with room in front (a streamed chunk, body-headroom.ts) gets the frame's head written
 * there instead, and the frame is a view over head and body: no copy of the body. sealFrame does
 * the same for signed frames.
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const parts = frameParts(frame);
  const inPlace = parts.body.length > 0 ? takeHeadroom(parts.body, parts.byteLength - parts.body.length) : undefined;
  if (inPlace !== undefined) {
    writeFrameParts({ ...parts, body: EMPTY }, inPlace, 0);
    return inPlace;
  }
  const out = Buffer.allocUnsafe(parts.byteLength);
  writeFrameParts(parts, out, 0);
  return out;
}

/**
 * Decodes and validates one frame. Throws only InvalidFrameError, whose `reason` says what was
 * wrong; the returned body (REQUEST, RESPONSE) is a view into `bytes`.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (!(bytes instanceof Uint8Array)) throw new InvalidFrameError('input must be a Uint8Array');
  if (bytes.length < FRAME_PREFIX_BYTES) {
    throw new InvalidFrameError(`truncated: ${bytes.length} bytes is shorter than the ${FRAME_PREFIX_BYTES}-byte prefix`);
  }
  if (bytes[0] !== FRAME_MAGIC) {
    throw new InvalidFrameError(`bad magic byte 0x${hex(bytes[0] as number)} (expected 0x${hex(FRAME_MAGIC)}): not a Switchyard frame`);
  }
  const wireFormat = bytes[1] as number;
  if (wireFormat !== JSON_WIRE_FORMAT && wireFormat !== BINARY_WIRE_FORMAT) {
    throw new InvalidFrameError(`unsupported wire format version ${wireFormat} (this codec reads ${JSON_WIRE_FORMAT} and ${BINARY_WIRE_FORMAT})`);
  }
  // Unsigned by construction: the top byte is multiplied, not shifted, so it never goes negative.
  const headerBytes = (bytes[2] as number) * 0x1000000 + (((bytes[3] as number) << 16) | ((bytes[4] as number) << 8) | (bytes[5] as number));
  if (headerBytes > PROTOCOL_LIMITS.maxHeaderBytes) {
    throw new InvalidFrameError(`header length ${headerBytes} is over the limit of ${PROTOCOL_LIMITS.maxHeaderBytes} bytes`);
  }
  const bodyStart = FRAME_PREFIX_BYTES + headerBytes;
  if (bodyStart > bytes.length) {
    throw new InvalidFrameError(`truncated: the header says ${headerBytes} bytes but only ${bytes.length - FRAME_PREFIX_BYTES} follow the prefix`);
  }
  const body = bodyStart === bytes.length ? EMPTY : bytes.subarray(bodyStart);
  if (wireFormat === BINARY_WIRE_FORMAT) return validateFrameParts(decodeBinaryHeader(bytes, FRAME_PREFIX_BYTES, bodyStart), body, BINARY_WIRE_FORMAT);
  let text: string;
  try {
    text = utf8.decode(bytes.subarray(FRAME_PREFIX_BYTES, bodyStart));
  } catch (cause) {
    throw new InvalidFrameError('header is not valid UTF-8', { cause });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (cause) {
    throw new InvalidFrameError(`header is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return validateFrameParts(header, body, JSON_WIRE_FORMAT);
}

/** decodeFrame for read loops that must never throw: the frame, or the InvalidFrameError. */
export function tryDecodeFrame(bytes: Uint8Array): { ok: true; frame: Frame } | { ok: false; error: InvalidFrameError } {
  try {
    return { ok: true, frame: decodeFrame(bytes) };
  } catch (err) {
    return { ok: false, error: err instanceof InvalidFrameError ? err : new InvalidFrameError(String(err), { cause: err }) };
  }
}

/** The frame codec as a queue codec (the Messaging transport adds dead-letter redaction: frame-redaction.ts). */
export const frameCodec: QueueCodec<Frame> = Object.freeze({ encode: encodeFrame, decode: decodeFrame });

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
