import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { decodeFrame, encodeFrame, frameCodec, frameParts, tryDecodeFrame, writeFrameParts } from '../src/protocol/frame-codec.js';
import type { Frame, RequestFrame, ResponseFrame } from '../src/protocol/frames.js';
import { FRAME_PREFIX_BYTES, PROTOCOL_LIMITS } from '../src/protocol/limits.js';
import { makeFrame } from '../src/protocol/make-frame.js';
import { assertCorruptionsRejectedCleanly, clock, frames, plain, rejection } from './protocol-fixtures.js';



/** Builds wire bytes around an arbitrary header string and body. */
function wire(header: string, body: Uint8Array = new Uint8Array(0), declared?: number): Uint8Array {
  const h = Buffer.from(header, 'utf8');
  const out = Buffer.alloc(FRAME_PREFIX_BYTES + h.length + body.length);
  out[0] = 0x53;
  out[1] = 1;
  out.writeUInt32BE(declared ?? h.length, 2);
  h.copy(out, FRAME_PREFIX_BYTES);
  out.set(body, FRAME_PREFIX_BYTES + h.length);
  return out;
}

function headerOf(frame: Frame): Record<string, unknown> {
  const bytes = encodeFrame(frame);
  const len = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(2);
  return JSON.parse(Buffer.from(bytes.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + len)).toString('utf8')) as Record<string, unknown>;
}

const roundTrip = suite('frame codec round trip');

for (const frame of frames()) {
  roundTrip(`a ${frame.type} frame decodes to exactly the frame that was encoded`, () => {
    const decoded = decodeFrame(encodeFrame(frame));
    assert.equal(plain(decoded), plain(frame));
  });
}

roundTrip('frameCodec is the same codec, usable as a QueueCodec', () => {
  const [hello] = frames();
  assert.equal(frameCodec.decode(frameCodec.encode(hello as Frame)), hello);
});

roundTrip('a body with every byte value 0–255 survives unchanged', () => {
  const body = new Uint8Array(256 * 4);
  for (let i = 0; i < body.length; i++) body[i] = i % 256;
  const request = frames(body)[4] as RequestFrame;
  const decoded = decodeFrame(encodeFrame(request)) as RequestFrame;
  assert.equal(Array.from(decoded.payload.body), Array.from(body));
});

roundTrip('a query with a repeated parameter survives unchanged, every value in order', () => {
  const request = frames()[4] as RequestFrame;
  const query = 'tag=a&q=x&tag=b%20c&tag=a';
  const decoded = decodeFrame(encodeFrame({ ...request, payload: { ...request.payload, query } })) as RequestFrame;
  assert.is(decoded.payload.query, query);
  assert.equal(new URLSearchParams(decoded.payload.query).getAll('tag'), ['a', 'b c', 'a']);
});

roundTrip('an empty body stays empty on REQUEST and RESPONSE', () => {
  for (const frame of frames(new Uint8Array(0)).filter((f) => f.type === 'REQUEST' || f.type === 'RESPONSE')) {
    const decoded = decodeFrame(encodeFrame(frame)) as RequestFrame | ResponseFrame;
    assert.is(decoded.payload.body.length, 0);
  }
});

roundTrip('a 1 MiB body travels as raw bytes: the encoding is only a few hundred bytes longer', () => {
  const body = randomBytes(1024 * 1024);
  const response = frames(body)[5] as ResponseFrame;
  const bytes = encodeFrame(response);
  assert.ok(bytes.length - body.length < 500, `encoding added ${bytes.length - body.length} bytes; base64 would add ~350 KiB`);
  const decoded = decodeFrame(bytes) as ResponseFrame;
  assert.ok(Buffer.from(decoded.payload.body).equals(body), 'body bytes differ after the round trip');
});

roundTrip('the JSON header never contains the body', () => {
  const request = frames(Buffer.from('SECRET-BODY-BYTES'))[4] as RequestFrame;
  const header = headerOf(request);
  assert.is((header.payload as Record<string, unknown>).body, undefined);
  assert.not.ok(JSON.stringify(header).includes('SECRET'));
});

roundTrip('a decoded body is a view into the input buffer, not a copy', () => {
  const request = frames(Buffer.from('abcdef'))[4] as RequestFrame;
  const bytes = encodeFrame(request);
  const decoded = decodeFrame(bytes) as RequestFrame;
  assert.is(decoded.payload.body.buffer, bytes.buffer);
});

roundTrip('a frame inside a larger buffer (non-zero byteOffset) decodes', () => {
  const frame = frames()[4] as Frame;
  const bytes = encodeFrame(frame);
  const big = new Uint8Array(bytes.length + 20);
  big.set(bytes, 10);
  assert.equal(plain(decodeFrame(big.subarray(10, 10 + bytes.length))), plain(frame));
});

