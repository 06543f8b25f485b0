/**
 * The Valkey backend's KeyHygiene on a single server and on a local three-master cluster: signs
 * of life by the server's clock, deletion of every key of a queue (one slot-correct DEL), and of
 * the consumers a departed node left (named after its node id).
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KeyHygiene, MessageQueueFactory } from '@switchyard/core';
import { startValkey } from '../../../test/harness/valkey.js';
import { startValkeyCluster } from '../../../test/harness/valkey-cluster.js';
import { ValkeyBackend, queueKeys, resolveValkeyOptions, type ValkeyBackendOptions } from '../src/index.js';
import { createQueueFactory } from '@switchyard/core';

const server = await startValkey();
const cluster = await startValkeyCluster();

interface Target {
  readonly name: string;
  readonly options: ValkeyBackendOptions;
  stop(): Promise<void>;
}
const targets: Target[] = [];
if (server !== null) targets.push({ name: 'single server', options: { url: server.url }, stop: () => server.stop() });
if (cluster !== null) targets.push({ name: '3-master cluster', options: { cluster: { nodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })) } }, stop: () => cluster.stop() });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const target of targets) {
  const test = suite(`valkey key hygiene (${target.name})`);
  const open: Array<{ backend: ValkeyBackend; factory: MessageQueueFactory }> = [];
  const connect = async (prefix: string): Promise<{ backend: ValkeyBackend; factory: MessageQueueFactory; hygiene: KeyHygiene }> => {
    const backend = new ValkeyBackend(resolveValkeyOptions({ ...target.options, prefix }));
    await backend.whenReady();
    const factory = createQueueFactory(backend);
    open.push({ backend, factory });
    assert.ok(factory.keyHygiene !== undefined, 'the factory passes the backend key hygiene through');
    return { backend, factory, hygiene: factory.keyHygiene };
  };
  /** A factory whose consumer names start with `node` (as a gateway's do). */
  const connectNamed = async (prefix: string, node: string): Promise<MessageQueueFactory> => {
    const backend = new ValkeyBackend(resolveValkeyOptions({ ...target.options, prefix }));
    await backend.whenReady();
    const factory = createQueueFactory(backend, { consumerNamePrefix: node });
    open.push({ backend, factory });
    return factory;
  };
  const admin = (): ValkeyBackend => (open[0] as { backend: ValkeyBackend }).backend;
  test.after.each(async () => {
    for (const o of open.splice(0)) await o.factory.close();
  });
  test.after(async () => {
    await target.stop();
  });

  test('signs of life: silent owners by the server clock, forget', async () => {
    const { hygiene } = await connect(`hyg-${randomUUID().slice(0, 8)}`);
    await hygiene.beat('gw-a');
    await sleep(300);
    await hygiene.beat('gw-b');
    const silent = await hygiene.silent(200);
    assert.equal(silent.map((s) => s.owner), ['gw-a']);
    assert.ok((silent[0]?.silentMs ?? 0) >= 200, `silent ${silent[0]?.silentMs} ms`);
    assert.equal((await hygiene.silent(10_000)).map((s) => s.owner), []);
    await hygiene.forget('gw-a');
    await sleep(250);
    assert.equal((await hygiene.silent(200)).map((s) => s.owner), ['gw-b'], 'a forgotten owner is not listed');
  });

  test('deleteQueue removes every key of the queue and nothing of another', async () => {
    const prefix = `hyg-${randomUUID().slice(0, 8)}`;
    const { backend, factory, hygiene } = await connect(prefix);
    const doomed = factory.queue<string>('gateway.gone.responses');
    const kept = factory.queue<string>('gateway.alive.responses');
    await doomed.enqueue('a');
    await doomed.enqueue('later', { delayMs: 60_000 });
    const [lease] = await doomed.lease({ max: 1, leaseMs: 120_000 });
    await lease?.deadLetter('handler-crashed');
    await kept.enqueue('b');
    const k = queueKeys(prefix, 'gateway.gone.responses', ':dlq');
    const all = [k.stream, k.deadLetters, k.scheduled, k.leaseExtensions, k.groups];
    const exists = async (key: string): Promise<boolean> => (await backend.client.exists(key)) === 1;
    for (const key of [k.stream, k.deadLetters, k.groups]) assert.ok(await exists(key), `${key} exists before`);
    const deleted = await hygiene.deleteQueue('gateway.gone.responses', 'gateway.gone.responses:dlq');
    assert.ok(deleted >= 3, `deleted ${deleted} keys`);
    for (const key of all) assert.not.ok(await exists(key), `${key} deleted`);
    assert.ok(await exists(queueKeys(prefix, 'gateway.alive.responses', ':dlq').stream), 'the other queue stays');
    assert.is(await hygiene.deleteQueue('gateway.gone.responses', 'gateway.gone.responses:dlq'), 0, 'idempotent');
  });

  test('deleteConsumers removes the fan-out groups and idle competing consumers named with a node id, nothing else', async () => {
    const prefix = `hyg-${randomUUID().slice(0, 8)}`;
    const gone = await connectNamed(prefix, 'gw-1');
    const alive = await connectNamed(prefix, 'gw-1-b');
    const stream = queueKeys(prefix, 'gateway.control', ':dlq').stream;
    for (const f of [gone, alive]) {
      const fanout = f.queue<string>('gateway.control').consumer({ mode: 'fanout' });
      await fanout.lease({ max: 1, blockMs: 10 });
    }
    await gone.queue<string>('gateway.control').enqueue('frame');
    const readGroups = async (): Promise<string[]> => ((await admin().client.xinfo('GROUPS', stream)) as unknown[][]).map((g) => String(g[1])).sort();
    const before = await readGroups();
    assert.is(before.length, 2, `two fan-out groups: ${before.join(', ')}`);
    // A competing consumer of the departed node holding nothing, on the same queue.
    const competing = gone.queue<string>('gateway.control').consumer({ group: 'workers' });
    const [held] = await competing.lease({ max: 1, blockMs: 10 });
    await held?.ack();
    const { hygiene } = await connect(prefix);
    const deleted = await hygiene.deleteConsumers('gateway.control', 'gw-1');
    assert.is(deleted, 2, 'the fan-out group and the idle competing consumer of gw-1');
    const after = await readGroups();
    assert.equal(after.filter((g) => g.startsWith('fanout:')).length, 1, `gw-1-b's group stays: ${after.join(', ')}`);
    assert.ok(after.some((g) => g.startsWith('fanout:gw-1-b-')), after.join(', '));
    const workers = (await admin().client.xinfo('CONSUMERS', stream, 'workers')) as unknown[][];
    assert.is(workers.length, 0, 'the competing consumer of gw-1 is gone');
    assert.is(await hygiene.deleteConsumers('gateway.control', 'gw-1'), 0, 'idempotent');
    assert.is(await hygiene.deleteConsumers('no.such.queue', 'gw-1'), 0, 'a queue that does not exist');
  });

  test.run();
}

if (targets.length === 0) {
  const skipped = suite('valkey key hygiene');
  skipped.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
  skipped.run();
}
