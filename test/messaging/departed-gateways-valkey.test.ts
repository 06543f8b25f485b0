/**
 * Key hygiene of the Messaging gateway transport on a real Valkey, in-process: a gateway that
 * stops beating has its responses queue and `gateway.control` group deleted by a live one after
 * the grace; a Valkey outage longer than the grace, which silences every gateway at once, makes
 * no live gateway delete another's queue.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createQueueFactoryFromConfig, systemClock, type Logger } from '@switchyard/core';
import { MessagingGatewayTransport, gatewayResponsesQueue } from '@switchyard/core/internal';
import { startValkey } from '../harness/valkey.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';
import { eventually } from '../harness/wait.js';
import { RecordingEvents } from './recording-events.js';

const server = await startValkey();
const test = suite('messaging over valkey: departed gateways');
const GRACE_MS = 1_000;

if (server === null) {
  test.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
} else {
  const stops: Array<() => Promise<void>> = [];
  test.after.each(async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  });
  test.after(async () => {
    await server.stop();
  });

  /** What each gateway logged at info and above (deletions are logged). */
  const logged: Array<{ node: string; msg: string }> = [];
  const loggerOf = (node: string): Logger => {
    const log = (o: unknown, msg?: string): void => void logged.push({ node, msg: `${msg ?? ''} ${JSON.stringify(o, (_k, v: unknown) => (v instanceof Error ? v.message : v))}` });
    return { debug() {}, info: log, warn: log, error: log };
  };
  const gateway = async (prefix: string, nodeId: string, url = server.url): Promise<MessagingGatewayTransport> => {
    const factory = await createQueueFactoryFromConfig('valkey', { url, prefix, commandTimeoutMs: 1_000, maxReconnectDelayMs: 100 }, { clock: systemClock, consumerNamePrefix: nodeId });
    const transport = new MessagingGatewayTransport(
      { factory, options: { blockMs: 200, departedNodeGraceMs: GRACE_MS }, ownsFactory: true },
      { clock: systemClock, logger: loggerOf(nodeId), node: { id: nodeId, region: 'local' } },
    );
    await transport.start(new RecordingEvents());
    stops.push(() => transport.stop());
    return transport;
  };
  const admin = new Redis(server.url);
  stops.push(async () => undefined);
  const responsesKey = (prefix: string, node: string): string => `${prefix}:{${gatewayResponsesQueue(node)}}`;
  const controlGroups = async (prefix: string): Promise<string[]> =>
    ((await admin.xinfo('GROUPS', `${prefix}:{gateway.control}`)) as unknown[][]).map((g) => String(g[1])).sort();

  test('a gateway that stopped beating loses its responses queue and control group to a live one after the grace', async () => {
    const prefix = `dep-${randomUUID().slice(0, 8)}`;
    await gateway(prefix, 'gw-live');
    const gone = await gateway(prefix, 'gw-gone');
    await eventually(async () => (await admin.exists(responsesKey(prefix, 'gw-gone'))) === 1, { what: 'the responses queue of gw-gone' });
    await eventually(async () => (await controlGroups(prefix)).length === 2, { what: 'two control groups' });
    await gone.stop();
    await eventually(async () => (await admin.exists(responsesKey(prefix, 'gw-gone'))) === 0, { within: GRACE_MS * 5, what: 'the responses queue of gw-gone deleted' });
    await eventually(async () => (await controlGroups(prefix)).every((g) => g.startsWith('fanout:gw-live-')), { within: GRACE_MS * 5, what: 'only gw-live\'s control group left' });
    assert.is(await admin.exists(responsesKey(prefix, 'gw-live')), 1, 'the live gateway keeps its queue');
    // Not cleared at the stop: on a loaded machine the deletion (and its log) can come before
    // gone.stop() returns, so the line is looked for by the node it names.
    assert.ok(logged.some((l) => l.node === 'gw-live' && /deleted the queues/.test(l.msg) && l.msg.includes('"node":"gw-gone"')), 'the deletion is logged');
  });

  test('an outage longer than the grace silences every gateway; one that is back first does not delete the others\' queues', async () => {
    const prefix = `dep-${randomUUID().slice(0, 8)}`;
    const proxyA: TcpProxy = await startTcpProxy(server.port);
    const proxyB: TcpProxy = await startTcpProxy(server.port);
    stops.push(() => proxyA.close(), () => proxyB.close());
    logged.length = 0;
    await gateway(prefix, 'gw-a', `redis://127.0.0.1:${proxyA.port}`);
    await gateway(prefix, 'gw-b', `redis://127.0.0.1:${proxyB.port}`);
    await eventually(async () => (await admin.exists(responsesKey(prefix, 'gw-a'))) + (await admin.exists(responsesKey(prefix, 'gw-b'))) === 2, { what: 'both responses queues' });
    // Both have beaten for longer than the grace, so both would delete silent nodes.
    await new Promise((r) => setTimeout(r, GRACE_MS * 1.5));
    for (const p of [proxyA, proxyB]) {
      p.pause();
      p.cut();
    }
    await new Promise((r) => setTimeout(r, GRACE_MS * 3));
    // gw-a is back first; gw-b only 0.6 grace later (as reconnect backoffs differ).
    proxyA.resume();
    await eventually(async () => Number((await admin.zscore(`${prefix}:{~nodes}:beats`, 'gw-a')) ?? 0) > Date.now() - 200, { within: 5_000, what: 'gw-a beating again' });
    await new Promise((r) => setTimeout(r, GRACE_MS * 0.6));
    proxyB.resume();
    await new Promise((r) => setTimeout(r, GRACE_MS * 2));
    const deletions = logged.filter((l) => /deleted the queues/.test(l.msg));
    assert.equal(deletions, [], `no gateway deleted another's queue or consumers: ${JSON.stringify(logged)}`);
    assert.is(await admin.exists(responsesKey(prefix, 'gw-a')), 1, 'gw-a keeps its responses queue');
    assert.is(await admin.exists(responsesKey(prefix, 'gw-b')), 1, 'gw-b keeps its responses queue');
  });

  test.after(() => {
    admin.disconnect();
  });
}

test.run();
