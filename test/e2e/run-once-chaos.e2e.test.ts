/**
 * Run once across instances under chaos (docs/messaging-transport.md, "Run once across
 * instances"): 2,000 requests through real gateway and service processes over a local Valkey
 * Cluster with replicas, with `runOnce.scope: shared`, a CLUSTER FAILOVER of the requests queue's
 * master, a SIGKILLed instance and an instance paused (SIGSTOP) past its REQUEST lease mid-load.
 * Every request is answered 200; counted by the handlers, no request id completes more than one
 * run across all instances (without run-once the paused instance's REQUESTs complete twice: once
 * elsewhere after its leases expire, once here when it resumes). Runs the killed
 * instance had started but not finished are run again elsewhere once their claims expire (they
 * must be, or they would be lost): those show as starts beyond one and are reported, not refused.
 * So is a run that finished on the killed instance in the moment before it died, before its
 * answer reached the run-once store: nobody received that answer, and the REQUEST runs again.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startValkeyCluster } from '../harness/valkey-cluster.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { completedOnKilled, executionReport, executions, runLoad, startChaosWorld, type ChaosWorld } from './chaos-world.js';

const cluster = await startValkeyCluster({ replicas: 1, nodeTimeoutMs: 2_000 });
const test = suite<{ world: ChaosWorld | undefined }>('run once across instances under chaos (cluster, real processes)', { world: undefined });
if (cluster === null) {
  test.skip('needs valkey-server/redis-server and its CLI on PATH (see the banner above)', () => undefined);
} else {
  test.after.each(async (ctx) => {
    await ctx.world?.stop();
    ctx.world = undefined;
  });
  test.after(async () => {
    await cluster.stop();
  });

  test('2,000 requests, a CLUSTER FAILOVER, a SIGKILLed and a paused instance with runOnce shared: every one answered, no id completed twice', async (ctx) => {
    const prefix = `once-${randomUUID().slice(0, 8)}`;
    const entry = {
      type: 'messaging',
      backend: 'valkey',
      valkey: { cluster: { nodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })) }, commandTimeoutMs: 5_000 },
      queues: { prefix, requestLeaseMs: 1_000 },
      // A killed instance's claims expire after 3 s: its unfinished REQUESTs run elsewhere well inside the 20 s deadline.
      runOnce: { scope: 'shared', claimMs: 3_000, pollMs: 100 },
      auth: authSection(newKeys()),
    };
    const world = await startChaosWorld({ entry, services: 3, serviceEnv: { COUNT_DONE_SUFFIX: '.done' } });
    ctx.world = world;
    const master = cluster.masterOf(`${prefix}:{service.counting.1.0.0@chaos.requests}`);
    const replica = cluster.replicas().find((r) => r.masterPort === master.port);
    assert.ok(replica !== undefined, `a replica of master ${master.port}`);
    let failover: Promise<void> | undefined;
    let killed: Promise<unknown> | undefined;
    let paused: Promise<void> | undefined;
    let killedAt = 0;
    const load = await runLoad(world.url, 2_000, 32, (answered) => {
      if (answered === 400) failover = cluster.failover(replica.port);
      if (answered === 1_000) {
        killedAt = Date.now();
        killed = world.services[0]?.kill();
      }
      if (answered === 1_400) {
        // Longer than the 1 s REQUEST lease, shorter than the 3 s claim.
        const pid = (world.services[1] as { pid: number }).pid;
        process.kill(pid, 'SIGSTOP');
        paused = new Promise((resolve) => setTimeout(resolve, 2_000)).then(() => void process.kill(pid, 'SIGCONT'));
      }
    });
    await failover;
    await killed;
    await paused;
    const started = executionReport(load.ids, executions(world.countFiles));
    const completed = executionReport(load.ids, executions(world.countFiles.map((f) => `${f}.done`)));
    const diedWithInstance = completedOnKilled(world, load, 0, killedAt);
    const completedTwice = completed.runTwice;
    process.stdout.write(
      `run-once chaos: ${load.ids.length} requests in ${load.ms} ms, ${load.failed.length} not answered 200; ` +
        `completed runs beyond one: ${completed.beyondOne} (${completedTwice.filter((id) => diedWithInstance.has(id)).length} finished on the instance as it was killed); ` +
        `started runs beyond one: ${started.beyondOne} (${started.runTwice.length} ids, the killed instance's unfinished runs)\n`,
    );
    assert.equal(load.failed.slice(0, 5), [], `${load.failed.length} requests not answered 200`);
    assert.equal(started.neverRun.slice(0, 5), [], `${started.neverRun.length} requests never executed`);
    assert.equal(
      completedTwice.filter((id) => !diedWithInstance.has(id)),
      [],
      'no request completed more than one run across the instances, except one that finished on the instance as it was killed',
    );
  });
}

test.run();
