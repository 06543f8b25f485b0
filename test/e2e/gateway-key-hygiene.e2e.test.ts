/**
 * Key hygiene with real gateway processes on a real Valkey: across 10 gateway restarts with new
 * node ids (every other one SIGKILLed, so no goodbye), the number of keys under the prefix stays
 * flat, and each departed gateway's responses queue and `gateway.control` consumer group are
 * deleted by the live gateway once it has been silent for `departedNodeGraceMs`.
 */
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliBinary, startValkey, type ValkeyServer } from '../harness/valkey.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { eventually } from '../harness/wait.js';
import { get, startChaosWorld, type ChaosWorld } from './chaos-world.js';

const server = await startValkey();
const cli = cliBinary();
if (server === null || cli === undefined || server.kind !== 'process') {
  const skipped = suite('gateway key hygiene over valkey');
  skipped.skip('needs a local valkey-server/redis-server process and its CLI (see the banner above)', () => undefined);
  skipped.run();
} else {
  register(server, cli);
}

function register(server: ValkeyServer, cli: string): void {
  const run = (...args: string[]): string => spawnSync(cli, ['-p', String(server.port), ...args], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const keysUnder = (prefix: string): string[] => run('--scan', '--pattern', `${prefix}:*`).split('\n').filter((k) => k !== '').sort();
  const controlGroups = (prefix: string): number => (run('xinfo', 'groups', `${prefix}:{gateway.control}`).match(/^name$/gm) ?? []).length;

  const test = suite<{ world: ChaosWorld | undefined }>('gateway key hygiene over valkey (real processes)', { world: undefined });
  test.after.each(async (ctx) => {
    await ctx.world?.stop();
    ctx.world = undefined;
  });
  test.after(async () => {
    await server.stop();
  });

  test('key count stays flat across 10 gateway restarts with new node ids; a SIGKILLed gateway\'s keys are deleted after the grace', async (ctx) => {
    const prefix = `hyg-${randomUUID().slice(0, 8)}`;
    const GRACE_MS = 2_000;
    const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix, departedNodeGraceMs: GRACE_MS }, auth: authSection(newKeys()) };
    const world = await startChaosWorld({ entry, services: 1 });
    ctx.world = world;
    const baseline = keysUnder(prefix);
    assert.ok(baseline.some((k) => k.includes('.responses}')), `the first gateway's responses queue exists: ${baseline.join(', ')}`);

    let current = { process: world.gateway, url: world.url };
    const counts: number[] = [];
    const departed: string[] = [];
    // The next gateway starts while the current one serves (a gateway takes seconds to start under tsx).
    const nodeIds = Array.from({ length: 10 }, (_, i) => `gw-hyg-${i}-${randomUUID().slice(0, 6)}`);
    let starting = world.startGateway(nodeIds[0]);
    for (let i = 0; i < 10; i++) {
      const nodeId = nodeIds[i] as string;
      const next = await starting;
      if (i + 1 < 10) starting = world.startGateway(nodeIds[i + 1]);
      await eventually(async () => (await get(next.url, `/work/${i}`, `hyg-${i}-${randomUUID()}`)).status === 200, { within: 20_000, every: 100, what: `gateway ${nodeId} answers` });
      departed.push(...keysUnder(prefix).filter((k) => k.includes('.responses}') && !nodeIds.slice(i, i + 2).some((id) => k.includes(id))));
      // Restarts come no faster than one per grace and a half, as a rolling restart does: a
      // departed gateway's keys go once it has been silent a grace and a live gateway has beaten a
      // whole grace itself, so restarts faster than that leave one responses queue each until then.
      await new Promise((resolve) => setTimeout(resolve, GRACE_MS * 1.5));
      if (i % 2 === 0) await current.process.kill();
      else await current.process.stop('SIGTERM', 5_000);
      current = next;
      counts.push(keysUnder(prefix).length);
    }
    await eventually(() => keysUnder(prefix).length === baseline.length, { within: GRACE_MS * 4, every: 100, what: `the key count back to ${baseline.length} (now ${keysUnder(prefix).length})` });
    const after = keysUnder(prefix);
    process.stdout.write(`key counts: baseline ${baseline.length}, after each restart ${counts.join(' ')}, at the end ${after.length}\n`);
    for (const key of new Set(departed)) assert.not.ok(after.includes(key), `departed gateway key ${key} deleted`);
    // Flat: never more than the keys of the departed gateways of the last grace period or so.
    assert.ok(Math.max(...counts) <= baseline.length + 6, `key counts ${counts.join(' ')} stay within baseline ${baseline.length} + 6`);
    await eventually(() => controlGroups(prefix) === 1, { within: GRACE_MS * 4, every: 100, what: `one gateway.control group left (the live gateway's), now ${controlGroups(prefix)}` });
    assert.is((await get(current.url, '/work/last', `hyg-last-${randomUUID()}`)).status, 200, 'the live gateway still answers');
  });

  test.run();
}
