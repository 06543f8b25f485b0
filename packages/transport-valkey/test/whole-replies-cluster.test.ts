/**
 * The reply joiner on a Cluster reader: every node connection the reader opens hands its parser
 * whole replies, so large XREAD values arrive intact and each in a buffer of its own reply.
 */
import { randomUUID } from 'node:crypto';
import { clusterSuite } from '../../../test/harness/valkey-cluster.js';
import { createClient } from '../src/connection.js';
import { resolveValkeyOptions } from '../src/index.js';
import { checkLargeValuesRead } from './fixtures/large-xread.js';

const { test, cluster, nodes } = await clusterSuite('valkey cluster: whole replies');
if (cluster !== null) {
  test('a Cluster reader gets large XREAD values intact, each in a buffer of its own reply, on every master', async () => {
    const options = resolveValkeyOptions({ cluster: { nodes } });
    const reader = createClient(options, 'reader', `wrc-${randomUUID().slice(0, 8)}`);
    const writer = createClient(options, 'command', `wrc-w-${randomUUID().slice(0, 8)}`);
    // Slots 15495, 3300 and 7365: one key on each master of the three.
    const keys = ['a', 'b', 'c'].map((tag) => `wrc-${randomUUID().slice(0, 8)}-{${tag}}`);
    try {
      for (const key of keys) await checkLargeValuesRead(reader, writer, key);
    } finally {
      for (const key of keys) await writer.del(key).catch(() => undefined);
      writer.disconnect();
      reader.disconnect();
    }
  });
}

test.run();
