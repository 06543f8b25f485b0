import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, decodeFrame, makeFrame, systemClock, hasCode } from '@switchyard/core';
import { encodeLengthPrefixed, FrameDecoder } from '../src/framing.js';

const MAX = 1024 * 1024;

// Compared as bytes: uvu's diff of two large arrays takes minutes.
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

function requestBytes(bodySize: number): Uint8Array {
  const frame = makeFrame(
    'REQUEST',
    {
      method: 'POST',
      path: '/echo',
      query: '',
      headers: {},
      body: new Uint8Array(bodySize).fill(7),
      deadline: Date.now() + 10_000,
      replyTo: 'c1',
      identity: null,
    },
    { clock: systemClock },
  );
  return encodeFrame(frame);
}

const framing = suite('length-prefixed framing');

framing('a frame is a big-endian u32 length followed by the encoded frame', () => {
  const inner = requestBytes(10);
  const wire = encodeLengthPrefixed(inner, MAX);
  assert.is(wire.readUInt32BE(0), inner.byteLength);
  assert.ok(sameBytes(wire.subarray(4), inner), 'bytes differ');
});

framing('many frames in one chunk all come out, in order', () => {
  const parts = [requestBytes(1), requestBytes(2), requestBytes(300)];
  const chunk = Buffer.concat(parts.map((p) => encodeLengthPrefixed(p, MAX)));
  const out = new FrameDecoder(MAX).push(chunk);
  assert.is(out.length, 3);
  out.forEach((bytes, i) => assert.ok(sameBytes(bytes, parts[i]!), `frame ${i} differs`));
  assert.equal((decodeFrame(out[2]!) as { payload: { body: Uint8Array } }).payload.body.byteLength, 300);
});

framing('one frame delivered one byte at a time comes out once, whole, after the last byte', () => {
  const inner = requestBytes(100);
  const wire = encodeLengthPrefixed(inner, MAX);
  const decoder = new FrameDecoder(MAX);
  for (let i = 0; i < wire.byteLength - 1; i++) assert.is(decoder.push(wire.subarray(i, i + 1)).length, 0, `no frame after byte ${i}`);
  const out = decoder.push(wire.subarray(wire.byteLength - 1));
  assert.is(out.length, 1);
  assert.ok(sameBytes(out[0]!, inner), 'bytes differ');
  assert.is(decoder.bufferedBytes, 0);
});

framing('a large frame split across uneven chunks, with the next frame starting mid-chunk, decodes both', () => {
  const a = requestBytes(200_000);
  const b = requestBytes(5);
  const wire = Buffer.concat([encodeLengthPrefixed(a, MAX), encodeLengthPrefixed(b, MAX)]);
  const decoder = new FrameDecoder(MAX);
  const out: Buffer[] = [];
  const cuts = [2, 3, 70_001, 150_000, wire.byteLength - 7, wire.byteLength];
  let at = 0;
  for (const cut of cuts) {
    out.push(...decoder.push(wire.subarray(at, cut)));
    at = cut;
  }
  assert.is(out.length, 2);
  assert.ok(sameBytes(out[0]!, a), 'bytes differ');
  assert.ok(sameBytes(out[1]!, b), 'bytes differ');
});

framing('a length over maxFrameBytes fails with SY_TCP_FRAME_TOO_LARGE as soon as the prefix is read', () => {
  const decoder = new FrameDecoder(1000);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(1001, 0);
  try {
    decoder.push(prefix);
    assert.unreachable('an oversized prefix should throw');
  } catch (err) {
    assert.ok(hasCode(err, 'SY_TCP_FRAME_TOO_LARGE'), String(err));
    assert.match((err as Error).message, /1001 bytes exceeds maxFrameBytes \(1000\)/);
  }
});

framing('encoding a frame over maxFrameBytes fails with SY_TCP_FRAME_TOO_LARGE', () => {
  try {
    encodeLengthPrefixed(requestBytes(2000), 1000);
    assert.unreachable('should throw');
  } catch (err) {
    assert.ok(hasCode(err, 'SY_TCP_FRAME_TOO_LARGE'), String(err));
  }
});

framing('garbage bytes with a plausible length come out as one frame that the codec rejects with a reason', () => {
  const garbage = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const decoder = new FrameDecoder(1 << 30);
  // "GET " read as a u32 is ~1.2 GB: over a sane max, so garbage from an HTTP client is refused at the prefix.
  try {
    new FrameDecoder(MAX).push(garbage);
    assert.unreachable('HTTP text should be refused at the prefix');
  } catch (err) {
    assert.ok(hasCode(err, 'SY_TCP_FRAME_TOO_LARGE'));
  }
  const junk = Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from('hello')]);
  const [frame] = decoder.push(junk);
  try {
    decodeFrame(frame!);
    assert.unreachable('junk should not decode');
  } catch (err) {
    assert.ok(hasCode(err, 'SY_PROTOCOL_INVALID_FRAME'), String(err));
  }
});

framing.run();
