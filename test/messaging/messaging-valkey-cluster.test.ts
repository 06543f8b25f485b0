/**
 * The shared Messaging transport scenarios on a local Valkey Cluster (three masters, one replica
 * each): every queue a request touches lives on the master its `{queue}` hash tag picks, and
 * every command a scenario issues must be slot-correct (a CROSSSLOT fails it).
 */
import { createQueueFactoryFromConfig } from '@switchyard/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startValkeyCluster } from '../harness/valkey-cluster.js';
import { registerMessagingScenarios } from './scenarios.js';

const cluster = await startValkeyCluster({ replicas: 1 });
if (cluster === null) {
  const skipped = suite('messaging transport over valkey cluster (SKIPPED: no server)');
  skipped.skip('needs valkey-server/redis-server and its CLI on PATH (see the banner above)', () => undefined);
  skipped.run();
} else {
  process.once('beforeExit', () => void cluster.stop());
  const nodes = cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
  registerMessagingScenarios({
    backend: 'valkey cluster',
    manualTime: false,
    factory: (space, clock) => createQueueFactoryFromConfig('valkey', { cluster: { nodes }, prefix: space }, { clock }),
  });
  const slots = suite('messaging transport over valkey cluster: slots');
  slots('no node answered any command of the scenarios with CROSSSLOT', () => {
    const errors = cluster.errorCounts();
    assert.is(errors.CROSSSLOT ?? 0, 0, `errors answered by the nodes: ${JSON.stringify(errors)}`);
  });
  slots.run();
}
