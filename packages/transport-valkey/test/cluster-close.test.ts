/**
 * A closed Cluster client leaves nothing running: ioredis re-arms the periodic slots refresh from
 * a refresh that was in flight when the client was closed, and that timer would keep the process
 * alive for ever (cluster-slots-refresh.ts). Every Cluster client Switchyard makes has the guard.
 */
import * as assert from 'uvu/assert';
import { Cluster } from 'ioredis';
import { clusterSuite } from '../../../test/harness/valkey-cluster.js';
import { clearSlotsRefreshOnEnd } from '../src/cluster-slots-refresh.js';
import { createClient } from '../src/connection.js';
import { resolveValkeyOptions } from '../src/index.js';

const { test, cluster, nodes } = await clusterSuite('valkey cluster: closing a client');
if (cluster !== null) {
  /** ioredis' own state of the periodic refresh (private members, read here only). */
  const refresh = (c: Cluster) => c as unknown as { readonly isRefreshing: boolean; readonly slotsTimer: NodeJS.Timeout | null };

  /** A client refreshing its slots every 20 ms, closed (`how`) while a refresh is in flight; its refresh timer afterwards. */
  async function closedMidRefresh(how: 'quit' | 'disconnect', guarded: boolean): Promise<NodeJS.Timeout | null> {
    const c = new Cluster(nodes, { slotsRefreshInterval: 20 });
    if (guarded) clearSlotsRefreshOnEnd(c);
    await new Promise((resolve) => c.once('ready', resolve));
    const started = Date.now();
    while (!refresh(c).isRefreshing) {
      if (Date.now() - started > 5_000) throw new Error('no periodic slots refresh started within 5 s');
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (how === 'quit') await c.quit();
    else c.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const timer = refresh(c).slotsTimer;
    (c as unknown as { clearNodesRefreshInterval(): void }).clearNodesRefreshInterval();
    return timer;
  }

  test('without the guard, ioredis keeps refreshing a client closed mid-refresh (the behaviour guarded against)', async () => {
    assert.ok((await closedMidRefresh('quit', false)) !== null, 'the refresh timer outlived quit()');
  });

  for (const how of ['quit', 'disconnect'] as const) {
    test(`with the guard, a client closed by ${how}() mid-refresh leaves no refresh timer`, async () => {
      for (let i = 0; i < 5; i++) assert.is(await closedMidRefresh(how, true), null, `round ${i + 1}: no timer left`);
    });
  }

  test('every Cluster client Switchyard creates carries the guard', async () => {
    const client = createClient(resolveValkeyOptions({ cluster: { nodes } }), 'reader', 'guard-check') as Cluster;
    try {
      assert.is(client.listenerCount('end'), 1, 'one end listener: the guard');
    } finally {
      client.disconnect();
    }
  });
}

test.run();
