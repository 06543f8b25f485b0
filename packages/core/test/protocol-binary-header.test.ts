import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame, encodeFrame } from '../src/protocol/frame-codec.js';
import { randomBytes } from 'node:crypto';
import { FrameKeyRing, frameKey, frameScope, openFrame, sealFrame } from '../src/protocol/frame-auth.js';
import type { Frame, RequestFrame, ResponseFrame } from '../src/protocol/frames.js';
import { BINARY_WIRE_FORMAT, FRAME_PREFIX_BYTES } from '../src/protocol/limits.js';
import { makeFrame } from '../src/protocol/make-frame.js';
import { validateFrame } from '../src/protocol/validate.js';
import { assertCorruptionsRejectedCleanly, clock, frames, plain, rejection } from './protocol-fixtures.js';

/** The fixture REQUEST and RESPONSE, to be written in wire format 2. */
function binaryFrames(body: Uint8Array = new Uint8Array([1, 2, 3])): Array<RequestFrame | ResponseFrame> {
  return frames(body)
    .filter((f): f is RequestFrame | ResponseFrame => f.type === 'REQUEST' || f.type === 'RESPONSE')
    .map((f) => ({ ...f, wireFormat: BINARY_WIRE_FORMAT }) as RequestFrame | ResponseFrame);
}



const request = (payload: Partial<RequestFrame['payload']> = {}): RequestFrame => {
  const base = binaryFrames()[0] as RequestFrame;
  return { ...base, payload: { ...base.payload, ...payload } };
};

const roundTrip = suite('wire format 2 round trip');

for (const frame of binaryFrames()) {
  roundTrip(`a ${frame.type} with wireFormat 2 is written with byte 1 = 2 and decodes to the same frame, wireFormat included`, () => {
    const bytes = encodeFrame(frame);
    assert.is(bytes[1], 2);
    const decoded = decodeFrame(bytes);
    assert.is(decoded.wireFormat, 2);
    assert.equal(plain(decoded), plain(frame));
  });
}

roundTrip('the binary header is smaller than the JSON one for the same frame', () => {
  for (const frame of binaryFrames()) {
    const json = encodeFrame({ ...frame, wireFormat: undefined } as Frame);
    assert.is(json[1], 1);
    assert.ok(encodeFrame(frame).length < json.length, `${frame.type}: ${encodeFrame(frame).length} vs ${json.length}`);
  }
});

roundTrip('a frame read in format 1 has no wireFormat, so its answer goes back in format 1', () => {
  const json = binaryFrames().map((f) => ({ ...f, wireFormat: undefined }) as Frame);
  for (const frame of json) assert.is(decodeFrame(encodeFrame(frame)).wireFormat, undefined);
});

roundTrip('frame types other than REQUEST and RESPONSE are always written in format 1', () => {
  for (const frame of frames()) {
    if (frame.type === 'REQUEST' || frame.type === 'RESPONSE') continue;
    const bytes = encodeFrame({ ...frame, wireFormat: BINARY_WIRE_FORMAT } as Frame);
    assert.is(bytes[1], 1, frame.type);
  }
});

roundTrip('non-ASCII text, an empty query, no headers, no identity and a stream section survive', () => {
  const frame = request({
    path: '/dossiers/é/日本',
    query: '',
    headers: {},
    identity: null,
    stream: { body: true, window: 1 << 20, idleMs: 30_000 },
    body: new Uint8Array(0),
  });
  assert.equal(plain(decodeFrame(encodeFrame(frame))), plain(frame));
  const withValues = request({ headers: { 'x-name': 'Zoë 🚀', 'x-empty': '' }, identity: { anonymous: true, claims: {} } });
  assert.equal(plain(decodeFrame(encodeFrame(withValues))), plain(withValues));
});

roundTrip('header names that are Object.prototype names stay own headers, as in format 1', () => {
  const headers = JSON.parse('{"__proto__":"a","constructor":"b","tostring":"c"}') as Record<string, string>;
  for (const wireFormat of [1, 2] as const) {
    const decoded = decodeFrame(encodeFrame({ ...request({ headers }), wireFormat })) as RequestFrame;
    assert.equal(Object.entries(decoded.payload.headers), [['__proto__', 'a'], ['constructor', 'b'], ['tostring', 'c']], `format ${wireFormat}`);
    assert.is(Object.getPrototypeOf(decoded.payload.headers), Object.prototype);
  }
});

roundTrip('a streamed RESPONSE head, every status, and 200 headers survive', () => {
  const base = binaryFrames()[1] as ResponseFrame;
  const headers: Record<string, string> = {};
  for (let i = 0; i < 200; i++) headers[`x-h${i}`] = `v${i}`;
  for (const status of [100, 204, 418, 599]) {
    const frame: ResponseFrame = { ...base, payload: { status, headers, body: new Uint8Array(0), instanceId: 'billing-a1', stream: { replyTo: 'instance.streams.b1' } } };
    assert.equal(plain(decodeFrame(encodeFrame(frame))), plain(frame));
  }
});