roundTrip('a header with non-ASCII text (UTF-8) round-trips', () => {
  const request = frames()[4] as RequestFrame;
  const frame = { ...request, payload: { ...request.payload, headers: { 'x-name': 'Zoë – 東京 🚂' } } };
  assert.equal((decodeFrame(encodeFrame(frame)) as RequestFrame).payload.headers, { 'x-name': 'Zoë – 东京 🚂'.replace('东', '東') });
});

roundTrip('frameParts + writeFrameParts write exactly encodeFrame\'s bytes, at any offset of a shared buffer', () => {
  const all = frames();
  const parts = all.map(frameParts);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const shared = Buffer.alloc(total + 3, 0xee);
  let at = 3;
  for (const p of parts) {
    writeFrameParts(p, shared, at);
    at += p.byteLength;
  }
  assert.is(shared[0], 0xee, 'nothing written before the offset');
  at = 3;
  all.forEach((frame, i) => {
    const expected = encodeFrame(frame);
    assert.is(parts[i]!.byteLength, expected.byteLength, `${frame.type}: measured size`);
    assert.equal([...shared.subarray(at, at + expected.byteLength)], [...expected], `${frame.type}: same bytes`);
    at += expected.byteLength;
  });
});

const rejects = suite('frame codec rejections');

rejects('a buffer shorter than the prefix is rejected as truncated', () => {
  assert.match(rejection(new Uint8Array([0x53, 1, 0])), /^truncated: 3 bytes is shorter than the 6-byte prefix$/);
  assert.match(rejection(new Uint8Array(0)), /^truncated/);
});

rejects('a header shorter than its declared length is rejected as truncated', () => {
  const bytes = encodeFrame(frames()[1] as Frame);
  assert.match(rejection(bytes.subarray(0, bytes.length - 5)), /^truncated: the header says \d+ bytes but only \d+ follow the prefix$/);
});

rejects('a wrong first byte is rejected as bad magic', () => {
  const bytes = Uint8Array.from(encodeFrame(frames()[1] as Frame));
  bytes[0] = 0x7b;
  assert.is(rejection(bytes), 'bad magic byte 0x7b (expected 0x53): not a Switchyard frame');
});

rejects('an unknown wire format version is rejected', () => {
  const bytes = Uint8Array.from(encodeFrame(frames()[1] as Frame));
  bytes[1] = 3;
  assert.match(rejection(bytes), /^unsupported wire format version 3 \(this codec reads 1 and 2\)/);
});

rejects('a declared header length over the limit is rejected before reading it', () => {
  const reason = rejection(wire('{}', new Uint8Array(0), PROTOCOL_LIMITS.maxHeaderBytes + 1));
  assert.is(reason, `header length ${PROTOCOL_LIMITS.maxHeaderBytes + 1} is over the limit of ${PROTOCOL_LIMITS.maxHeaderBytes} bytes`);
  assert.match(rejection(wire('{}', new Uint8Array(0), 0xffffffff)), /^header length 4294967295 is over the limit/);
});

rejects('encoding a frame whose header is over the limit fails with SY_PROTOCOL_INVALID_FRAME', () => {
  const request = frames()[4] as RequestFrame;
  const huge = { ...request, payload: { ...request.payload, headers: { 'x-big': 'x'.repeat(PROTOCOL_LIMITS.maxHeaderBytes) } } };
  try {
    encodeFrame(huge);
    assert.unreachable('encodeFrame should refuse an oversized header');
  } catch (err) {
    assert.is((err as { code?: unknown }).code, 'SY_PROTOCOL_INVALID_FRAME');
    assert.match((err as Error).message, /over the limit of 262144/);
  }
});

rejects('a header that is not JSON is rejected as bad JSON', () => {
  assert.match(rejection(wire('{"v":1,')), /^header is not valid JSON: /);
});

rejects('a header that is not UTF-8 is rejected', () => {
  const bytes = wire('{"v":1}');
  bytes[FRAME_PREFIX_BYTES + 2] = 0xff;
  assert.is(rejection(bytes), 'header is not valid UTF-8');
});

rejects('a JSON header that is not an object is rejected', () => {
  assert.is(rejection(wire('[1,2]')), 'frame must be an object (got an array)');
  assert.is(rejection(wire('"HELLO"')), 'frame must be an object (got "HELLO")');
});

rejects('v other than 1 is rejected', () => {
  const header = { ...headerOf(frames()[2] as Frame), v: 2 };
  assert.is(rejection(wire(JSON.stringify(header))), 'v must be 1 (got 2)');
});

rejects('an unknown type is rejected naming the known ones', () => {
  const header = { ...headerOf(frames()[2] as Frame), type: 'PING' };
  assert.is(rejection(wire(JSON.stringify(header))), 'type must be one of HELLO, HEARTBEAT, GOODBYE, RESYNC, REQUEST, RESPONSE, CANCEL, DRAIN, UNDRAIN, BODY_CHUNK, BODY_END, CREDIT (got "PING")');
});

