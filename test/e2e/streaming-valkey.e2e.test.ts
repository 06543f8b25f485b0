/**
 * Streamed bodies end to end over Messaging on a real Valkey-compatible server (the harness
 * server; never the shared one on :6379), frames signed; Valkey's used_memory is watched.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { startValkey } from '../harness/valkey.js';
import { registerStreamingE2E } from './streaming-suite.js';

const server = await startValkey();
if (server === null) {
  const skipped = suite('streamed bodies over messaging/valkey');
  skipped.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
  skipped.run();
} else {
  const client = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? 0);
  const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: `stream-${randomUUID().slice(0, 8)}` }, auth: authSection(newKeys()) };
  registerStreamingE2E('messaging/valkey', {
    entries: () => ({ gateway: [entry], service: [entry] }),
    usedMemory,
    close: async () => {
      await client.quit();
      await server.stop();
    },
  });
}