roundTrip('every HTTP method of the protocol round-trips', () => {
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
    assert.is((decodeFrame(encodeFrame(request({ method }))) as RequestFrame).payload.method, method);
  }
});

roundTrip('makeFrame with wireFormat 2 marks the frame; without it the frame has no wireFormat', () => {
  const a = makeFrame('RESPONSE', { status: 200, headers: {}, body: new Uint8Array(0), instanceId: 'i' }, { clock, wireFormat: BINARY_WIRE_FORMAT });
  const b = makeFrame('RESPONSE', { status: 200, headers: {}, body: new Uint8Array(0), instanceId: 'i' }, { clock });
  assert.is(a.wireFormat, 2);
  assert.not.ok('wireFormat' in b);
});

roundTrip('a signed format-2 frame verifies and decodes, and a flipped byte in its header is refused', () => {
  const ring = new FrameKeyRing({ gateway: [frameKey('gateway', randomBytes(32), 'g')], instance: [frameKey('instance', randomBytes(32), 'i')] });
  const scope = frameScope('service.billing.1.4.2.requests');
  for (const frame of binaryFrames()) {
    const sealed = sealFrame(frame, scope, ring);
    const opened = openFrame(sealed, scope, ring);
    assert.is(opened.wireFormat, 2);
    assert.equal(plain(opened), plain(frame));
    const tampered = Uint8Array.from(sealed);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] as number) ^ 1;
    assert.throws(() => openFrame(tampered, scope, ring), (err: unknown) => (err as { code?: unknown }).code === 'SY_PROTOCOL_UNAUTHENTICATED_FRAME');
  }
});

const shared = suite('wire format 2: what repeats between frames');

shared('an identity read twice is one frozen object, deeply, and equal to what was sent', () => {
  const identity = { anonymous: false, subject: 'svc-a', scopes: ['read'], claims: { team: { name: 'blue' } } };
  const bytes = encodeFrame(request({ identity }));
  const first = (decodeFrame(bytes) as RequestFrame).payload.identity;
  const second = (decodeFrame(encodeFrame(request({ identity: { ...identity } }))) as RequestFrame).payload.identity;
  assert.equal(first, identity);
  assert.equal(second, identity);
  assert.is(first?.claims, second?.claims, 'the parsed claims are shared');
  assert.ok(Object.isFrozen(first?.claims) && Object.isFrozen(first?.claims.team) && Object.isFrozen(first?.scopes));
  assert.throws(() => {
    'use strict';
    (first?.claims as Record<string, unknown>).team = 'red';
  }, TypeError);
  const other = (decodeFrame(encodeFrame(request({ identity: { ...identity, subject: 'svc-b' } }))) as RequestFrame).payload.identity;
  assert.is(other?.subject, 'svc-b', 'a different identity is its own');
});

shared('one identity object encodes to the same JSON each time, and another object to its own', () => {
  const a = { anonymous: true, subject: 'anonymous', claims: {} };
  const b = { anonymous: false, subject: 'user-1', claims: { tier: 'gold' } };
  for (const identity of [a, a, b, a, b, b]) {
    assert.equal((decodeFrame(encodeFrame(request({ identity }))) as RequestFrame).payload.identity, identity);
  }
});

shared('frames whose header names change place or number from one frame to the next decode to their own headers', () => {
  const sets: Array<Record<string, string>> = [
    { host: 'a', 'content-type': 'text/plain', 'x-one': '1' },
    { host: 'b', 'x-one': '2', 'content-type': 'application/json' },
    { 'x-two': '3' },
    {},
    { host: 'c', 'content-type': 'text/plain', 'x-one': '4', 'x-three': '5' },
    { host: 'a', 'content-type': 'text/plain', 'x-one': '1' },
  ];
  for (const headers of sets) {
    const decoded = decodeFrame(encodeFrame(request({ headers }))) as RequestFrame;
    assert.equal(decoded.payload.headers, headers);
    assert.equal(Object.keys(decoded.payload.headers), Object.keys(headers), 'in the order sent');
  }
});

shared('an id with an upper-case or non-hex character, or of another length, is refused on encode', () => {
  const id = (request().id as string);
  for (const bad of [id.toUpperCase().replace(/^./, 'A'), `${id.slice(0, 31)}g`, id.slice(1), `${id}0`, `${id.slice(0, 31)}\u0100`]) {
    if (bad === id) continue;
    assert.throws(() => encodeFrame({ ...request(), id: bad }), (err: unknown) => /the id is not 32 lower-case hex characters/.test(String(err)), bad);
  }
});

const rejects = suite('wire format 2 rejections');

