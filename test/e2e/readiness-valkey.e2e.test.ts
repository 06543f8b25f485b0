/**
 * Readiness follows Valkey (docs/operations.md, "Health endpoints"): while the harness's server is
 * stopped, a real gateway process answers /health/ready 503 and a service built with the SDK
 * reports `isReady()` false; once the server is back on the same port, both are ready again by
 * themselves, and a request flows end to end.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger, systemClock } from '@switchyard/core';
import { createInstanceTransport } from '@switchyard/core/internal';
import { createMicroservice } from '@switchyard/microservice';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { eventually } from '../harness/wait.js';

const server = await requireValkeyOrSkip('readiness while Valkey is away');
const test = suite<{ procs: TsProcess[]; stops: Array<() => Promise<void>> }>('readiness follows Valkey: gateway /health/ready and the SDK', { procs: [], stops: [] });
test.after.each(async (ctx) => {
  for (const stop of ctx.stops) await stop().catch(() => undefined);
  await Promise.all(ctx.procs.map((p) => p.kill().catch(() => undefined)));
});
test.after(async () => {
  await server?.stop();
});

if (server === null) {
  test.skip('every case (SKIPPED: no server)', () => undefined);
} else {
  test('503 and not ready while the server is stopped, 200 and ready again after it restarts, without restarting either', async (ctx) => {
    if (!server.canRestart) {
      console.warn('SKIPPED: the harness server cannot be restarted (external)');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sy-ready-'));
    const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url, commandTimeoutMs: 1_000 }, queues: { prefix: `ready-${randomUUID().slice(0, 8)}`, blockMs: 200 }, auth: authSection(newKeys()) };
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({ node: { id: `gw-ready-${randomUUID().slice(0, 6)}`, region: 'e2e' }, http: { host: '127.0.0.1', port: 0 }, transports: [entry], health: { requiredServices: ['echo'] } }));
    const gateway = spawnTs('packages/gateway/src/cli.ts', ['--config', config]);
    ctx.procs.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;

    const transport = await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger });
    const svc = createMicroservice({ name: 'echo', version: '1.0.0', instanceId: `echo-${randomUUID().slice(0, 6)}`, transport, heartbeatIntervalMs: 500 });
    svc.get('/echo/ping', async () => ({ status: 200, text: 'pong' }));
    await svc.start();
    ctx.stops.push(() => svc.stop());
    const ready = async (): Promise<number> => (await fetch(`${url}/health/ready`)).status;
    await eventually(async () => (await ready()) === 200, { within: 20_000, every: 100, what: 'the gateway to be ready with echo registered' });
    assert.ok(svc.isReady(), 'the service is ready');
    assert.is(svc.status().ready, true);

    await server.restart({
      whileDown: async () => {
        await eventually(async () => (await ready()) === 503, { within: 15_000, every: 100, what: '/health/ready to answer 503 while Valkey is stopped' });
        const body = (await (await fetch(`${url}/health/ready`)).json()) as { transports: Array<{ transport: string; ready: boolean }> };
        assert.equal(body.transports, [{ transport: 'messaging#0', ready: false }], 'the body names the transport that is not ready');
        await eventually(() => !svc.isReady(), { within: 15_000, every: 50, what: 'the service to report not ready while Valkey is stopped' });
        assert.is(svc.status().ready, false);
        assert.is((await fetch(`${url}/health/live`)).status, 200, 'still live: readiness, not liveness');
      },
    });

    await eventually(async () => (await ready()) === 200, { within: 30_000, every: 100, what: '/health/ready to answer 200 again after Valkey is back' });
    await eventually(() => svc.isReady(), { within: 30_000, every: 50, what: 'the service to be ready again after Valkey is back' });
    const res = await eventually(
      async () => {
        const r = await fetch(`${url}/echo/ping`);
        return r.status === 200 ? r : undefined;
      },
      { within: 20_000, every: 200, what: 'a request to flow after the restart' },
    );
    assert.is(await res.text(), 'pong');
  });
}

test.run();
