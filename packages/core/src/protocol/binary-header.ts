/**
 * The binary header of wire format 2 (docs/protocol.md, "Wire format 2"): REQUEST and RESPONSE,
 * the two frames of every request, without JSON. Numbers sit at fixed offsets; every string's
 * length (in UTF-16 code units) comes before one string area that holds them all, so encoding
 * writes that area with one UTF-8 write and decoding reads it with one UTF-8 decode, then slices.
 *
 *   REQUEST   u8 0x01 | id 16 bytes | f64 sentAt | f64 deadline | u8 method | u8 flags
 *             [u32 window | u32 idleMs, when flags has STREAM] | u16 header count
 *             u32 lengths of: path, query, replyTo, [identity JSON, when flags has IDENTITY],
 *             then each header's name and value | string area (UTF-8)
 *   RESPONSE  u8 0x02 | id 16 bytes | f64 sentAt | u16 status | u8 flags | u16 header count
 *             u32 lengths of: instanceId, [stream.replyTo, when flags has STREAM], then each
 *             header's name and value | string area (UTF-8)
 *
 * Numbers are big-endian. The decoder returns the same plain header object JSON.parse would, so
 * one validator (validate.ts) judges both wire formats.
 */
import { InvalidFrameError } from '../errors.js';
import { deepFreeze } from '../deep-freeze.js';
import type { Identity, RequestFrame, ResponseFrame } from './frames.js';
import { HTTP_METHODS } from './validate.js';

const TYPE_REQUEST = 0x01;
const TYPE_RESPONSE = 0x02;
const FLAG_IDENTITY = 0x01;
const FLAG_STREAM = 0x02;
const FLAG_STREAM_BODY = 0x04;
const ID_BYTES = 16;
const U32_MAX = 0xffff_ffff;
const METHOD_CODES = new Map<string, number>(HTTP_METHODS.map((m, i) => [m, i]));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Fixed bytes before the string lengths. */
const REQUEST_FIXED = 1 + ID_BYTES + 8 + 8 + 1 + 1;
const RESPONSE_FIXED = 1 + ID_BYTES + 8 + 2 + 1;

/** The wire-format-2 header of a REQUEST or RESPONSE (without the 6-byte prefix). */
export function encodeBinaryHeader(frame: RequestFrame | ResponseFrame): Buffer {
  return frame.type === 'REQUEST' ? encodeRequest(frame) : encodeResponse(frame);
}

function encodeRequest(frame: RequestFrame): Buffer {
  const p = frame.payload;
  const method = METHOD_CODES.get(p.method);
  if (method === undefined) throw new InvalidFrameError(`cannot encode REQUEST ${frame.id}: payload.method ${String(p.method)} is not an HTTP method of the protocol`);
  const identity = p.identity === null ? undefined : identityJson(p.identity);
  const stream = p.stream;
  const names = Object.keys(p.headers);
  const fixed = REQUEST_FIXED + (stream === undefined ? 0 : 8) + 2;
  const out = new StringsOut(frame).add(p.path, 'payload.path').add(p.query, 'payload.query').add(p.replyTo, 'payload.replyTo').add(identity, 'payload.identity').addHeaders(p.headers, names).allocate(fixed);
  out[0] = TYPE_REQUEST;
  writeId(frame, out);
  let at = 1 + ID_BYTES;
  out.writeDoubleBE(frame.sentAt, at);
  out.writeDoubleBE(p.deadline, at + 8);
  out[at + 16] = method;
  out[at + 17] = (identity === undefined ? 0 : FLAG_IDENTITY) | (stream === undefined ? 0 : FLAG_STREAM | (stream.body ? FLAG_STREAM_BODY : 0));
  at += 18;
  if (stream !== undefined) {
    out.writeUInt32BE(u32(frame, 'payload.stream.window', stream.window), at);
    out.writeUInt32BE(u32(frame, 'payload.stream.idleMs', stream.idleMs), at + 4);
    at += 8;
  }
  out.writeUInt16BE(headerCount(frame, names.length), at);
  return out;
}

function encodeResponse(frame: ResponseFrame): Buffer {
  const p = frame.payload;
  const stream = p.stream;
  const names = Object.keys(p.headers);
  const out = new StringsOut(frame).add(p.instanceId, 'payload.instanceId').add(stream?.replyTo, 'payload.stream.replyTo').addHeaders(p.headers, names).allocate(RESPONSE_FIXED + 2);
  out[0] = TYPE_RESPONSE;
  writeId(frame, out);
  out.writeDoubleBE(frame.sentAt, 1 + ID_BYTES);
  if (!Number.isInteger(p.status) || p.status < 0 || p.status > 0xffff) throw new InvalidFrameError(`cannot encode RESPONSE ${frame.id}: payload.status ${String(p.status)} is not an HTTP status`);
  out.writeUInt16BE(p.status, 1 + ID_BYTES + 8);
  out[1 + ID_BYTES + 10] = stream === undefined ? 0 : FLAG_STREAM;
  out.writeUInt16BE(headerCount(frame, names.length), RESPONSE_FIXED);
  return out;
}

