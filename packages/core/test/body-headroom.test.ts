/** Chunks joined with room in front are sealed or encoded in place, and open or decode to the same frame as a copy. */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HEADROOM_BYTES, joinWithHeadroom, takeHeadroom } from '../src/protocol/body-headroom.js';
import { FrameKeyRing, GMAC_ENVELOPE_BYTES, frameKey, frameScope, openFrame, sealFrame } from '../src/protocol/frame-auth.js';
import { decodeFrame, encodeFrame } from '../src/protocol/frame-codec.js';
import type { BodyChunkFrame } from '../src/protocol/frames.js';

const test = suite('body headroom');
const ring = new FrameKeyRing({ gateway: [frameKey('gateway', randomBytes(32), 'g')], instance: [frameKey('instance', randomBytes(32), 'i')] });
const scope = frameScope('instance.i-1.streams');

const chunk = (body: Uint8Array): BodyChunkFrame => ({ v: 1, type: 'BODY_CHUNK', id: '0123456789abcdef0123456789abcdef', sentAt: 1_700_000_000_000, payload: { stream: 'request', seq: 3, body } });

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

test.run();
