/**
 * Run once across instances over a real Valkey server (docs/messaging-transport.md, "Run once
 * across instances"): the RunOnceStore contract on the memory and Valkey stores, and two real
 * service processes where the one running a REQUEST is paused (SIGSTOP) past its lease so the
 * other gets the redelivery: the handler runs once, the caller gets the first run's RESPONSE, and
 * the paused handler's signal aborts with `lease-lost` once it resumes and its renewal fails.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock, TransportType, createQueueFactoryFromConfig, silentLogger, systemClock, type RunOnceStore } from '@switchyard/core';
import { MessagingGatewayTransport, frameAuthFromConfig, serviceRequestsQueue } from '@switchyard/core/internal';
import { createMemoryBackend } from '@switchyard/transport-memory';
import { ValkeyBackend, resolveValkeyOptions } from '@switchyard/transport-valkey';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { eventually, within } from '../harness/wait.js';
import { RecordingEvents } from './recording-events.js';

const server = await requireValkeyOrSkip('run once across instances over Valkey');
const AUTH = authSection(newKeys());
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The same contract cases for every store; `advance` moves the store's time by `ms` (real time for Valkey). */
function storeContract(name: string, make: () => Promise<{ store: RunOnceStore; advance(ms: number): Promise<void>; close(): Promise<void> }>): void {
  const s = suite(`RunOnceStore contract: ${name}`);

  s('the first claim wins; another owner finds it held; the same owner claims again', async () => {
    const { store, close } = await make();
    const id = randomUUID().replaceAll('-', '');
    assert.equal(await store.claim(id, 'a', 5_000), { state: 'claimed' });
    assert.equal(await store.claim(id, 'b', 5_000), { state: 'held' });
    assert.equal(await store.claim(id, 'a', 5_000), { state: 'claimed' });
    await close();
  });

  s('an answer replaces the claim; every later claim gets the answer bytes; the first answer wins', async () => {
    const { store, close } = await make();
    const id = randomUUID().replaceAll('-', '');
    await store.claim(id, 'a', 5_000);
    assert.is(await store.answer(id, 'a', bytes('first\u0000bytes'), 5_000), true);
    assert.is(await store.answer(id, 'b', bytes('second'), 5_000), false);
    const found = await store.claim(id, 'b', 5_000);
    assert.is(found.state, 'answered');
    assert.is(found.state === 'answered' ? text(found.response) : '', 'first\u0000bytes');
    assert.is(await store.renew(id, 'a', 5_000), false, 'an answered id has no claim to renew');
    await store.abandon(id, 'a');
    assert.is((await store.claim(id, 'c', 5_000)).state, 'answered', 'abandon leaves an answer alone');
    await close();
  });

  s('abandon frees only its own claim; renew keeps only its own claim', async () => {
    const { store, close } = await make();
    const id = randomUUID().replaceAll('-', '');
    await store.claim(id, 'a', 5_000);
    await store.abandon(id, 'b');
    assert.equal(await store.claim(id, 'b', 5_000), { state: 'held' }, "another owner's abandon changes nothing");
    assert.is(await store.renew(id, 'b', 5_000), false);
    assert.is(await store.renew(id, 'a', 5_000), true);
    await store.abandon(id, 'a');
    assert.equal(await store.claim(id, 'b', 5_000), { state: 'claimed' });
    await close();
  });

  s('a claim not renewed expires and another owner may claim; an answer expires after its ttl', async () => {
    const { store, advance, close } = await make();
    const id = randomUUID().replaceAll('-', '');
    await store.claim(id, 'a', 200);
    await advance(300);
    assert.equal(await store.claim(id, 'b', 200), { state: 'claimed' });
    assert.is(await store.renew(id, 'a', 200), false);
    await store.answer(id, 'b', bytes('x'), 200);
    await advance(300);
    assert.equal(await store.claim(id, 'c', 200), { state: 'claimed' });
    await close();
  });

  s.run();
}

storeContract('memory', async () => {
  const clock = new ManualClock(1_000);
  const backend = createMemoryBackend({}, { clock });
  return {
    store: backend.runOnceStore!(),
    advance: async (ms) => clock.advance(ms),
    close: () => backend.close(),
  };
});