/** The strings of a header being written: their UTF-16 lengths, and one area that holds them in order. */
class StringsOut {
  private readonly lengths: number[] = [];
  private area = '';

  constructor(private readonly frame: RequestFrame | ResponseFrame) {}

  /** Appends `value` (the field `what`); an undefined value is an absent optional string (nothing written). */
  add(value: string | undefined, what: string): this {
    if (value === undefined) return this;
    if (typeof value !== 'string') throw new InvalidFrameError(`cannot encode ${this.frame.type} ${this.frame.id}: ${what} must be a string (got ${typeof value})`);
    this.lengths.push(value.length);
    this.area += value;
    return this;
  }

  addHeaders(headers: Readonly<Record<string, string>>, names: readonly string[]): this {
    for (const name of names) {
      const value = headers[name];
      // The field's name is built only for the error: a template per header cost more than the rest of add().
      this.add(name, 'a header name').add(value, typeof value === 'string' ? '' : `payload.headers[${JSON.stringify(name)}]`);
    }
    return this;
  }

  /**
   * A buffer with `fixed` bytes for the caller, then the lengths and the string area written. (A
   * lone UTF-16 surrogate, which HTTP header values cannot hold, is written as U+FFFD: one code
   * unit for one, so lengths still match.)
   */
  allocate(fixed: number): Buffer {
    const areaAt = fixed + 4 * this.lengths.length;
    const out = Buffer.allocUnsafe(areaAt + Buffer.byteLength(this.area, 'utf8'));
    for (let i = 0; i < this.lengths.length; i++) out.writeUInt32BE(this.lengths[i] as number, fixed + 4 * i);
    out.write(this.area, areaAt, 'utf8');
    return out;
  }
}

/** Nibble values of '0'-'9' and 'a'-'f'; -1 for every other character code below 128. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;

/**
 * Writes the frame's id as 16 bytes at offset 1, checking it is 32 lower-case hex characters as it
 * goes (a JavaScript loop: cheaper than Buffer's hex write plus a regex test of the id).
 */
function writeId(frame: RequestFrame | ResponseFrame, out: Buffer): void {
  const id: unknown = frame.id;
  if (typeof id === 'string' && id.length === 2 * ID_BYTES) {
    let bad = 0;
    for (let i = 0; i < ID_BYTES; i++) {
      const high = NIBBLE[id.charCodeAt(2 * i)] ?? -1;
      const low = NIBBLE[id.charCodeAt(2 * i + 1)] ?? -1;
      bad |= high | low;
      out[1 + i] = (high << 4) | low;
    }
    if (bad >= 0) return;
  }
  throw new InvalidFrameError(`cannot encode ${frame.type} ${String(id)}: the id is not 32 lower-case hex characters`);
}

/**
 * The identity's JSON. A gateway sends one identity object again and again (the anonymous
 * identity, a principal its authenticator keeps per token), so the last one's JSON is kept.
 * Identities are read-only (their type says so): an object is never changed after it is made.
 */
let lastIdentity: Identity | undefined;
let lastIdentityJson = '';
function identityJson(identity: Identity): string {
  if (identity !== lastIdentity) {
    lastIdentityJson = JSON.stringify(identity);
    lastIdentity = identity;
  }
  return lastIdentityJson;
}

function headerCount(frame: RequestFrame | ResponseFrame, count: number): number {
  if (count > 0xffff) throw new InvalidFrameError(`cannot encode ${frame.type} ${frame.id}: ${count} headers is more than 65535`);
  return count;
}

function u32(frame: RequestFrame, field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) throw new InvalidFrameError(`cannot encode REQUEST ${frame.id}: ${field} ${value} is not a 32-bit unsigned integer`);
  return value;
}

/**
 * Reads the wire-format-2 header in `bytes[start, end)` into the plain object JSON would give
 * (`{ v, type, id, sentAt, payload }`, no body), unvalidated. Throws InvalidFrameError when the
 * layout is broken: unknown type, truncated, string lengths that do not match the string area,
 * or an area that is not UTF-8.
 */
export function decodeBinaryHeader(bytes: Uint8Array, start: number, end: number): Record<string, unknown> {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  need(b, start, 1, end);
  const type = b[start] as number;
  if (type === TYPE_REQUEST) return decodeRequest(b, start, end);
  if (type === TYPE_RESPONSE) return decodeResponse(b, start, end);
  throw new InvalidFrameError(`binary header: unknown frame type code ${type} (wire format 2 carries REQUEST 1 and RESPONSE 2)`);
}

