/**
 * The Messaging router transport against a real Valkey-compatible server: the shared
 * scenarios, plus an instance process killed mid-request whose REQUEST is redelivered to the other
 * instance. Skips loudly without a server (fails under SWITCHYARD_REQUIRE_VALKEY=1).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { TransportType, createQueueFactoryFromConfig, frameCodec, newFrameId, silentLogger, systemClock, type Frame } from '@switchyard/core';
import {
  MessagingGatewayTransport,
  RoutingState,
  TransportFeed,
  createInstanceTransport,
  frameAuthFromConfig,
  gatewayResponsesQueue,
  serviceRequestsQueue,
  type MessagingInstanceTransport,
} from '@switchyard/core/internal';
import { queueKeys } from '@switchyard/transport-valkey';
import { createMicroservice } from '@switchyard/microservice';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { eventually, within } from '../harness/wait.js';
import { RecordingEvents } from './recording-events.js';
import { registerMessagingScenarios } from './scenarios.js';

const server = await requireValkeyOrSkip('messaging transport over Valkey');
/** How long the REQUEST of the crash test runs: instance A must still hold it after B has started. */
const SLOW_MS = 5_000;
/** Frames over Valkey are signed: the processes and the in-process transports share these keys. */
const AUTH = authSection(newKeys());
const gatewayAuth = () => frameAuthFromConfig(AUTH, 'valkey', 'test.auth', systemClock);

