/**
 * Reference worker over Valkey for bench:http (see valkey-gateway.mjs): reads requests with
 * XREADGROUP, answers each with the echo body, and sends the replies, the XACK and the XDEL of
 * one read as one pipeline (batched replies). The reply stream is capped with MAXLEN ~.
 *
 *   node valkey-worker.mjs <redis url> <key prefix>
 */
import { Redis } from 'ioredis';
import { echoBody } from './echo-body.mjs';

const [url, prefix] = process.argv.slice(2);
const requests = `${prefix}:requests`;
const replies = `${prefix}:replies`;
const client = new Redis(url);
await client.xgroup('CREATE', requests, 'workers', '$', 'MKSTREAM').catch(() => undefined);
console.log('echo listening');
process.on('SIGTERM', () => process.exit(0));

for (;;) {
  const result = await client.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 512, 'BLOCK', 1000, 'STREAMS', requests, '>');
  if (result === null) continue;
  const entries = result[0][1];
  const pipeline = client.pipeline();
  const ids = [];
  for (const [entryId, fields] of entries) {
    ids.push(entryId);
    const f = JSON.parse(fields[3]);
    pipeline.xadd(replies, 'MAXLEN', '~', 100000, '*', 'i', fields[1], 'b', echoBody(f.m, f.u, f.h, f.b, 'reference'));
  }
  pipeline.xack(requests, 'workers', ...ids);
  pipeline.xdel(requests, ...ids);
  void pipeline.exec();
}