function decodeRequest(b: Buffer, start: number, end: number): Record<string, unknown> {
  let at = start + 1;
  need(b, at, REQUEST_FIXED - 1, end);
  const id = b.toString('hex', at, at + ID_BYTES);
  at += ID_BYTES;
  const sentAt = b.readDoubleBE(at);
  const deadline = b.readDoubleBE(at + 8);
  const methodCode = b[at + 16] as number;
  const flags = b[at + 17] as number;
  at += 18;
  const method = HTTP_METHODS[methodCode];
  if (method === undefined) throw new InvalidFrameError(`binary header: unknown method code ${methodCode}`);
  let stream: { body: boolean; window: number; idleMs: number } | undefined;
  if ((flags & FLAG_STREAM) !== 0) {
    need(b, at, 8, end);
    stream = { body: (flags & FLAG_STREAM_BODY) !== 0, window: b.readUInt32BE(at), idleMs: b.readUInt32BE(at + 4) };
    at += 8;
  }
  need(b, at, 2, end);
  const count = b.readUInt16BE(at);
  at += 2;
  const hasIdentity = (flags & FLAG_IDENTITY) !== 0;
  const s = StringsIn.read(b, at, 3 + (hasIdentity ? 1 : 0) + 2 * count, end);
  const path = s.next();
  const query = s.next();
  const replyTo = s.next();
  const identity = hasIdentity ? parseIdentity(s.next()) : null;
  const headers = s.headers(count);
  const payload: Record<string, unknown> = { method, path, query, headers, deadline, replyTo, identity };
  if (stream !== undefined) payload.stream = stream;
  return { v: 1, type: 'REQUEST', id, sentAt, payload };
}

function decodeResponse(b: Buffer, start: number, end: number): Record<string, unknown> {
  let at = start + 1;
  need(b, at, RESPONSE_FIXED - 1 + 2, end);
  const id = b.toString('hex', at, at + ID_BYTES);
  at += ID_BYTES;
  const sentAt = b.readDoubleBE(at);
  const status = b.readUInt16BE(at + 8);
  const flags = b[at + 10] as number;
  const count = b.readUInt16BE(at + 11);
  at += 13;
  const hasStream = (flags & FLAG_STREAM) !== 0;
  const s = StringsIn.read(b, at, 1 + (hasStream ? 1 : 0) + 2 * count, end);
  const instanceId = s.next();
  const stream = hasStream ? { replyTo: s.next() } : undefined;
  const headers = s.headers(count);
  const payload: Record<string, unknown> = { status, headers, instanceId };
  if (stream !== undefined) payload.stream = stream;
  return { v: 1, type: 'RESPONSE', id, sentAt, payload };
}

/** The strings of a header being read, in order. */
class StringsIn {
  private i = 0;
  private pos = 0;

  private constructor(
    private readonly b: Buffer,
    private readonly lengthsAt: number,
    private readonly text: string,
  ) {}

  /**
   * The `count` u32 lengths at `at` and the string area after them (to `end`), decoded as UTF-8,
   * after checking that the lengths fit and add up to exactly the area's length.
   */
  static read(b: Buffer, at: number, count: number, end: number): StringsIn {
    need(b, at, 4 * count, end);
    let total = 0;
    for (let i = 0; i < count; i++) total += b.readUInt32BE(at + 4 * i);
    let text: string;
    try {
      text = utf8.decode(b.subarray(at + 4 * count, end));
    } catch (cause) {
      throw new InvalidFrameError('binary header: the string area is not valid UTF-8', { cause });
    }
    if (text.length !== total) {
      throw new InvalidFrameError(`binary header: the string lengths add up to ${total} characters but the string area holds ${text.length}`);
    }
    return new StringsIn(b, at, text);
  }

  next(): string {
    const n = this.b.readUInt32BE(this.lengthsAt + 4 * this.i++);
    return this.text.slice(this.pos, (this.pos += n));
  }

  headers(count: number): Record<string, string> {
    const headers: Record<string, string> = {};
    for (let i = 0; i < count; i++) {
      const name = knownName(i, this.next());
      const value = this.next();
      // As JSON.parse does: `__proto__` is an own property, not the prototype's setter (which would drop it).
      if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
      else headers[name] = value;
    }
    return headers;
  }
}

function need(b: Buffer, at: number, n: number, end: number): void {
  if (at + n > end || at + n > b.length) throw new InvalidFrameError(`binary header: truncated (needs ${at + n - Math.min(end, b.length)} more bytes at offset ${at})`);
}

/**
 * Header names of the last frame read, by position. Frames from one gateway carry the same names in
 * the same order; a name equal to the one seen at its place is replaced by that string, which is
 * already a property key, so building the header object does not look each new one up again.
 */
const lastNames: string[] = [];
const MAX_KNOWN_NAMES = 64;
function knownName(index: number, name: string): string {
  if (index >= MAX_KNOWN_NAMES) return name;
  const known = lastNames[index];
  if (known === name) return known;
  lastNames[index] = name;
  return name;
}

/**
 * Identities lately read, by their JSON, parsed once and frozen: a gateway sends the same few
 * again and again (the anonymous identity, a service account, a user's requests), and a frozen
 * object can be shared by every request that carries it. Bounded: full, it starts over.
 */
const identities = new Map<string, unknown>();
const MAX_IDENTITIES = 256;
function parseIdentity(text: string): unknown {
  let identity = identities.get(text);
  if (identity !== undefined) return identity;
  try {
    identity = deepFreeze(JSON.parse(text));
  } catch (cause) {
    throw new InvalidFrameError(`binary header: payload.identity is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (identities.size >= MAX_IDENTITIES) identities.clear();
  identities.set(text, identity);
  return identity;
}
