/**
 * Streamed bodies over the Messaging transport on the memory backend, in one process: the same
 * gateway-streams / instance-streams code the Valkey run uses (test/e2e/streaming-valkey.e2e.test.ts).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Cancellation, TransportType, createQueueFactoryFromConfig, silentLogger, systemClock, type DispatchTarget } from '@switchyard/core';
import { MessagingGatewayTransport, MessagingInstanceTransport } from '@switchyard/core/internal';
import { createMicroservice } from '@switchyard/microservice';
import { eventually } from '../harness/wait.js';
import { RecordingEvents } from './recording-events.js';

const MiB = 1024 * 1024;
const test = suite('streamed bodies over messaging/memory');
const closers: Array<() => Promise<void>> = [];
const target: DispatchTarget = { instanceId: 'i-1', service: 'files', version: '1.0.0', link: { transport: TransportType.Messaging, address: 'service.files.1.0.0.requests' } };
const request = (method: 'GET' | 'POST', path: string) => ({ method, path, query: '', headers: {}, deadline: Date.now() + 10_000, identity: null });
let gateway: MessagingGatewayTransport;
const seen = { producedClosed: false, produced: 0 };

test.before(async () => {
  const space = `stream-${randomUUID()}`;
  const factory = await createQueueFactoryFromConfig('memory', { namespace: space }, { clock: systemClock });
  gateway = new MessagingGatewayTransport({ factory, options: { blockMs: 100 } }, { clock: systemClock, logger: silentLogger, node: { id: 'gw-1', region: 'local' } });
  const events = new RecordingEvents();
  await gateway.start(events);
  const transport = new MessagingInstanceTransport({ factory, options: { blockMs: 100 } }, { clock: systemClock, logger: silentLogger });
  const svc = createMicroservice({ name: 'files', version: '1.0.0', instanceId: 'i-1', transport });
  svc.post('/echo', async (req) => ({ status: 200, stream: req.stream }), { streaming: true, maxBodyBytes: 2 ** 30 });
  svc.get('/endless', async () => {
    const block = Buffer.alloc(256 * 1024, 1);
    const out = new Readable({
      read() {
        seen.produced += block.length;
        this.push(block);
      },
    });
    out.once('close', () => (seen.producedClosed = true));
    return { status: 200, stream: out };
  }, { streaming: 'response' });
  await svc.start();
  await events.waitForHello('i-1');
  closers.push(() => svc.stop(), () => gateway.stop(), () => factory.close());
});

test.after(async () => {
  for (const close of closers) await close();
});

test('32 MiB go up and come back byte for byte, and the streams queues are left empty', async () => {
  const block = randomBytes(MiB);
  const sent = createHash('sha256');
  async function* body(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 32; i++) {
      const b = Buffer.from(block);
      b.writeUInt32BE(i, 0);
      sent.update(b);
      yield b;
    }
  }
  const head = await gateway.dispatchStream(target, request('POST', '/echo'), body(), { window: MiB, idleMs: 5_000 });
  assert.is(head.status, 200);
  assert.ok(head.bodyStream !== undefined, 'the response streams');
  const received = createHash('sha256');
  let bytes = 0;
  for await (const chunk of head.bodyStream) {
    bytes += (chunk as Buffer).length;
    received.update(chunk as Buffer);
  }
  assert.is(bytes, 32 * MiB);
  assert.is(received.digest('hex'), sent.digest('hex'));
  const stats = await gateway.queueStats();
  const streams = stats['gateway.gw-1.streams'];
  assert.ok(streams !== undefined, 'the gateway read its streams queue');
  await eventually(async () => ((await gateway.queueStats())['gateway.gw-1.streams']?.depth ?? -1) === 0, { what: 'the gateway streams queue to be empty' });
});

test("cancelling a download mid-way ends the handler's stream, and the producer was held to the window", async () => {
  const cancellation = new Cancellation();
  const head = await gateway.dispatchStream(target, request('GET', '/endless'), undefined, { window: MiB, idleMs: 5_000, cancellation });
  const stream = head.bodyStream as Readable;
  let got = 0;
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= 4 * MiB) {
        stream.pause();
        resolve();
      }
    });
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Nobody reads now: what the handler produced beyond what was read is its own buffer plus the window.
  assert.ok(seen.produced - got < 4 * MiB, `the handler produced ${seen.produced - got} bytes beyond what was read`);
  cancellation.cancel('client-disconnected');
  await eventually(() => seen.producedClosed, { within: 5_000, what: "the handler's stream to close after CANCEL" });
  assert.ok(stream.destroyed, 'the response body ended with the cancellation');
});

test.run();