if (server === null) {
  const skipped = suite('messaging transport over valkey (SKIPPED: no server)');
  skipped.skip('every Valkey scenario', () => undefined);
  skipped.run();
} else {
  registerMessagingScenarios({
    backend: 'valkey',
    manualTime: false,
    factory: (space, clock) => createQueueFactoryFromConfig('valkey', { url: server.url, prefix: space }, { clock }),
  });

  const crash = suite<{ procs: TsProcess[]; stops: Array<() => Promise<void>> }>('messaging over valkey: faults with real processes and servers', { procs: [], stops: [] });
  crash.after.each(async (ctx) => {
    for (const p of ctx.procs) await p.kill().catch(() => undefined);
    for (const s of ctx.stops) await s().catch(() => undefined);
    ctx.procs.length = 0;
    ctx.stops.length = 0;
  });
  crash.after(async () => {
    await server.stop();
  });

  crash('an instance killed mid-request: the REQUEST is redelivered to the other instance and the caller gets its answer in time', async (ctx) => {
    const prefix = `t-${randomUUID()}`;
    const dir = mkdtempSync(join(tmpdir(), 'sy-echo-'));
    const config = join(dir, 'echo.yaml');
    // A short REQUEST lease so the dead instance's work is reclaimed in about a second.
    writeFileSync(
      config,
      [
        'service: { name: echo, version: 1.0.0 }',
        'transports:',
        `  - { type: messaging, backend: valkey, valkey: { url: "${server.url}" }, queues: { prefix: ${prefix}, requestLeaseMs: 1000 }, auth: ${JSON.stringify(AUTH)} }`,
        '',
      ].join('\n'),
    );
    const factory = await createQueueFactoryFromConfig('valkey', { url: server.url, prefix }, { clock: systemClock });
    const gateway = new MessagingGatewayTransport(
      { factory, options: { requestLeaseMs: 1_000, blockMs: 200 }, ownsFactory: true, auth: gatewayAuth() },
      { clock: systemClock, logger: silentLogger, node: { id: 'gw-1', region: 'local' } },
    );
    const events = new RecordingEvents();
    await gateway.start(events);
    ctx.stops.push(() => gateway.stop());

    const a = spawnTs('examples/echo/main.ts', ['--config', config, '--instance-id', 'echo-a']);
    ctx.procs.push(a);
    await a.waitFor(/echo listening instance=echo-a transport=messaging/, 30_000);
    await events.waitForHello('echo-a', 15_000);

    const deadline = Date.now() + 30_000;
    // Long enough that A is still running it after B has started (a loaded CI machine takes
    // seconds to start a process); B then runs it in full once A's lease lapses.
    const call = gateway.dispatch(
      { instanceId: 'echo-a', service: 'echo', version: '1.0.0', link: { transport: TransportType.Messaging, address: serviceRequestsQueue('echo', '1.0.0') } },
      { method: 'GET', path: '/echo/slow', query: `ms=${SLOW_MS}`, headers: {}, body: new Uint8Array(0), deadline, identity: null },
      {},
    );
    const requests = factory.queue(serviceRequestsQueue('echo', '1.0.0'));
    await eventually(async () => (await requests.stats()).inFlight === 1, { within: 15_000, what: 'instance A to hold the REQUEST' });

    const b = spawnTs('examples/echo/main.ts', ['--config', config, '--instance-id', 'echo-b']);
    ctx.procs.push(b);
    await b.waitFor(/echo listening instance=echo-b/, 30_000);
    await events.waitForHello('echo-b', 15_000);
    let settled = false;
    call.then(
      () => (settled = true),
      () => (settled = true),
    );
    await Promise.resolve();
    assert.not.ok(settled, `A answered before B had started: raise SLOW_MS (${SLOW_MS} ms) for this machine`);
    await a.kill();

    const res = await within(call, 25_000, 'the redelivered REQUEST to be answered by instance B');
    assert.ok(Date.now() < deadline, 'answered before the deadline');
    assert.is(res.status, 200);
    assert.is(res.instanceId, 'echo-b');
    assert.equal(JSON.parse(new TextDecoder().decode(res.body)), { waitedMs: SLOW_MS, instanceId: 'echo-b' });
    assert.is(await b.stop('SIGTERM'), 0, 'echo exits 0 after a graceful stop');
    assert.match(b.output(), /echo stopping \(SIGTERM\)/);
  });

  crash('after the Valkey server restarts empty, the instance says HELLO again and requests flow', async (ctx) => {
    if (!server.canRestart) {
      console.warn('SKIPPED: the harness server cannot be restarted (external)');
      return;
    }
    const prefix = `t-${randomUUID()}`;
    const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix }, auth: AUTH };
    const factory = await createQueueFactoryFromConfig('valkey', { url: server.url, prefix }, { clock: systemClock });
    const gateway = new MessagingGatewayTransport(
      { factory, options: { blockMs: 200 }, ownsFactory: true, auth: gatewayAuth() },
      { clock: systemClock, logger: silentLogger, node: { id: 'gw-1', region: 'local' } },
    );
    // As a gateway wires it: the routing state decides the RESYNCs, the feed sends them.
    const events = new RecordingEvents(new TransportFeed(new RoutingState({ clock: systemClock }), gateway, silentLogger));
    await gateway.start(events);
    ctx.stops.push(() => gateway.stop());
    const transport = await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger });
    const svc = createMicroservice({ name: 'echo', version: '1.0.0', instanceId: 'echo-r', transport, heartbeatIntervalMs: 500 });
    svc.get('/ping', async () => ({ status: 200, text: 'pong' }));
    await svc.start();
    ctx.stops.push(() => svc.stop());
    await events.waitForHello('echo-r', 15_000);

    await server.restart({ keepData: false });
    await events.until(() => events.count('HELLO', 'echo-r') >= 2, 'a second HELLO after the restart', 30_000);
    await eventually(() => events.recoveries.length > 0, { within: 30_000, what: 'the gateway transport to report its backend recovered' });
    const target = { instanceId: 'echo-r', service: 'echo', version: '1.0.0', link: { transport: TransportType.Messaging, address: serviceRequestsQueue('echo', '1.0.0') } };
    const res = await eventually(
      async () =>
        gateway.dispatch(
          target,
          { method: 'GET', path: '/ping', query: '', headers: {}, body: new Uint8Array(0), deadline: Date.now() + 5_000, identity: null },
          {},
        ),
      { within: 30_000, every: 200, what: 'a request to flow after the restart' },
    );
    assert.is(new TextDecoder().decode(res.body), 'pong');
  });

  crash('a RESPONSE the server refuses for a reason other than memory: its REQUEST is acked behind it and the loss is counted', async (ctx) => {
    // Valkey standalone applies one process's writes in order, so the ack rides behind the
    // RESPONSE's XADD without waiting for it (docs/messaging-transport.md): an XADD refused for
    // WRONGTYPE (a misconfiguration) does not hold the ack back.
    const prefix = `t-${randomUUID()}`;
    const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix }, auth: { insecure: true } };
    const transport = (await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger })) as MessagingInstanceTransport;
    const svc = createMicroservice({ name: 'echo', version: '1.0.0', instanceId: 'echo-w', transport });
    let runs = 0;
    svc.get('/ping', async () => {
      runs += 1;
      return { status: 200, text: 'pong' };
    });
    await svc.start();
    ctx.stops.push(() => svc.stop());
    const replyTo = gatewayResponsesQueue('gw-wrongtype');
    const raw = new Redis(server.url);
    ctx.stops.push(async () => raw.disconnect());
    await raw.set(queueKeys(prefix, replyTo, ':dlq').stream, 'not a stream');
    const factory = await createQueueFactoryFromConfig('valkey', { url: server.url, prefix }, { clock: systemClock });
    ctx.stops.push(() => factory.close());
    const requests = factory.queue<Frame>(serviceRequestsQueue('echo', '1.0.0'), { codec: frameCodec });
    const now = Date.now();
    await requests.enqueue({
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: now,
      payload: { method: 'GET', path: '/ping', query: '', headers: {}, body: new Uint8Array(0), deadline: now + 30_000, replyTo, identity: null },
    });
    await eventually(() => transport.metrics().unsentResponses === 1, { within: 10_000, what: 'the refused RESPONSE to be counted' });
    await eventually(async () => {
      const stats = await requests.stats();
      return stats.inFlight === 0 && stats.depth === 0;
    }, { within: 10_000, what: 'the REQUEST to be acked' });
    assert.is(runs, 1);
    assert.is(transport.metrics().handled, 1);
  });

  crash.run();
}
