/**
 * Faults over the TCP transport with real processes: an echo instance killed (SIGKILL) while a
 * request runs on it, and a gateway killed and restarted on the same TCP port.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, spawnTs, type TsProcess } from '../harness/process.js';
import { eventually, within } from '../harness/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-tcp-faults-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const running = new Set<TsProcess>();

function writeConfig(name: string, value: unknown): string {
  const file = join(dir, `${name}-${randomUUID().slice(0, 8)}.json`);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

async function startGateway(tcpPort: number): Promise<{ process: TsProcess; url: string; opsUrl: string }> {
  const file = writeConfig('gateway', {
    node: { id: `gw-faults-${randomUUID().slice(0, 6)}`, region: 'e2e' },
    http: { host: '127.0.0.1', port: 0 },
    transports: [{ type: 'tcp', host: '127.0.0.1', port: tcpPort }],
    routing: { defaultTimeoutMs: 30_000 },
    auth: { anonymous: { subject: 'anonymous' } },
    // The routing view is read from the operations listener (no admin tokens here).
    ops: { host: '127.0.0.1', port: 0 },
    log: { level: 'info', requests: false },
  });
  const process = spawnTs('packages/gateway/src/cli.ts', ['--config', file]);
  running.add(process);
  const m = await process.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000);
  const ops = await process.waitFor(/operations endpoints listening on (http:\/\/[0-9.]+:\d+)/, 30_000);
  return { process, url: m[1] as string, opsUrl: ops[1] as string };
}

async function startEcho(tcpPort: number, instanceId: string): Promise<TsProcess> {
  const file = writeConfig('echo', {
    service: { name: 'echo', version: '1.0.0', region: 'e2e' },
    transports: [{ type: 'tcp', host: '127.0.0.1', port: tcpPort, reconnectMinMs: 50, reconnectMaxMs: 500 }],
  });
  const echo = spawnTs('examples/echo/main.ts', ['--config', file, '--instance-id', instanceId]);
  running.add(echo);
  await echo.waitFor(/echo listening/, 30_000);
  return echo;
}

async function healthyInstances(url: string): Promise<string[]> {
  const view = (await (await fetch(`${url}/_switchyard/routes`)).json()) as {
    routing?: { services?: Array<{ name: string; versions: Array<{ instances: Array<{ instanceId: string; health: string }> }> }> };
  };
  const echo = view.routing?.services?.find((s) => s.name === 'echo');
  return (echo?.versions ?? []).flatMap((v) => v.instances.filter((i) => i.health === 'healthy').map((i) => i.instanceId)).sort();
}

async function inFlight(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('switchyard_gateway_requests_in_flight '));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

const faults = suite('TCP transport faults with real processes');

faults.after(async () => {
  await Promise.all([...running].map((p) => p.stop()));
});

faults('an instance killed mid-request gives 502 for that request at once, and the gateway keeps serving the other instance', async () => {
  const tcpPort = await freePort();
  const gateway = await startGateway(tcpPort);
  const doomed = await startEcho(tcpPort, 'echo-doomed');
  await eventually(async () => (await healthyInstances(gateway.opsUrl)).includes('echo-doomed'), { within: 20_000, what: 'echo-doomed to register' });

  const slow = fetch(`${gateway.url}/echo/slow?ms=25000`).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: string } } }));
  await eventually(async () => (await inFlight(gateway.opsUrl)) >= 1, { within: 10_000, what: 'the slow request to be in flight on echo-doomed' });

  await startEcho(tcpPort, 'echo-survivor');
  await eventually(async () => (await healthyInstances(gateway.opsUrl)).length === 2, { within: 20_000, what: 'both instances to be healthy' });

  await doomed.kill();
  // Well inside the 30 s request timeout: the connection loss itself fails the request.
  const failed = await within(slow, 10_000, 'the 502 for the request on the killed instance');
  assert.is(failed.status, 502);
  assert.is(failed.body.error?.code, 'SY_GATEWAY_BAD_GATEWAY');

  await eventually(async () => (await healthyInstances(gateway.opsUrl)).join() === 'echo-survivor', {
    within: 5_000,
    what: 'the killed instance to leave the routing table',
  });
  const served = await Promise.all(
    Array.from({ length: 10 }, () => fetch(`${gateway.url}/echo/after`).then(async (r) => ({ status: r.status, body: (await r.json()) as { instanceId?: string } }))),
  );
  assert.equal(
    served.map((r) => `${r.status}:${r.body.instanceId}`),
    Array.from({ length: 10 }, () => '200:echo-survivor'),
  );
});

faults('after the gateway is killed and restarted on the same port, the instance reconnects, re-registers and is served', async () => {
  const tcpPort = await freePort();
  const first = await startGateway(tcpPort);
  await startEcho(tcpPort, 'echo-loyal');
  await eventually(async () => (await healthyInstances(first.opsUrl)).includes('echo-loyal'), { within: 20_000, what: 'echo-loyal to register' });
  await first.process.kill();

  const second = await startGateway(tcpPort);
  await eventually(async () => (await healthyInstances(second.opsUrl)).includes('echo-loyal'), {
    within: 20_000,
    what: 'echo-loyal to reconnect and send HELLO to the restarted gateway',
  });
  const res = await fetch(`${second.url}/echo/back`);
  assert.is(res.status, 200);
  assert.is(((await res.json()) as { instanceId: string }).instanceId, 'echo-loyal');
});

faults.run();
