/**
 * The gateway end-to-end suite over the Messaging transport on a local Valkey Cluster (three
 * masters, one replica each): real gateway and echo processes whose every key must be
 * slot-correct (a CROSSSLOT anywhere fails a case). Each gateway+echo pair gets its own key prefix.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startValkeyCluster } from '../harness/valkey-cluster.js';
import { registerGatewayE2E } from './gateway-e2e-suite.js';
import { authSection, newKeys } from '../harness/frame-keys.js';

const cluster = await startValkeyCluster({ replicas: 1 });
if (cluster === null) {
  const skipped = suite('gateway e2e over messaging/valkey cluster');
  skipped.skip('needs valkey-server/redis-server and its CLI on PATH (see the banner above)', () => undefined);
  skipped.run();
} else {
  process.once('beforeExit', () => void cluster.stop());
  const nodes = cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
  registerGatewayE2E('messaging/valkey-cluster', () => {
    const entry = { type: 'messaging', backend: 'valkey', valkey: { cluster: { nodes } }, queues: { prefix: `e2e-${randomUUID().slice(0, 8)}` }, auth: authSection(newKeys()) };
    return { gateway: [entry], echo: [entry] };
  });
  const slots = suite('gateway e2e over messaging/valkey cluster: slots');
  slots('no node answered any command of the suite with CROSSSLOT', () => {
    const errors = cluster.errorCounts();
    assert.is(errors.CROSSSLOT ?? 0, 0, `errors answered by the nodes: ${JSON.stringify(errors)}`);
  });
  slots.run();
}
