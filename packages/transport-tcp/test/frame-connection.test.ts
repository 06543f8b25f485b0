import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { makeFrame, silentLogger, systemClock, type Frame } from '@switchyard/core';
import { FLUSH_FRAMES, FrameConnection, type WriteStats } from '../src/frame-connection.js';
import { eventually } from '../../../test/harness/wait.js';

const MAX_WRITE_BUFFER = 256 * 1024;

function bigFrame(i: number): Frame {
  return makeFrame('RESPONSE', { status: 200, headers: { n: String(i) }, body: new Uint8Array(64 * 1024), instanceId: 'i' }, { clock: systemClock });
}

const backpressure = suite('frame connection backpressure');

backpressure('a sender waits for drain once the connection holds maxWriteBufferBytes, and finishes once the peer reads', async () => {
  let peer: Socket | undefined;
  const server = createServer((socket) => {
    peer = socket;
    socket.pause();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const received: Frame[] = [];
  const connection = new FrameConnection(
    'c-test',
    socket,
    { maxFrameBytes: 1 << 20, maxWriteBufferBytes: MAX_WRITE_BUFFER, transport: 'tcp' },
    { frame: (f) => received.push(f), closed: () => undefined },
    silentLogger,
    systemClock,
  );
  const total = 400; // 25 MiB: more than loopback socket buffers hold
  let sent = 0;
  let blocked = false;
  let peakQueued = 0;
  const sender = (async () => {
    for (let i = 0; i < total; i++) {
      blocked = true;
      await connection.send(bigFrame(i));
      blocked = false;
      sent += 1;
      peakQueued = Math.max(peakQueued, socket.writableLength);
    }
  })();
  try {
    await eventually(() => peer !== undefined && blocked && sent < total, { within: 20_000, what: 'the sender to block on a paused peer' });
    assert.ok(
      peakQueued <= MAX_WRITE_BUFFER + 2 * 70 * 1024,
      `queued bytes should stay near maxWriteBufferBytes (${MAX_WRITE_BUFFER}), peaked at ${peakQueued}`,
    );
    let bytes = 0;
    peer!.on('data', (chunk: Buffer) => (bytes += chunk.byteLength));
    peer!.resume();
    await sender;
    assert.is(sent, total);
    await eventually(() => bytes >= total * 64 * 1024, { within: 20_000, what: 'the peer to read every frame' });
  } finally {
    connection.close('test over');
    peer?.destroy();
    server.close();
  }
});

backpressure.run();

const batching = suite('frame connection batching');

batching('frames of one turn are written together, but a full batch goes out at once, and the peer gets every frame in order', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const [peerSocket] = await accepted;
  const received: Frame[] = [];
  const options = { maxFrameBytes: 1 << 20, maxWriteBufferBytes: MAX_WRITE_BUFFER, transport: 'tcp' };
  const peer = new FrameConnection('c-peer', peerSocket, options, { frame: (f) => received.push(f), closed: () => undefined }, silentLogger, systemClock);
  const stats: WriteStats = { framesWritten: 0, writes: 0 };
  const connection = new FrameConnection('c-test', socket, { ...options, stats }, { frame: () => undefined, closed: () => undefined }, silentLogger, systemClock);
  try {
    const total = FLUSH_FRAMES * 2 + 3;
    for (let i = 0; i < total; i++) {
      void connection.send(makeFrame('CANCEL', { reason: 'timeout' }, { clock: systemClock, id: i.toString(16).padStart(32, '0') }));
    }
    // Still in the same turn: the two full batches are already written, the rest waits for the turn's end.
    assert.equal(stats, { framesWritten: FLUSH_FRAMES * 2, writes: 2 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(stats, { framesWritten: total, writes: 3 });
    await eventually(() => received.length === total, { within: 5_000, what: 'the peer to read every frame' });
    assert.equal(
      received.map((f) => parseInt(f.id, 16)),
      Array.from({ length: total }, (_, i) => i),
    );
  } finally {
    connection.close('test over');
    peer.close('test over');
    server.close();
  }
});

batching.run();
