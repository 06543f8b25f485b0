import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesCodec, jsonCodec } from '../src/queue/codecs.js';

const codecs = suite('codecs');

codecs('jsonCodec round-trips JSON values through UTF-8 bytes', () => {
  const codec = jsonCodec<{ name: string; n: number[] }>();
  const bytes = codec.encode({ name: 'zoë ✓', n: [1, 2] });
  assert.instance(bytes, Uint8Array);
  assert.equal(codec.decode(bytes), { name: 'zoë ✓', n: [1, 2] });
});

codecs('jsonCodec refuses bytes that are not valid UTF-8 JSON', () => {
  const codec = jsonCodec<unknown>();
  assert.throws(() => codec.decode(new Uint8Array([0xff, 0xfe])));
  assert.throws(() => codec.decode(new TextEncoder().encode('{not json')));
});

codecs('jsonCodec refuses to encode undefined', () => {
  assert.throws(() => jsonCodec<undefined>().encode(undefined), /undefined/);
});

codecs('bytesCodec passes bytes through without copying and refuses anything else', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  assert.is(bytesCodec.encode(bytes), bytes);
  assert.is(bytesCodec.decode(bytes), bytes);
  assert.throws(() => bytesCodec.encode('nope' as unknown as Uint8Array), /Uint8Array/);
});

codecs.run();
