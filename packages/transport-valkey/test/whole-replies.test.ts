/**
 * The reader connections' reply joiner: whatever the reads' boundaries, the parser is given every
 * byte in order, in pieces that each end where a reply ends; a reply that fits in one read is
 * passed on without a copy, and one that spans reads is joined once, exactly to its size. Over a
 * real server, a reader's large XREAD values are slices of their own reply, not of a shared pool.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startValkey } from '../../../test/harness/valkey.js';
import type { Socket } from 'node:net';
import { ReplyJoiner, joinWholeReplies } from '../src/whole-replies.js';
import { checkLargeValuesThroughReader } from './fixtures/large-xread.js';

type Reply = string | number | Buffer | null | Reply[] | { error: string };

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomReply(rand: () => number, depth = 0): Reply {
  const kind = Math.floor(rand() * (depth > 2 ? 5 : 6));
  switch (kind) {
    case 0:
      return 'OK';
    case 1:
      return Math.floor(rand() * 1e6) - 5e5;
    case 2:
      return null;
    case 3:
      return { error: 'ERR something' };
    case 4:
      // Bulk strings from empty to 300 KiB, with CR and LF bytes inside.
      return Buffer.alloc(rand() < 0.2 ? Math.floor(rand() * 300_000) : Math.floor(rand() * 40), '\r\nx');
    default:
      return Array.from({ length: Math.floor(rand() * 5) }, () => randomReply(rand, depth + 1));
  }
}

function encode(reply: Reply): Buffer {
  if (reply === null) return Buffer.from('$-1\r\n');
  if (typeof reply === 'string') return Buffer.from(`+${reply}\r\n`);
  if (typeof reply === 'number') return Buffer.from(`:${reply}\r\n`);
  if (Buffer.isBuffer(reply)) return Buffer.concat([Buffer.from(`$${reply.length}\r\n`), reply, Buffer.from('\r\n')]);
  if (Array.isArray(reply)) return Buffer.concat([Buffer.from(`*${reply.length}\r\n`), ...reply.map(encode)]);
  return Buffer.from(`-${reply.error}\r\n`);
}

/** Cuts `bytes` into reads of random sizes (1 byte to 70 KiB), each its own buffer. */
function reads(bytes: Buffer, rand: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = Math.min(bytes.length - at, rand() < 0.3 ? 1 + Math.floor(rand() * 8) : 1 + Math.floor(rand() * 70_000));
    out.push(Buffer.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return out;
}

const test = suite('whole replies');

test('every byte is passed on in order, in pieces that end where replies end', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rand = prng(seed);
    const replies = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => encode(randomReply(rand)));
    const ends = new Set<number>();
    let end = 0;
    for (const r of replies) ends.add((end += r.length));
    const stream = Buffer.concat(replies);
    const delivered: Buffer[] = [];
    const joiner = new ReplyJoiner((b) => delivered.push(b));
    for (const read of reads(stream, rand)) joiner.push(read);
    assert.ok(Buffer.concat(delivered).equals(stream), `seed ${seed}: the bytes passed on are the bytes read`);
    let at = 0;
    for (const d of delivered) {
      assert.ok(d.length > 0, `seed ${seed}: nothing empty is passed on`);
      at += d.length;
      assert.ok(ends.has(at), `seed ${seed}: a piece ends at ${at}, where no reply ends`);
    }
  }
});

test('replies inside one read are passed on as views of it; one that spans reads is joined once, to its size', () => {
  const small = Buffer.concat([encode('OK'), encode([Buffer.from('a'), 7]), encode(null)]);
  const big = encode([[Buffer.from('1-0'), [Buffer.from('p'), randomBytes(200_000)]]]);
  const stream = Buffer.concat([small, big, small]);
  const firstRead = Buffer.from(stream.subarray(0, small.length + 10));
  const delivered: Buffer[] = [];
  const joiner = new ReplyJoiner((b) => delivered.push(b));
  joiner.push(firstRead);
  for (const read of reads(stream.subarray(firstRead.length), prng(7))) joiner.push(read);
  assert.is(delivered[0]?.buffer, firstRead.buffer, 'the complete replies of the first read are a view of it');
  assert.is(delivered[0]?.length, small.length);
  const joined = delivered.find((d) => d.length >= big.length);
  assert.ok(joined !== undefined && joined.length === big.length, 'the spanning reply is passed on alone');
  assert.is(joined?.buffer.byteLength, big.length, 'and joined into a buffer of exactly its size');
  assert.ok(Buffer.concat(delivered).equals(stream));
});

test('a header line cut by a read is read whole', () => {
  const stream = Buffer.concat([encode([Buffer.alloc(123_456, 1), 42]), encode('OK')]);
  const delivered: Buffer[] = [];
  const joiner = new ReplyJoiner((b) => delivered.push(b));
  // Reads of one and two bytes through the headers: "*2\r\n$123456\r\n".
  for (let at = 0; at < stream.length; ) {
    const size = at < 16 || at > stream.length - 12 ? 1 + (at % 2) : 50_000;
    joiner.push(Buffer.from(stream.subarray(at, at + size)));
    at += size;
  }
  assert.ok(Buffer.concat(delivered).equals(stream));
  assert.is(delivered.length, 2, 'two replies, two pieces');
});

test('a type it does not know makes it pass every later read through, nothing lost or reordered', () => {
  const stream = Buffer.concat([encode('OK'), encode([Buffer.alloc(70_000, 2)]), Buffer.from('%1\r\n+a\r\n+b\r\n'), encode('OK')]);
  const delivered: Buffer[] = [];
  const joiner = new ReplyJoiner((b) => delivered.push(b));
  for (const read of reads(stream, prng(3))) joiner.push(read);
  assert.ok(Buffer.concat(delivered).equals(stream));
});

const server = await startValkey();
test.after(async () => {
  await server?.stop();
});

if (server !== null) {
  test('a reader connection gets large XREAD values intact, each in a buffer of its own reply', async () => {
    await checkLargeValuesThroughReader({ url: server.url });
  });

  test('a connection whose socket has another data listener at connect is left to the parser alone', async () => {
    const client = new Redis(server.url, { lazyConnect: true });
    // Registered before the joiner's: it adds a second data listener before the joiner looks.
    client.on('connect', () => (client as unknown as { stream: Socket }).stream.on('data', () => undefined));
    joinWholeReplies(client);
    const key = `wr-${randomUUID().slice(0, 8)}`;
    try {
      await client.connect();
      await client.xadd(key, '*', 'p', randomBytes(256 * 1024));
      const reply = (await client.callBuffer('XREAD', 'STREAMS', key, '0')) as Array<[Buffer, Array<[Buffer, Buffer[]]>]>;
      const value = reply[0]?.[1][0]?.[1][1];
      assert.is(value?.length, 256 * 1024);
      assert.ok((value?.buffer.byteLength ?? 0) >= 3 * 256 * 1024, 'the value was joined by the parser, into its pool');
    } finally {
      await client.del(key);
      client.disconnect();
    }
  });
} else {
  test('skipped: no Valkey-compatible server', () => undefined);
}

test.run();
