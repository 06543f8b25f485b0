/**
 * Valkey Cluster key placement (issue 3 item 9): a queue's keys, dead letters and delayed set live
 * in one slot, and queues spread over all three masters of a local cluster.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { startValkeyCluster } from '../../../test/harness/valkey-cluster.js';
import { connectValkeyQueueFactory, queueKeys } from '../src/index.js';

const cluster = await startValkeyCluster();
if (cluster !== null) {
  const nodes = cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  process.once('beforeExit', () => void cluster.stop());

  const slots = suite('valkey cluster: key placement');
  slots('a queue\'s stream, dead letters, delayed set and idempotency keys share one slot, and queues spread over all masters', async () => {
    const client = new Cluster(nodes);
    try {
      const masters = new Set<string>();
      for (let i = 0; i < 24; i++) {
        const keys = queueKeys(prefix, `q-${i}`, ':dlq');
        const all = [keys.stream, keys.deadLetters, keys.delayed, keys.scheduled, keys.leaseExtensions, keys.groups, keys.fanout, keys.idempotency('k')];
        const slotsOf = await Promise.all(all.map((k) => client.cluster('KEYSLOT', k) as Promise<number>));
        assert.is(new Set(slotsOf).size, 1, `one slot for every key of q-${i}: ${slotsOf.join(',')}`);
        const owner = client.slots[slotsOf[0]!]?.[0];
        if (owner !== undefined) masters.add(owner);
      }
      assert.is(masters.size, 3, `24 queues land on all three masters (got ${[...masters].join(', ')})`);

      const factory = await connectValkeyQueueFactory({ cluster: { nodes }, prefix });
      try {
        const q = factory.queue<string>('placed', { leaseMs: 1_000 });
        await q.enqueue('x', { idempotencyKey: 'once' });
        await q.enqueue('later', { delayMs: 60_000 });
        const [lease] = await q.lease({ max: 1, blockMs: 1_000 });
        await lease!.deadLetter('to fill the dead-letter stream');
        const keys = queueKeys(prefix, 'placed', ':dlq');
        const owner = client.slots[(await client.cluster('KEYSLOT', keys.stream)) as number]![0]!;
        const [host, port] = owner.split(':');
        const node = client.nodes('master').find((n) => n.options.host === host && n.options.port === Number(port))!;
        for (const key of [keys.stream, keys.deadLetters, keys.scheduled, keys.idempotency('once'), keys.groups]) {
          assert.is(await node.exists(key), 1, `${key} lives on the queue's master ${owner}`);
        }
      } finally {
        await factory.close();
      }
    } finally {
      client.disconnect();
    }
  });
  slots.run();

}
