/** Chunks joined with room in front are sealed or encoded in place, and open or decode to the same frame as a copy. */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HEADROOM_BYTES, joinWithHeadroom, lendHeadroom, takeHeadroom } from '../src/protocol/body-headroom.js';
import { FrameKeyRing, GMAC_ENVELOPE_BYTES, frameKey, frameScope, openFrame, sealFrame } from '../src/protocol/frame-auth.js';
import { decodeFrame, encodeFrame } from '../src/protocol/frame-codec.js';
import type { BodyChunkFrame, Frame } from '../src/protocol/frames.js';
import type { QueueCodec } from '../src/queue/types.js';
import { streamsQueueCodec } from '../src/transport/messaging/streams-codec.js';

const test = suite('body headroom');
const ring = new FrameKeyRing({ gateway: [frameKey('gateway', randomBytes(32), 'g')], instance: [frameKey('instance', randomBytes(32), 'i')] });
const scope = frameScope('instance.i-1.streams');

const chunk = (body: Uint8Array, stream: 'request' | 'response' = 'request', seq = 3): BodyChunkFrame => ({
  v: 1,
  type: 'BODY_CHUNK',
  id: '0123456789abcdef0123456789abcdef',
  sentAt: 1_700_000_000_000,
  payload: { stream, seq, body },
});
const responseScope = frameScope('gateway.g-1.streams');
/** The instance's side of its streams queue, signed as the transport signs it. */
const signedStreams: QueueCodec<Frame> = streamsQueueCodec({ encode: (f) => sealFrame(f, scope, ring), decode: (b) => openFrame(b, scope, ring) });
/** A payload as a reader gets it: its own buffer, with other bytes before and after it (a reply buffer). */
const received = (bytes: Uint8Array): Uint8Array => Buffer.concat([randomBytes(37), bytes, randomBytes(11)]).subarray(37, 37 + bytes.length);

test('a joined body holds the pieces in order and its room is taken once', () => {
  const pieces = [randomBytes(1000), randomBytes(70_000), randomBytes(5)];
  const body = joinWithHeadroom(pieces, 71_005);
  assert.ok(body.equals(Buffer.concat(pieces)));
  assert.is(takeHeadroom(body, HEADROOM_BYTES + 1), undefined, 'more than the room is refused');
  const view = takeHeadroom(body, 100);
  assert.is(view?.length, 100 + body.length);
  assert.ok(view?.subarray(100).equals(body), 'the view ends with the body');
  assert.is(takeHeadroom(body, 100), undefined, 'the room is used once');
  assert.is(takeHeadroom(randomBytes(10), 1), undefined, 'a body not joined here has no room');
});

test('sealing in place and sealing by copy open to the same frame; a second seal of the body copies', () => {
  const pieces = [randomBytes(64 * 1024), randomBytes(64 * 1024)];
  const body = joinWithHeadroom(pieces, 128 * 1024);
  const inPlace = sealFrame(chunk(body), scope, ring);
  assert.is(inPlace.buffer, body.buffer, 'sealed in the body\'s own buffer');
  const again = sealFrame(chunk(body), scope, ring);
  assert.is.not(again.buffer, body.buffer, 'the second seal copied');
  const copied = sealFrame(chunk(Buffer.concat(pieces)), scope, ring);
  // A chunk this size carries GMAC under a nonce drawn per seal: all but nonce and tag are equal.
  const unsalted = (sealed: Uint8Array): Buffer => Buffer.concat([sealed.subarray(0, 10), sealed.subarray(GMAC_ENVELOPE_BYTES)]);
  assert.ok(unsalted(inPlace).equals(unsalted(copied)), 'same envelope head and frame either way');
  for (const sealed of [inPlace, again]) {
    const opened = openFrame(sealed, scope, ring) as BodyChunkFrame;
    assert.is(opened.payload.seq, 3);
    assert.ok(Buffer.from(opened.payload.body).equals(Buffer.concat(pieces)));
  }
  const tampered = Buffer.from(inPlace);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
  assert.throws(() => openFrame(tampered, scope, ring), /signature does not match/);
});

