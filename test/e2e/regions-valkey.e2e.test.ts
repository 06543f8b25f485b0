/**
 * Regions over Messaging on Valkey (docs/messaging-transport.md, "Regions"): each instance reads
 * its region's requests queue, and the gateway sends to the queue of its own region while that
 * region has an instance. When the last instance of the gateway's region leaves, the REQUESTs
 * still queued there are moved to the remote region's queue and answered; new requests go to the
 * remote region. Both when it leaves gracefully (GOODBYE) and when it crashes (stale after its
 * heartbeats stop; the REQUEST it held comes free when its lease runs out).
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { startValkey } from '../harness/valkey.js';
import { configFiles } from '../harness/config-files.js';
import { ranIds } from './run-records.js';
import { eventually } from '../harness/wait.js';

const HEARTBEAT_MS = 500;

const server = await startValkey();
const regions = suite('regions over Valkey: local first, remote after local departs, nothing stranded');


if (server === null) {
  regions.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
} else {
  const { write } = configFiles('sy-regions-');
  const running: TsProcess[] = [];
  regions.after(async () => {
    await Promise.all(running.map((p) => p.stop()));
  });

  regions('the local region serves; when it departs its queued requests and new ones are answered by the remote region', async () => {
    const messaging = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: `regions-${randomUUID().slice(0, 8)}` }, auth: { insecure: true } };
    const gateway = spawnTs('packages/gateway/src/cli.ts', [
      '--config',
      write('gateway', {
        node: { id: 'gw-eu', region: 'eu' },
        http: { host: '127.0.0.1', port: 0 },
        transports: [messaging],
        health: { degradedAfterMs: 3 * HEARTBEAT_MS, staleAfterMs: 6 * HEARTBEAT_MS },
        auth: { anonymous: { subject: 'anonymous' } },
        ops: { host: '127.0.0.1', port: 0 },
        log: { level: 'info', requests: false },
      }),
    ]);
    running.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const opsUrl = (await gateway.waitFor(/operations endpoints listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const start = (id: string, region: string, concurrency: number): TsProcess => {
      const file = write(id, { service: { name: 'count', version: '1.0.0', region, heartbeatIntervalMs: HEARTBEAT_MS }, transports: [{ ...messaging, concurrency }] });
      const p = spawnTs('test/e2e/fixtures/run-recording-service.ts', ['--config', file, '--instance-id', id]);
      running.push(p);
      return p;
    };
    // The local instance runs one request at a time, so the others wait in its region's queue.
    const eu = start('count-eu', 'eu', 1);
    const us = start('count-us', 'us', 8);
    await Promise.all([eu.waitFor(/count listening/, 30_000), us.waitFor(/count listening/, 30_000)]);
    await eventually(
      async () => {
        const view = (await (await fetch(`${opsUrl}/_switchyard/routes`)).json()) as {
          routing?: { services?: Array<{ name: string; versions: Array<{ instances: Array<{ health: string }> }> }> };
        };
        const healthy = view.routing?.services?.find((s) => s.name === 'count')?.versions.flatMap((v) => v.instances).filter((i) => i.health === 'healthy') ?? [];
        return healthy.length === 2 ? true : undefined;
      },
      { within: 30_000, what: 'both count instances healthy' },
    );
    const call = async (id: string, ms = 0): Promise<{ id: string; status: number; instanceId?: string }> => {
      const res = await fetch(`${url}/count/${id}?ms=${ms}`);
      const body = res.status === 200 ? ((await res.json()) as { instanceId: string }) : undefined;
      return { id, status: res.status, ...(body === undefined ? {} : { instanceId: body.instanceId }) };
    };

    // Local first: every request goes to the gateway's own region.
    for (let i = 0; i < 10; i++) {
      const r = await call(`local-${i}`);
      assert.equal([r.status, r.instanceId], [200, 'count-eu'], `request ${i}`);
    }

    // Eight slow requests: one runs in eu, seven wait in eu's queue; then eu leaves.
    const queued = Array.from({ length: 8 }, (_, i) => call(`queued-${i}`, 400));
    await eventually(() => (ranIds(eu).includes('queued-0') || ranIds(eu).some((id) => id.startsWith('queued-')) ? true : undefined), {
      within: 10_000,
      what: 'the local instance to start the first queued request',
    });
    await new Promise((r) => setTimeout(r, 100));
    const leaving = eu.stop();
    const answers = await Promise.all(queued);
    await leaving;
    assert.equal(answers.filter((a) => a.status !== 200), [], 'every queued request is answered');
    const ranEu = ranIds(eu).filter((id) => id.startsWith('queued-'));
    const ranUs = ranIds(us).filter((id) => id.startsWith('queued-'));
    assert.ok(ranUs.length >= 1, `the remote region ran the requests stranded in eu's queue (eu ran ${ranEu.join(',')}, us ran ${ranUs.join(',')})`);
    assert.equal(ranEu.filter((id) => ranUs.includes(id)), [], 'no request ran in both regions');
    assert.equal([...ranEu, ...ranUs].sort(), answers.map((a) => a.id).sort(), 'each queued request ran exactly once');
    for (const a of answers) assert.is(a.instanceId, ranEu.includes(a.id) ? 'count-eu' : 'count-us', a.id);
    await gateway.waitFor(/last instance of a region left: moving its queued REQUESTs/, 5_000);
    await gateway.waitFor(/region handover ended/, 10_000);

    // The remote region serves new requests.
    for (let i = 0; i < 10; i++) {
      const r = await call(`remote-${i}`);
      assert.equal([r.status, r.instanceId], [200, 'count-us'], `request ${i} after eu left`);
    }
  });

  regions('a crashed local instance: once it is stale, what waited in its queue and what it held are answered remotely', async () => {
    // Short request leases, so the REQUEST the crashed instance held is free again soon.
    const messaging = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: `regions-crash-${randomUUID().slice(0, 8)}`, requestLeaseMs: 1_000 }, auth: { insecure: true } };
    const gateway = spawnTs('packages/gateway/src/cli.ts', [
      '--config',
      write('gateway-crash', {
        node: { id: 'gw-eu-crash', region: 'eu' },
        http: { host: '127.0.0.1', port: 0 },
        transports: [messaging],
        health: { degradedAfterMs: 3 * HEARTBEAT_MS, staleAfterMs: 6 * HEARTBEAT_MS },
        auth: { anonymous: { subject: 'anonymous' } },
        log: { level: 'info', requests: false },
      }),
    ]);
    running.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const start = (id: string, region: string, concurrency: number): TsProcess => {
      const file = write(id, { service: { name: 'count', version: '1.0.0', region, heartbeatIntervalMs: HEARTBEAT_MS }, transports: [{ ...messaging, concurrency }] });
      const p = spawnTs('test/e2e/fixtures/run-recording-service.ts', ['--config', file, '--instance-id', id]);
      running.push(p);
      return p;
    };
    const eu = start('crash-eu', 'eu', 1);
    const us = start('crash-us', 'us', 8);
    await Promise.all([eu.waitFor(/count listening/, 30_000), us.waitFor(/count listening/, 30_000)]);
    await eventually(
      async () => {
        const res = await fetch(`${url}/count/probe`);
        return res.status === 200 && ((await res.json()) as { instanceId: string }).instanceId === 'crash-eu' ? true : undefined;
      },
      { within: 30_000, what: 'the local instance to serve' },
    );
    const call = async (id: string): Promise<{ id: string; status: number; instanceId?: string }> => {
      const res = await fetch(`${url}/count/${id}?ms=300`);
      const body = res.status === 200 ? ((await res.json()) as { instanceId: string }) : undefined;
      return { id, status: res.status, ...(body === undefined ? {} : { instanceId: body.instanceId }) };
    };
    const queued = Array.from({ length: 5 }, (_, i) => call(`crash-${i}`));
    await eventually(() => (ranIds(eu).some((id) => id.startsWith('crash-')) ? true : undefined), { within: 10_000, what: 'the local instance to start one' });
    await eu.kill();
    const answers = await Promise.all(queued);
    assert.equal(answers.map((a) => [a.id, a.status, a.instanceId]), answers.map((a) => [a.id, 200, 'crash-us']), 'every request answered by the remote region');
    // Only the request the crashed instance was running when it died ran twice (it never answered).
    const ranOnEu = ranIds(eu).filter((id) => id.startsWith('crash-'));
    assert.is(ranOnEu.length, 1, `eu ran ${ranOnEu.join(',')}`);
    const ranOnUs = ranIds(us).filter((id) => id.startsWith('crash-'));
    assert.is(new Set(ranOnUs).size, ranOnUs.length, 'nothing ran twice in us');
    await gateway.waitFor(/region handover ended/, 15_000);
  });
}

regions.run();
