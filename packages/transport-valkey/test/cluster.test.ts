/**
 * The queue conformance kit on a local three-master Valkey Cluster (issue 3 item 9); its queue
 * names are random, so they spread over all masters (cluster-slots.test.ts checks placement).
 */
import { randomUUID } from 'node:crypto';
import { runQueueConformance } from '@switchyard/core/conformance';
import { startValkeyCluster } from '../../../test/harness/valkey-cluster.js';
import { connectValkeyQueueFactory } from '../src/index.js';

const cluster = await startValkeyCluster();
if (cluster !== null) {
  const nodes = cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  process.once('beforeExit', () => void cluster.stop());
  await runQueueConformance({
    name: 'valkey (3-master cluster)',
    createFactory: () => connectValkeyQueueFactory({ cluster: { nodes }, prefix }),
    bulkMessages: 2_000,
  });
}