test('an unsigned chunk is encoded in place too, to the same bytes as a copy; a second encode copies', () => {
  const pieces = [randomBytes(64 * 1024), randomBytes(64 * 1024), randomBytes(300)];
  const body = joinWithHeadroom(pieces, 128 * 1024 + 300);
  const inPlace = encodeFrame(chunk(body));
  assert.is(inPlace.buffer, body.buffer, "encoded in the body's own buffer");
  const again = encodeFrame(chunk(body));
  assert.is.not(again.buffer, body.buffer, 'the second encode copied');
  const copied = encodeFrame(chunk(Buffer.concat(pieces)));
  assert.is.not(copied.buffer, body.buffer);
  assert.ok(Buffer.from(inPlace).equals(Buffer.from(copied)), 'same bytes either way');
  for (const encoded of [inPlace, again]) {
    const decoded = decodeFrame(encoded) as BodyChunkFrame;
    assert.is(decoded.payload.seq, 3);
    assert.ok(Buffer.from(decoded.payload.body).equals(Buffer.concat(pieces)));
  }
});

test('room is lent only over bytes in front of the body, in its own buffer', () => {
  const buffer = randomBytes(1000);
  const body = buffer.subarray(200, 900);
  lendHeadroom(body, 300);
  assert.is(takeHeadroom(body, 1), undefined, 'more than the bytes in front is not lent');
  lendHeadroom(body, 150);
  assert.is(takeHeadroom(body, 151), undefined);
  assert.is(takeHeadroom(body, 150)?.byteOffset, 50);
});

test('a received request chunk sent on as a response chunk is sealed in the payload it came in', () => {
  const data = randomBytes(256 * 1024);
  const payload = received(sealFrame(chunk(data), scope, ring));
  const incoming = signedStreams.decode(payload) as BodyChunkFrame;
  assert.ok(Buffer.from(incoming.payload.body).equals(data));
  const outgoing = sealFrame(chunk(incoming.payload.body, 'response'), responseScope, ring);
  assert.is(outgoing.buffer, payload.buffer, "sealed in the received payload's buffer: no copy of the body");
  assert.is(outgoing.byteOffset, payload.byteOffset, 'its envelope and head took exactly the place of the request’s');
  const opened = openFrame(outgoing, responseScope, ring) as BodyChunkFrame;
  assert.is(opened.payload.stream, 'response');
  assert.ok(Buffer.from(opened.payload.body).equals(data), 'the body is intact');
});

test('a chunk decoded from a plain Uint8Array keeps its room through a Readable, as a handler gets it', async () => {
  const data = randomBytes(100 * 1024);
  const sealed = received(sealFrame(chunk(data), scope, ring));
  const payload = new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const incoming = signedStreams.decode(payload) as BodyChunkFrame;
  const stream = new Readable({ read() {} });
  stream.push(incoming.payload.body);
  stream.push(null);
  const [piece] = (await stream.toArray()) as Buffer[];
  assert.is(piece, incoming.payload.body, 'the Readable handed on the same object');
  const outgoing = sealFrame(chunk(piece as Buffer, 'response'), responseScope, ring);
  assert.is(outgoing.buffer, payload.buffer, 'sealed in place');
  assert.ok(Buffer.from((openFrame(outgoing, responseScope, ring) as BodyChunkFrame).payload.body).equals(data));
});

test('unsigned, the same; a head that does not fit, or a second send, is copied', () => {
  const unsigned = streamsQueueCodec({ encode: encodeFrame, decode: decodeFrame });
  const data = randomBytes(64 * 1024);
  const payload = received(encodeFrame(chunk(data, 'request', 9)));
  const incoming = unsigned.decode(payload) as BodyChunkFrame;
  const longer = encodeFrame(chunk(incoming.payload.body, 'response', 10));
  assert.is.not(longer.buffer, payload.buffer, 'a head one digit longer does not fit: copied');
  const inPlace = encodeFrame(chunk(incoming.payload.body, 'response', 9));
  assert.is(inPlace.buffer, payload.buffer, 'the head of the same length fits');
  assert.ok(Buffer.from((decodeFrame(inPlace) as BodyChunkFrame).payload.body).equals(data));
  const again = encodeFrame(chunk(incoming.payload.body, 'response', 9));
  assert.is.not(again.buffer, payload.buffer, 'the room is used once: a second send copies');
  assert.ok(Buffer.from((decodeFrame(again) as BodyChunkFrame).payload.body).equals(data));
});

test.run();