rejects('encoding refuses, with InvalidFrameError, a non-string header value and an id that is not a frame id', () => {
  const bad = request({ headers: { 'x-n': 42 as unknown as string } });
  assert.throws(() => encodeFrame(bad), (err: unknown) => (err as { code?: unknown }).code === 'SY_PROTOCOL_INVALID_FRAME' && /payload\.headers\["x-n"\] must be a string \(got number\)/.test(String(err)));
  assert.throws(() => encodeFrame({ ...request(), id: 'not-hex' }), (err: unknown) => /the id is not 32 lower-case hex characters/.test(String(err)));
  const response = binaryFrames()[1] as ResponseFrame;
  for (const status of [70_000, 200.5]) {
    assert.throws(() => encodeFrame({ ...response, payload: { ...response.payload, status } }), (err: unknown) => /payload\.status .* is not an HTTP status/.test(String(err)));
  }
});

/** A valid format-2 REQUEST's bytes and the offset of its header. */
function requestBytes(): Buffer {
  return Buffer.from(encodeFrame(request({ body: new Uint8Array(0) })));
}

rejects('an unknown frame type code is rejected', () => {
  const bytes = requestBytes();
  bytes[FRAME_PREFIX_BYTES] = 7;
  assert.match(rejection(bytes), /^binary header: unknown frame type code 7/);
});

rejects('an unknown method code is rejected', () => {
  const bytes = requestBytes();
  bytes[FRAME_PREFIX_BYTES + 1 + 16 + 16] = 9;
  assert.is(rejection(bytes), 'binary header: unknown method code 9');
});

rejects('string lengths that do not add up to the string area are rejected', () => {
  const bytes = requestBytes();
  // The first string length (path) sits after type, id, sentAt, deadline, method, flags and the header count.
  const at = FRAME_PREFIX_BYTES + 1 + 16 + 8 + 8 + 1 + 1 + 2;
  bytes.writeUInt32BE(bytes.readUInt32BE(at) + 1, at);
  assert.match(rejection(bytes), /^binary header: the string lengths add up to \d+ characters but the string area holds \d+/);
});

rejects('a string area that is not UTF-8 is rejected', () => {
  const bytes = requestBytes();
  const headerEnd = FRAME_PREFIX_BYTES + bytes.readUInt32BE(2);
  bytes[headerEnd - 1] = 0xff;
  assert.is(rejection(bytes), 'binary header: the string area is not valid UTF-8');
});

rejects('a header cut short is rejected as truncated', () => {
  const bytes = requestBytes();
  const cut = Buffer.from(bytes.subarray(0, FRAME_PREFIX_BYTES + 20));
  cut.writeUInt32BE(20, 2);
  assert.match(rejection(cut), /^binary header: truncated/);
});

rejects('the validator still judges every field: an upper-case header name and a bad status are refused', () => {
  assert.match(rejection(encodeFrame(request({ headers: { 'X-Upper': 'v' } }))), /payload\.headers has an invalid name/);
  const response = binaryFrames()[1] as ResponseFrame;
  assert.match(rejection(encodeFrame({ ...response, payload: { ...response.payload, status: 42 } })), /payload\.status must be an integer 100–599 \(got 42\)/);
  assert.match(rejection(encodeFrame(request({ path: 'no-slash' }))), /payload\.path must be a string starting with "\/"/);
});

rejects('identity that is not JSON is rejected with the field named', () => {
  const bytes = Buffer.from(encodeFrame(request({ identity: { anonymous: true, claims: { a: 'xx' } } })));
  const headerEnd = FRAME_PREFIX_BYTES + bytes.readUInt32BE(2);
  const text = bytes.subarray(FRAME_PREFIX_BYTES, headerEnd).toString('latin1');
  const brace = text.indexOf('{"anonymous"');
  bytes[FRAME_PREFIX_BYTES + brace] = 0x28; // '(' for '{'
  assert.match(rejection(bytes), /^binary header: payload\.identity is not valid JSON/);
});

rejects('every single-byte corruption or truncation decodes or throws SY_PROTOCOL_INVALID_FRAME', () => {
  assertCorruptionsRejectedCleanly(binaryFrames());
});

const hello = suite('HELLO wireFormats');

hello('a HELLO lists the wire formats it reads; formats this release does not know are dropped', () => {
  const base = frames()[0] as Extract<Frame, { type: 'HELLO' }>;
  const valid = validateFrame({ ...base, payload: { ...base.payload, wireFormats: [1, 2, 7] } }) as typeof base;
  assert.equal(valid.payload.wireFormats, [1, 2]);
  assert.not.ok('wireFormats' in (validateFrame(base) as typeof base).payload);
});

hello('a malformed wireFormats is refused with the field named', () => {
  const base = frames()[0] as Extract<Frame, { type: 'HELLO' }>;
  for (const wireFormats of ['2', [0], [1.5], new Array(17).fill(1)]) {
    assert.throws(() => validateFrame({ ...base, payload: { ...base.payload, wireFormats } }), /payload\.wireFormats must be an array/);
  }
});

roundTrip.run();
rejects.run();
shared.run();
hello.run();
