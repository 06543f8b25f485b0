// The README example, run against the harness server so it cannot rot.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startValkey } from '../../../test/harness/valkey.js';
import { Latch } from '../../../test/harness/wait.js';
import { connectValkeyQueueFactory } from '../src/index.js';

const server = await startValkey();

const run = server === null ? test.skip : test;
run('the README example enqueues and handles a job', async () => {
  if (server === null) return;
  const url = server.url;
  const got: number[] = [];
  const done = new Latch(1, 'the job');
  // --- README example (url and prefix differ) ---
  const prefix = `demo-${randomUUID().slice(0, 8)}`;
  const factory = await connectValkeyQueueFactory({ url, prefix });
  const jobs = factory.queue<{ n: number }>('jobs', { leaseMs: 5_000 });
  await jobs.enqueue({ n: 1 }, { idempotencyKey: 'job-1' });
  const sub = jobs.subscribe(async (job) => {
    got.push(job.n);
    done.count();
  }, { concurrency: 8 });
  await done.wait(10_000);
  await sub.close();
  await factory.close();
  // --- end ---
  assert.equal(got, [1]);
  const redis = new Redis(url);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await server.stop();
});

test.run();
