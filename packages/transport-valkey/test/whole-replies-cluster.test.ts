/**
 * The reply joiner on a Cluster reader: every node connection the reader opens hands its parser
 * whole replies, so large XREAD values arrive intact and each in a buffer of its own reply.
 */
import { randomUUID } from 'node:crypto';
import { clusterSuite } from '../../../test/harness/valkey-cluster.js';
import { checkLargeValuesThroughReader } from './fixtures/large-xread.js';

const { test, cluster, nodes } = await clusterSuite('valkey cluster: whole replies');
if (cluster !== null) {
  test('a Cluster reader gets large XREAD values intact, each in a buffer of its own reply, on every master', async () => {
    // Slots 15495, 3300 and 7365: one key on each master of the three.
    await checkLargeValuesThroughReader({ cluster: { nodes } }, ['a', 'b', 'c'].map((tag) => `wrc-${randomUUID().slice(0, 8)}-{${tag}}`));
  });
}

test.run();
