/**
 * streamPieces: a Node Readable read piece by piece (what the gateway reads a client's body with,
 * and the SDK a handler's Readable): pieces unjoined and in order, flow paused beyond the bound,
 * the stream's end, error and premature close, a reader that gives up, and one that lets go.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { streamPieces, type PieceIterator } from '../src/transport/streaming/stream-pieces.js';

const test = suite('stream pieces');

const bytes = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A reader bounded at 100 bytes over a stream that was written `count` pieces of 60 bytes (piece i filled with i): paused by then. */
async function pausedReader(count: number): Promise<{ source: PassThrough; it: PieceIterator<Buffer> }> {
  const source = new PassThrough({ highWaterMark: 1 << 20 });
  const it = streamPieces<Buffer>(source, 100)[Symbol.asyncIterator]();
  for (let i = 0; i < count; i++) source.write(bytes(60, i));
  await nextTurn();
  assert.ok(source.isPaused(), 'paused with 100 bytes or more waiting');
  return { source, it };
}

/** The `code` of what `next` rejects with. */
async function rejectionCode(next: Promise<unknown>): Promise<string | undefined> {
  try {
    await next;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  assert.unreachable('should have thrown');
  return undefined;
}

test('pieces come out as the stream pushed them, in order, where Node\'s iterator joins them', async () => {
  const pieces = [bytes(1000, 1), bytes(70_000, 2), bytes(5, 3)];
  const buffered = new PassThrough();
  for (const p of pieces) buffered.write(p);
  buffered.end();
  const joined: Buffer[] = [];
  for await (const b of buffered) joined.push(b as Buffer);
  const source = new PassThrough();
  for (const p of pieces) source.write(p);
  source.end();
  const got: Buffer[] = [];
  for await (const b of streamPieces<Buffer>(source, 1 << 20)) got.push(b);
  assert.equal(got.map((b) => b.length), [1000, 70_000, 5]);
  assert.ok(Buffer.concat(got).equals(Buffer.concat(pieces)));
  assert.ok(got[1] === pieces[1] || got[1]?.buffer === pieces[1]?.buffer, 'a piece is the pushed buffer, not a copy');
  // Node's own iterator hands over what was buffered joined into one new buffer (why streamPieces exists).
  assert.equal(joined.map((b) => b.length), [71_005]);
});

test('the stream is paused while the waiting pieces reach the bound, and flows again once they are taken', async () => {
  const { source, it } = await pausedReader(5);
  const first = await it.next();
  assert.is(first.value?.[0], 0);
  await nextTurn();
  const second = await it.next();
  assert.is(second.value?.[0], 1);
  assert.is(source.isPaused(), false, 'flowing again below the bound');
  source.end();
  const rest: number[] = [];
  for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(r.value[0] as number);
  assert.equal(rest, [2, 3, 4]);
});

test("the stream's error is thrown after the pieces that came before it; a close before the end throws a premature close", async () => {
  const failing = new PassThrough();
  const it = streamPieces<Buffer>(failing, 1 << 20)[Symbol.asyncIterator]();
  failing.write(bytes(10, 7));
  await nextTurn();
  failing.destroy(Object.assign(new Error('client went away'), { code: 'ECONNRESET' }));
  assert.is((await it.next()).value?.length, 10);
  assert.is(await rejectionCode(it.next()), 'ECONNRESET');
  const closed = new PassThrough();
  const it2 = streamPieces<Buffer>(closed, 1 << 20)[Symbol.asyncIterator]();
  closed.destroy();
  assert.is(await rejectionCode(it2.next()), 'ERR_STREAM_PREMATURE_CLOSE');
});

test('a reader that gives up destroys the stream and leaves no listener behind', async () => {
  const source = new PassThrough();
  const before = source.listenerCount('data');
  const it = streamPieces<Buffer>(source, 1 << 20)[Symbol.asyncIterator]();
  source.write(bytes(3, 1));
  await it.next();
  await it.return?.();
  assert.ok(source.destroyed, 'destroyed');
  assert.is(source.listenerCount('data'), before);
  const done = new PassThrough();
  const it2 = streamPieces<Buffer>(done, 1 << 20)[Symbol.asyncIterator]();
  done.end(bytes(2, 2));
  assert.is((await it2.next()).value?.length, 2);
  assert.is((await it2.next()).done, true);
  assert.is(done.listenerCount('data'), 0, 'the end detaches too');
});

test('a released stream is left to its next reader: nothing more is held, it is not paused, and return() does not destroy it', async () => {
  const { source, it } = await pausedReader(3);
  it.release();
  await it.return?.();
  assert.is(source.destroyed, false, 'not destroyed');
  assert.is(source.listenerCount('data'), 0);
  // Drained by someone else, as the gateway drains a body it answered 413.
  let drained = 0;
  source.on('data', (b: Buffer) => void (drained += b.length));
  source.resume();
  source.end(bytes(500, 9));
  await new Promise((resolve) => source.once('end', resolve));
  // The reader had taken two pieces when it paused the stream; the third was still in the stream's own buffer.
  assert.is(drained, 60 + 500, 'what the stream still held and what came after reach the next reader');
});

test('a stream that ended or was destroyed before it was handed over ends or fails at once', async () => {
  const ended = new PassThrough();
  ended.end();
  ended.resume();
  await new Promise((resolve) => ended.once('end', resolve));
  assert.is((await streamPieces<Buffer>(ended, 100)[Symbol.asyncIterator]().next()).done, true);
  const destroyed = new PassThrough();
  destroyed.on('error', () => undefined); // its owner's listener, before it is handed over
  destroyed.destroy(Object.assign(new Error('gone'), { code: 'ECONNRESET' }));
  await nextTurn();
  assert.is(await rejectionCode(streamPieces<Buffer>(destroyed, 100)[Symbol.asyncIterator]().next()), 'ECONNRESET');
});

test('reads waiting at the same time each get a piece', async () => {
  const source = new PassThrough();
  const it = streamPieces<Buffer>(source, 1 << 20)[Symbol.asyncIterator]();
  const a = it.next();
  const b = it.next();
  source.write(bytes(1, 1));
  source.write(bytes(2, 2));
  const got = await Promise.all([a, b]);
  assert.equal(got.map((r) => r.value?.length).sort(), [1, 2]);
});

test.run();
