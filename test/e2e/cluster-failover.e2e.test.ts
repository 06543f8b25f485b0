/**
 * Chaos over a local Valkey Cluster (three masters, one replica each), real gateway and service
 * processes: a manual `CLUSTER FAILOVER` and a SIGKILLed service instance under load, then a
 * killed master whose replica takes over. Every request must be answered 200; the handlers'
 * executions per request id are counted and reported (at least one each).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startValkeyCluster, type ValkeyCluster } from '../harness/valkey-cluster.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { executionReport, executions, runLoad, startChaosWorld, type ChaosWorld } from './chaos-world.js';

const ADMIN_TOKEN = 'chaos-admin-token-0123456789';

const cluster = await startValkeyCluster({ replicas: 1, nodeTimeoutMs: 2_000 });
if (cluster === null) {
  const skipped = suite('chaos over a valkey cluster');
  skipped.skip('needs valkey-server/redis-server and its CLI on PATH (see the banner above)', () => undefined);
  skipped.run();
} else {
  register(cluster);
}

function register(cluster: ValkeyCluster): void {
  const test = suite<{ world: ChaosWorld | undefined }>('chaos over a valkey cluster (real processes)', { world: undefined });
  test.after.each(async (ctx) => {
    await ctx.world?.stop();
    ctx.world = undefined;
  });
  test.after(async () => {
    await cluster.stop();
  });

  const entry = (prefix: string): Record<string, unknown> => ({
    type: 'messaging',
    backend: 'valkey',
    // The default command timeout: a killed master's replica takes over in 3-5 s here (node
    // timeout 2 s, then the election), and a command waits that out for up to commandTimeoutMs.
    valkey: { cluster: { nodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })) }, commandTimeoutMs: 10_000 },
    // A short REQUEST lease: a killed instance's work is reclaimed in about a second.
    queues: { prefix, requestLeaseMs: 1_000 },
    auth: authSection(newKeys()),
  });

  test('2,000 requests through a CLUSTER FAILOVER of the requests queue\'s master and a SIGKILLed instance: every one answered', async (ctx) => {
    const prefix = `chaos-${randomUUID().slice(0, 8)}`;
    const world = await startChaosWorld({ entry: entry(prefix), services: 3, gatewayExtra: { admin: { tokens: [{ name: 'ops', role: 'operator', token: ADMIN_TOKEN }] } } });
    ctx.world = world;
    const master = cluster.masterOf(`${prefix}:{service.counting.1.0.0@chaos.requests}`);
    const replica = cluster.replicas().find((r) => r.masterPort === master.port);
    assert.ok(replica !== undefined, `a replica of master ${master.port}`);
    let failover: Promise<void> | undefined;
    let killed: Promise<unknown> | undefined;
    const load = await runLoad(world.url, 2_000, 32, (answered) => {
      if (answered === 400) failover = cluster.failover(replica.port);
      if (answered === 1_000) killed = world.services[0]?.kill();
    });
    await failover;
    await killed;
    assert.is(cluster.cli(replica.port, 'role').split('\n')[0], 'master', 'the replica was promoted');
    const report = executionReport(load.ids, executions(world.countFiles));
    process.stdout.write(
      `cluster failover run: ${load.ids.length} requests in ${load.ms} ms, ${load.failed.length} not answered 200, ` +
        `${report.neverRun.length} never executed, ${report.beyondOne} executions beyond one (${report.runTwice.length} ids)\n`,
    );
    assert.equal(load.failed.slice(0, 5), [], `${load.failed.length} requests not answered 200`);
    assert.equal(report.neverRun.slice(0, 5), [], `${report.neverRun.length} requests never executed`);
    // Queue stats, activity and dead-letter listing over the cluster, after the failover.
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const path of ['/_switchyard/admin/queues', '/_switchyard/admin/overview', '/_switchyard/admin/dead-letters?limit=10', '/metrics']) {
      const res = await fetch(`${world.url}${path}`, { headers: admin });
      assert.is(res.status, 200, `${path}: ${await res.text()}`);
    }
    const queues = (await (await fetch(`${world.url}/_switchyard/admin/queues`, { headers: admin })).json()) as { queues: Array<{ queue: string }> };
    // The instances are in region "chaos": they read that region's requests queue.
    assert.ok(queues.queues.some((q) => q.queue === 'service.counting.1.0.0@chaos.requests'), `the requests queue is listed: ${JSON.stringify(queues)}`);
    const dryRun = await fetch(`${world.url}/_switchyard/admin/dead-letters/redrive`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ ratePerSecond: 100, dryRun: true }),
    });
    assert.is(dryRun.status, 200, `redrive dry run over every queue: ${await dryRun.text()}`);
  });

  test('a killed master whose replica takes over mid-load: consumers resume by themselves, every request answered', async (ctx) => {
    await cluster.waitHealthy();
    const prefix = `chaos-${randomUUID().slice(0, 8)}`;
    const world = await startChaosWorld({ entry: entry(prefix), services: 2 });
    ctx.world = world;
    const master = cluster.masterOf(`${prefix}:{service.counting.1.0.0@chaos.requests}`);
    const replica = cluster.replicas().find((r) => r.masterPort === master.port);
    assert.ok(replica !== undefined, `a replica of master ${master.port}`);
    let crash: Promise<void> | undefined;
    const load = await runLoad(world.url, 1_000, 32, (answered) => {
      if (answered === 300) crash = cluster.kill(master.port);
    });
    await crash;
    assert.is(cluster.cli(replica.port, 'role').split('\n')[0], 'master', 'the replica took over');
    const report = executionReport(load.ids, executions(world.countFiles));
    process.stdout.write(
      `cluster master kill run: ${load.ids.length} requests in ${load.ms} ms, ${load.failed.length} not answered 200, ` +
        `${report.neverRun.length} never executed, ${report.beyondOne} executions beyond one (${report.runTwice.length} ids)\n`,
    );
    if (load.failed.length > 0) {
      writeFileSync(join(world.dir, 'gateway.log'), world.gateway.output());
      process.stdout.write(`gateway log: ${join(world.dir, 'gateway.log')}\n`);
    }
    assert.equal(load.failed.slice(0, 5), [], `${load.failed.length} requests not answered 200`);
  });

  test('no node answered any command with CROSSSLOT', () => {
    const errors = cluster.errorCounts();
    assert.is(errors.CROSSSLOT ?? 0, 0, `errors answered by the live nodes: ${JSON.stringify(errors)}`);
  });

  test.run();
}
