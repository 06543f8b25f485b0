/**
 * The run-once store, the rate-limit store and dead-letter retention on a local three-master
 * Valkey Cluster: every script touches keys of one slot (no CROSSSLOT), and records of different
 * REQUEST ids and limits spread over the masters.
 */
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { clusterSuite } from '../../../test/harness/valkey-cluster.js';
import { ValkeyBackend, connectValkeyQueueFactory, queueKeys, resolveValkeyOptions } from '../src/index.js';

const { test, cluster, nodes } = await clusterSuite('valkey cluster: run-once, rate-limit and dead-letter retention keys');
if (cluster !== null) {
  test('run-once records and rate limits work across the masters with one-slot scripts', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const backend = new ValkeyBackend(resolveValkeyOptions({ cluster: { nodes }, prefix }));
    const client = new Cluster(nodes);
    try {
      await backend.whenReady();
      const store = backend.runOnceStore();
      const masters = new Set<string>();
      for (let i = 0; i < 24; i++) {
        const id = randomUUID().replaceAll('-', '');
        assert.equal(await store.claim(id, 'a', 5_000), { state: 'claimed' });
        assert.equal(await store.claim(id, 'b', 5_000), { state: 'held' });
        assert.is(await store.renew(id, 'a', 5_000), true);
        assert.is(await store.answer(id, 'a', new TextEncoder().encode(`answer ${i}`), 5_000), true);
        const found = await store.claim(id, 'b', 5_000);
        assert.is(found.state === 'answered' ? new TextDecoder().decode(found.response) : found.state, `answer ${i}`);
        const slot = (await client.cluster('KEYSLOT', `${prefix}:run-once:{${id}}`)) as number;
        const owner = client.slots[slot]?.[0];
        if (owner !== undefined) masters.add(owner);
      }
      assert.is(masters.size, 3, `24 run-once records land on all three masters (got ${[...masters].join(', ')})`);
      const limits = backend.rateLimitStore();
      assert.equal([await limits.take('route:x', 1, 1), (await limits.take('route:x', 1, 1)) > 0], [0, true]);
    } finally {
      client.disconnect();
      await backend.close();
    }
  });

  test('dead-letter retention trims and counts in the queue slot', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const factory = await connectValkeyQueueFactory({ cluster: { nodes }, prefix, deadLetterMaxLength: 1 });
    try {
      const q = factory.queue<string>('dlq-trim', { leaseMs: 1_000 });
      await q.enqueue('a');
      await q.enqueue('b');
      for (const lease of await q.lease({ max: 2, blockMs: 1_000 })) await lease.deadLetter('test');
      const stats = await q.stats();
      assert.is(stats.deadLetters, 1);
      assert.is(stats.deadLettersDropped, 1);
      const keys = queueKeys(prefix, 'dlq-trim', ':dlq');
      const client = new Cluster(nodes);
      const slots = await Promise.all([keys.deadLetters, keys.deadLettersDropped].map((k) => client.cluster('KEYSLOT', k) as Promise<number>));
      client.disconnect();
      assert.is(new Set(slots).size, 1, 'the counter shares the dead-letter stream slot');
    } finally {
      await factory.close();
    }
  });
}

test.run();
