// The queue conformance kit against the Valkey backend on the harness server (real time, real
// server, AOF on so the restart behaviours can check that nothing acknowledged is lost).
import { runQueueConformance } from '@switchyard/core/conformance';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startValkey } from '../../../test/harness/valkey.js';
import { connectValkeyQueueFactory } from '../src/index.js';

const server = await startValkey({ appendonly: true });
if (server !== null) {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  process.once('beforeExit', () => {
    void (async () => {
      const redis = new Redis(server.url);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await server.stop();
    })();
  });
  await runQueueConformance({
    name: `valkey (${server.kind})`,
    createFactory: () => connectValkeyQueueFactory({ url: server.url, prefix }),
    ...(server.canRestart ? { restartServer: () => server.restart({ keepData: true }) } : {}),
    bulkMessages: 5_000,
  });
}
