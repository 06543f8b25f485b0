/**
 * Transport order and failover (docs/operations.md, "Transport order and failover"): a service
 * reachable over TCP and over Messaging on Valkey, with `routing.transportOrder` [tcp, messaging].
 * While the TCP instance is healthy it serves every request; when it is killed, every request
 * sent after the gateway noticed (at most one heartbeat interval) is answered by the Messaging
 * instance, and no request ran on both instances (each handler prints the ids it ran).
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, spawnTs, type TsProcess } from '../harness/process.js';
import { startValkey } from '../harness/valkey.js';
import { configFiles } from '../harness/config-files.js';
import { ranIds } from './run-records.js';
import { eventually } from '../harness/wait.js';

const HEARTBEAT_MS = 500;

const server = await startValkey();
const failover = suite('transport order: TCP first, Messaging when TCP is gone');


if (server === null) {
  failover.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
} else {
  const { write } = configFiles('sy-failover-');
  const running: TsProcess[] = [];
  failover.after(async () => {
    await Promise.all(running.map((p) => p.stop()));
  });

  failover('a killed TCP instance: requests after detection all succeed over Messaging, none runs twice', async () => {
    const messaging = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: `failover-${randomUUID().slice(0, 8)}` }, auth: { insecure: true } };
    const tcp = { type: 'tcp', host: '127.0.0.1', port: await freePort() };
    const gateway = spawnTs('packages/gateway/src/cli.ts', [
      '--config',
      write('gateway', {
        node: { id: 'gw-failover', region: 'e2e' },
        http: { host: '127.0.0.1', port: 0 },
        transports: [messaging, tcp],
        routing: { transportOrder: { services: { count: ['tcp', 'messaging'] } } },
        health: { degradedAfterMs: 3 * HEARTBEAT_MS, staleAfterMs: 6 * HEARTBEAT_MS },
        auth: { anonymous: { subject: 'anonymous' } },
        ops: { host: '127.0.0.1', port: 0 },
        log: { level: 'info', requests: false },
      }),
    ]);
    running.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const opsUrl = (await gateway.waitFor(/operations endpoints listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const start = (id: string, entry: Record<string, unknown>): TsProcess => {
      const file = write(id, { service: { name: 'count', version: '1.0.0', region: 'e2e', heartbeatIntervalMs: HEARTBEAT_MS }, transports: [entry] });
      const p = spawnTs('test/e2e/fixtures/run-recording-service.ts', ['--config', file, '--instance-id', id]);
      running.push(p);
      return p;
    };
    const viaTcp = start('count-tcp', tcp);
    const viaQueue = start('count-queue', messaging);
    await Promise.all([viaTcp.waitFor(/count listening/, 30_000), viaQueue.waitFor(/count listening/, 30_000)]);
    await eventually(
      async () => {
        const view = (await (await fetch(`${opsUrl}/_switchyard/routes`)).json()) as {
          routing?: { services?: Array<{ name: string; versions: Array<{ instances: Array<{ instanceId: string; health: string }> }> }> };
        };
        const healthy = view.routing?.services?.find((s) => s.name === 'count')?.versions.flatMap((v) => v.instances).filter((i) => i.health === 'healthy') ?? [];
        return healthy.length === 2 ? true : undefined;
      },
      { within: 30_000, what: 'both count instances healthy' },
    );

    const call = async (id: string): Promise<{ id: string; status: number; instanceId?: string; sentAt: number }> => {
      const sentAt = Date.now();
      try {
        const res = await fetch(`${url}/count/${id}?ms=20`);
        const body = res.status === 200 ? ((await res.json()) as { instanceId: string }) : undefined;
        return { id, status: res.status, sentAt, ...(body === undefined ? {} : { instanceId: body.instanceId }) };
      } catch {
        return { id, status: 0, sentAt };
      }
    };

    // While the TCP instance is healthy, the order sends everything over TCP.
    for (let i = 0; i < 20; i++) {
      const r = await call(`before-${i}`);
      assert.is(r.status, 200);
      assert.is(r.instanceId, 'count-tcp', `request ${i} went over the first transport of the order`);
    }

    // Eight clients keep sending while the TCP instance is killed.
    let stop = false;
    const results: Array<Awaited<ReturnType<typeof call>>> = [];
    let n = 0;
    const client = async (): Promise<void> => {
      while (!stop) results.push(await call(`during-${n++}`));
    };
    const clients = Array.from({ length: 8 }, () => client());
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    await viaTcp.kill();
    await new Promise((r) => setTimeout(r, 2_500));
    stop = true;
    await Promise.all(clients);

    const detected = killedAt + HEARTBEAT_MS;
    const after = results.filter((r) => r.sentAt >= detected);
    assert.ok(after.length > 20, `${after.length} requests sent after detection`);
    const failed = after.filter((r) => r.status !== 200 || r.instanceId !== 'count-queue');
    assert.equal(failed, [], 'every request sent after detection is answered over Messaging');

    // No double execution: no id ran on both instances, none twice on one.
    const ranTcp = ranIds(viaTcp);
    const ranQueue = ranIds(viaQueue);
    assert.equal(ranTcp.filter((id) => ranQueue.includes(id)), [], 'no request ran on both instances');
    assert.is(new Set(ranQueue).size, ranQueue.length, 'no request ran twice on the Messaging instance');
    assert.is(new Set(ranTcp).size, ranTcp.length, 'no request ran twice on the TCP instance');
    // Every 200 was run by the instance that answered it.
    for (const r of results.filter((x) => x.status === 200)) {
      assert.ok((r.instanceId === 'count-tcp' ? ranTcp : ranQueue).includes(r.id), `${r.id} answered by ${r.instanceId ?? '?'} that ran it`);
    }

    // The path that served shows in the routing view and in the metrics.
    const view = (await (await fetch(`${opsUrl}/_switchyard/routes`)).json()) as { paths?: Array<{ service: string; transport: string; served: number }> };
    const served = Object.fromEntries((view.paths ?? []).filter((p) => p.service === 'count').map((p) => [p.transport, p.served]));
    assert.ok((served.tcp ?? 0) >= 20 && (served.messaging ?? 0) >= after.length, `served per path: ${JSON.stringify(served)}`);
    const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
    assert.match(metrics, /switchyard_gateway_path_requests_total\{service="count",transport="messaging",outcome="served"\} [1-9]/);
    assert.match(metrics, /switchyard_gateway_requests_total\{route="GET \/count\/\{id\}",status="200",transport="messaging"\} [1-9]/);
  });
}

failover.run();
