/**
 * The `switchyard` CLI straight over a Valkey Cluster (`--valkey <seed> --valkey-cluster`), as a
 * real process: queues and dead letters are found on every master, not only the seed node's.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { silentLogger, type MessageQueue } from '@switchyard/core';
import { connectValkeyQueueFactory } from '@switchyard/transport-valkey';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../harness/process.js';
import { startValkeyCluster } from '../harness/valkey-cluster.js';

const cluster = await startValkeyCluster();
const test = suite('switchyard CLI over a valkey cluster');

if (cluster === null) {
  test.skip('needs valkey-server/redis-server and its CLI on PATH (see the banner above)', () => undefined);
} else {
  test.after(async () => {
    await cluster.stop();
  });

  const cli = (args: readonly string[]): { code: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, ['--conditions=switchyard-source', '--import', 'tsx', 'packages/cli/src/bin.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', SWITCHYARD_GATEWAY: '', SWITCHYARD_TOKEN: '', SWITCHYARD_VALKEY: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('queues and dlq list find the dead letters of queues on every master', async () => {
    const prefix = `cli-${randomUUID().slice(0, 8)}`;
    const factory = await connectValkeyQueueFactory({ cluster: { nodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })) }, prefix }, { logger: silentLogger });
    // Enough queues that every master holds some.
    const names = Array.from({ length: 12 }, (_, i) => `jobs-${i}`);
    const masters = new Set(names.map((n) => cluster.masterOf(`${prefix}:{${n}}`).port));
    assert.is(masters.size, 3, 'the queues spread over all three masters');
    try {
      for (const name of names) {
        const q: MessageQueue<string> = factory.queue<string>(name);
        await q.enqueue(`job-${name}`);
        const [lease] = await q.lease({ max: 1 });
        assert.ok(lease !== undefined, `a lease from ${name}`);
        await lease.deadLetter('handler-crashed');
      }
      const seed = cluster.nodes[0] as { host: string; port: number };
      const base = ['--valkey', `redis://${seed.host}:${seed.port}`, '--valkey-cluster', '--prefix', prefix, '--json'];
      const queues = cli([...base, 'queues']);
      assert.is(queues.code, 0, queues.stderr);
      const q = JSON.parse(queues.stdout) as { queues: Array<{ queue: string; deadLetters: number }> };
      assert.equal(q.queues.map((x) => x.queue), [...names].sort());
      assert.ok(q.queues.every((x) => x.deadLetters === 1), JSON.stringify(q.queues));
      const list = cli([...base, 'dlq', 'list', '--reason', 'crashed']);
      assert.is(list.code, 0, list.stderr);
      assert.is((JSON.parse(list.stdout) as { deadLetters: unknown[] }).deadLetters.length, names.length);
      assert.is(cluster.errorCounts().CROSSSLOT ?? 0, 0, 'no CROSSSLOT on any node');
    } finally {
      await factory.close();
    }
  });
}

test.run();
