/**
 * A read reply lost in a connection cut: the server served a consumer's XREADGROUP (the entries
 * are pending for that consumer) but the reply never arrived. The consumer claims them back itself
 * as soon as no read is outstanding, well before the lease (60 s here) expires.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { MessageQueueFactory } from '@switchyard/core';
import { startValkey } from '../../../test/harness/valkey.js';
import { startTcpProxy } from '../../../test/harness/tcp-proxy.js';
import { deliveryReport, eventually } from '../../../test/harness/wait.js';
import { connectValkeyQueueFactory } from '../src/index.js';

const server = await startValkey();
const test = suite('valkey: a read reply lost in a connection cut');
const opened: MessageQueueFactory[] = [];
test.after.each(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});
test.after(async () => {
  await server?.stop();
});

if (server === null) {
  test.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
} else {
  test('entries served to a read whose reply was lost are handled by the same consumer within a second of the cut, each once', async () => {
    const proxy = await startTcpProxy(server.port);
    const admin = new Redis(server.url);
    const prefix = `lost-${randomUUID().slice(0, 8)}`;
    try {
      const factory = await connectValkeyQueueFactory({ url: `redis://127.0.0.1:${proxy.port}`, prefix, connectionName: prefix });
      opened.push(factory);
      const handled: Array<{ id: string; attempt: number; at: number }> = [];
      const sub = factory.queue<number>('lost', { leaseMs: 60_000 }).subscribe(async (_n, d) => void handled.push({ id: d.id, attempt: d.attempt, at: Date.now() }), {
        concurrency: 8,
        blockMs: 5_000,
      });
      const readerBlocked = async (): Promise<boolean> =>
        ((await admin.client('LIST')) as string).split('\n').some((l) => l.includes(`name=${prefix}:`) && l.includes('cmd=xreadgroup') && /flags=b/.test(l));
      await eventually(readerBlocked, { within: 10_000, what: 'the consumer blocked in XREADGROUP' });

      proxy.holdReplies();
      const producer = await connectValkeyQueueFactory({ url: server.url, prefix });
      opened.push(producer);
      const ids = await producer.queue<number>('lost', { leaseMs: 60_000 }).enqueueBatch(Array.from({ length: 5 }, (_, i) => ({ message: i })));
      // The server served the blocked read: the entries are pending for the consumer, the reply is held back.
      await eventually(async () => ((await admin.xpending(`${prefix}:{lost}`, 'default')) as [number])[0] === 5, { within: 5_000, what: 'the 5 entries pending' });
      assert.is(handled.length, 0, 'the reply never arrived');

      const cutAt = Date.now();
      proxy.cut();
      await eventually(() => handled.length >= 5, { within: 10_000, what: 'the 5 entries handled' });
      const ms = Math.max(...handled.map((h) => h.at)) - cutAt;
      process.stdout.write(`lost read reply: 5 entries handled ${ms} ms after the cut (lease 60000 ms)\n`);
      assert.ok(ms < 1_500, `handled ${ms} ms after the cut, not at lease expiry`);
      assert.equal(deliveryReport(ids, handled.map((h) => h.id)), { missing: [], duplicated: [] });
      assert.ok(handled.every((h) => h.attempt === 2), `each counted as a second delivery: ${handled.map((h) => h.attempt).join(',')}`);
      await sub.close();
    } finally {
      await proxy.close();
      admin.disconnect();
    }
  });
}

test.run();