if (server === null) {
  const skipped = suite('run once over valkey (SKIPPED: no server)');
  skipped.skip('every Valkey case', () => undefined);
  skipped.run();
} else {
  storeContract('valkey', async () => {
    const backend = new ValkeyBackend(resolveValkeyOptions({ url: server.url, prefix: `t-${randomUUID()}` }));
    await backend.whenReady();
    return {
      store: backend.runOnceStore(),
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      close: () => backend.close(),
    };
  });

  const paused = suite<{ procs: TsProcess[]; stops: Array<() => Promise<void>> }>('run once across instances: real processes over valkey', { procs: [], stops: [] });
  paused.after.each(async (ctx) => {
    for (const p of ctx.procs) {
      try {
        process.kill(p.pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await p.kill().catch(() => undefined);
    }
    for (const stop of ctx.stops) await stop().catch(() => undefined);
    ctx.procs.length = 0;
    ctx.stops.length = 0;
  });
  paused.after(async () => {
    await server.stop();
  });

  paused('an instance paused past its lease: the other instance replays the first run instead of running it, and the paused handler is told lease-lost', async (ctx) => {
    const prefix = `t-${randomUUID()}`;
    const dir = mkdtempSync(join(tmpdir(), 'sy-run-once-'));
    const config = join(dir, 'work.yaml');
    writeFileSync(
      config,
      [
        'service: { name: work, version: 1.0.0 }',
        'transports:',
        `  - { type: messaging, backend: valkey, valkey: { url: "${server.url}" }, queues: { prefix: ${prefix}, requestLeaseMs: 1000, blockMs: 200 }, runOnce: { scope: shared, claimMs: 10000, pollMs: 100 }, auth: ${JSON.stringify(AUTH)} }`,
        '',
      ].join('\n'),
    );
    const factory = await createQueueFactoryFromConfig('valkey', { url: server.url, prefix }, { clock: systemClock });
    const gateway = new MessagingGatewayTransport(
      { factory, options: { requestLeaseMs: 1_000, blockMs: 200 }, ownsFactory: true, auth: frameAuthFromConfig(AUTH, 'valkey', 'test.auth', systemClock) },
      { clock: systemClock, logger: silentLogger, node: { id: 'gw-1', region: 'local' } },
    );
    const events = new RecordingEvents();
    await gateway.start(events);
    ctx.stops.push(() => gateway.stop());
    const procs = ['work-a', 'work-b'].map((id) => spawnTs('test/messaging/fixtures/run-once-service.ts', ['--config', config, '--instance-id', id]));
    ctx.procs.push(...procs);
    for (const [i, p] of procs.entries()) {
      await p.waitFor(/work listening/, 30_000);
      await events.waitForHello(`work-${'ab'[i]}`, 15_000);
    }

    const call = gateway.dispatch(
      { instanceId: 'work-a', service: 'work', version: '1.0.0', link: { transport: TransportType.Messaging, address: serviceRequestsQueue('work', '1.0.0') } },
      { method: 'GET', path: '/work/slow', query: 'ms=4000', headers: {}, body: new Uint8Array(0), deadline: Date.now() + 30_000, identity: null },
      {},
    );
    // Whichever instance pulled it first runs it; pause that one past its 1 s lease.
    const first = await within(Promise.race(procs.map(async (p) => ({ p, line: await p.waitFor(/run (\w+) (work-\w)/, 15_000) }))), 16_000, 'a handler to start');
    const [, requestId, firstInstance] = first.line;
    const other = procs.find((p) => p !== first.p) as TsProcess;
    process.kill(first.p.pid, 'SIGSTOP');
    const requests = factory.queue(serviceRequestsQueue('work', '1.0.0'));
    await eventually(async () => ((await requests.activity())?.redelivered ?? 0) >= 1, { within: 15_000, every: 100, what: 'the REQUEST to be redelivered to the other instance' });
    // Give the other instance time to reach the store and find the claim (it must not run).
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(first.p.pid, 'SIGCONT');

    const res = await within(call, 25_000, 'the REQUEST to be answered');
    assert.is(res.status, 200);
    assert.is(res.instanceId, firstInstance, 'the first run answered');
    assert.equal(JSON.parse(text(res.body)), { instanceId: firstInstance, requestId });
    await first.p.waitFor(new RegExp(`aborted ${requestId} lease-lost`), 10_000);
    // The other instance replays the stored RESPONSE (to a gateway that already has it) and acks.
    await eventually(async () => (await requests.stats()).inFlight === 0 && (await requests.stats()).depth === 0, { within: 10_000, what: 'the REQUEST to be settled' });
    const runs = [...procs.map((p) => p.output())].join('').match(new RegExp(`^run ${requestId} `, 'gm')) ?? [];
    assert.is(runs.length, 1, `the handler ran once across both instances; output:\n${first.p.output()}\n---\n${other.output()}`);
  });

  paused.run();
}