rejects('wrong field types are rejected naming the field and the value', () => {
  const response = headerOf(frames()[5] as Frame);
  const bad = (patch: Record<string, unknown>): string =>
    rejection(wire(JSON.stringify({ ...response, payload: { ...(response.payload as object), ...patch } })));
  assert.is(bad({ status: 42 }), 'payload.status must be an integer 100–599 (got 42)');
  assert.is(bad({ status: '200' }), 'payload.status must be an integer 100–599 (got "200")');
  assert.is(bad({ headers: { 'x-a': 1 } }), 'payload.headers["x-a"] must be a string (got 1)');
  assert.is(bad({ instanceId: '' }), 'payload.instanceId must be 1–128 visible ASCII characters (got "")');
  assert.is(rejection(wire(JSON.stringify({ ...response, id: 'ABC' }))), 'id must be 32 lower-case hex characters (got "ABC")');
  assert.is(rejection(wire(JSON.stringify({ ...response, sentAt: 'now' }))), 'sentAt must be a finite number (got "now")');
  assert.is(rejection(wire(JSON.stringify({ ...response, sentAt: null }))), 'sentAt must be a finite number (got null)');
});

rejects('a body inside the JSON header is rejected (bodies travel as raw bytes)', () => {
  const response = headerOf(frames()[5] as Frame);
  const reason = rejection(wire(JSON.stringify({ ...response, payload: { ...(response.payload as object), body: 'aGVsbG8=' } })));
  assert.match(reason, /^payload\.body must not appear in the JSON header/);
});

rejects('body bytes after a frame type without a body are rejected', () => {
  const header = JSON.stringify(headerOf(frames()[2] as Frame));
  assert.is(rejection(wire(header, new Uint8Array([1, 2]))), 'a GOODBYE frame has no body, but 2 bytes follow its header');
});

rejects('input that is not a Uint8Array is rejected', () => {
  assert.is(rejection('hello' as unknown as Uint8Array), 'input must be a Uint8Array');
});

const fuzz = suite('frame codec fuzzing');

fuzz('decode of thousands of random buffers throws nothing but SY_PROTOCOL_INVALID_FRAME', () => {
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = randomBytes(Math.floor(Math.random() * 200));
    // Half the cases get a valid prefix so the JSON and validation paths are exercised too.
    if (i % 2 === 0 && bytes.length >= FRAME_PREFIX_BYTES) {
      bytes[0] = 0x53;
      bytes[1] = 1;
      bytes.writeUInt32BE(Math.floor(Math.random() * (bytes.length - FRAME_PREFIX_BYTES + 1)), 2);
    }
    const result = tryDecodeFrame(bytes);
    if (!result.ok) {
      assert.is(result.error.code, 'SY_PROTOCOL_INVALID_FRAME');
      rejected++;
    }
    try {
      decodeFrame(bytes);
    } catch (err) {
      assert.is((err as { code?: unknown }).code, 'SY_PROTOCOL_INVALID_FRAME', `random input threw ${String(err)}`);
    }
  }
  assert.is(rejected, 3000, 'random bytes should never decode as a valid frame');
});

fuzz('every single-byte corruption or truncation of valid frames decodes or throws SY_PROTOCOL_INVALID_FRAME', () => {
  assertCorruptionsRejectedCleanly(frames());
});

fuzz('structured garbage (JSON with random shapes) is rejected with a reason, never a TypeError', () => {
  const values: unknown[] = [null, true, 0, -1, 1.5, 'x', [], {}, [null], { a: 1 }, 1e308, '', 'GET'];
  const pick = (): unknown => values[Math.floor(Math.random() * values.length)];
  const base = headerOf(frames()[4] as Frame);
  const keys = ['v', 'type', 'id', 'sentAt', 'payload'];
  const payloadKeys = ['method', 'path', 'query', 'headers', 'deadline', 'replyTo', 'identity'];
  for (let i = 0; i < 2000; i++) {
    const header: Record<string, unknown> = { ...base, payload: { ...(base.payload as object) } };
    if (i % 3 === 0) header[keys[i % keys.length] as string] = pick();
    else (header.payload as Record<string, unknown>)[payloadKeys[i % payloadKeys.length] as string] = pick();
    try {
      decodeFrame(wire(JSON.stringify(header)));
    } catch (err) {
      assert.is((err as { code?: unknown }).code, 'SY_PROTOCOL_INVALID_FRAME', `threw ${String(err)}`);
      assert.ok((err as { reason: string }).reason.length > 0);
    }
  }
});

const ids = suite('makeFrame');

ids('makeFrame stamps v 1, a fresh 32-hex id and sentAt from the clock; a given id is kept', () => {
  const a = makeFrame('GOODBYE', { instanceId: 'x' }, { clock });
  const b = makeFrame('CANCEL', { reason: 'shutdown' }, { clock, id: a.id });
  assert.is(a.v, 1);
  assert.match(a.id, /^[0-9a-f]{32}$/);
  assert.is(a.sentAt, clock.now());
  assert.is(b.id, a.id);
});

roundTrip.run();
rejects.run();
fuzz.run();
ids.run();
