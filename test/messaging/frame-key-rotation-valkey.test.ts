/**
 * Frame keys rotate without downtime (issue 21, "Must show"; docs/messaging-transport.md, "Key
 * rotation"): real gateway and service processes over the harness Valkey are replaced one at a
 * time while a client keeps calling. Verifiers learn the new keys first (gateways accept the new
 * instance key, services the new gateway key), then signers switch to them, then the old keys are
 * dropped. Every request made during the rotation must succeed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { authSection, newKeyFile, type KeyFiles } from '../harness/frame-keys.js';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';

const server = await requireValkeyOrSkip('frame key rotation over Valkey');

const children: TsProcess[] = [];
process.once('exit', () => children.forEach((c) => c.child.kill('SIGKILL')));

interface Gateway {
  readonly process: TsProcess;
  readonly url: string;
}

if (server === null) {
  const skipped = suite('frame key rotation over valkey (SKIPPED: no server)');
  skipped.skip('rotation without downtime', () => undefined);
  skipped.run();
} else {
  const test = suite('frame key rotation over valkey');
  const prefix = `rot-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'sy-rotation-'));
  let files = 0;
  const entry = (keys: KeyFiles): Record<string, unknown> => ({ type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix }, auth: authSection(keys) });

  // A long request deadline: starting a process under tsx can starve the others of CPU for
  // seconds on a shared machine, which is not downtime. A refused or lost request still fails:
  // 404/503 at once, or 504 when the deadline passes before the client stops.
  async function startGateway(keys: KeyFiles): Promise<Gateway> {
    const file = join(dir, `gateway-${++files}.json`);
    writeFileSync(file, JSON.stringify({ node: { id: `gw-rot-${files}`, region: 'rot' }, http: { host: '127.0.0.1', port: 0 }, transports: [entry(keys)], routing: { defaultTimeoutMs: 30_000 } }));
    const process = spawnTs('packages/gateway/src/cli.ts', ['--config', file]);
    children.push(process);
    const url = (await process.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    return { process, url };
  }

  async function startService(keys: KeyFiles, instanceId: string): Promise<TsProcess> {
    const file = join(dir, `vault-${++files}.json`);
    writeFileSync(file, JSON.stringify({ service: { name: 'vault', version: '1.0.0', region: 'rot' }, transports: [entry(keys)] }));
    const process = spawnTs('test/messaging/fixtures/vault-service.ts', ['--config', file, '--instance-id', instanceId]);
    children.push(process);
    await process.waitFor(new RegExp(`vault listening instance=${instanceId}`), 30_000);
    return process;
  }

  /** Waits until `gateway` routes a ping to `instanceId` (several instances share the load). */
  async function served(gateway: Gateway, instanceId: string, what: string): Promise<void> {
    await eventually(
      async () => {
        const res = await fetch(`${gateway.url}/vault/ping`);
        return res.status === 200 && ((await res.json()) as { instanceId?: string }).instanceId === instanceId;
      },
      { within: 20_000, what },
    );
  }

  test('rotating the gateway key and the instance key, one process at a time, fails no request', async () => {
    const [g1, g2, i1, i2] = [newKeyFile(), newKeyFile(), newKeyFile(), newKeyFile()];
    let gateway = await startGateway({ gateway: g1, instance: i1 });
    let service = await startService({ gateway: g1, instance: i1 }, 'vault-1');
    await served(gateway, 'vault-1', 'vault-1 served with the first keys');

    // A client calls the current gateway throughout; every answer is checked.
    let calling = true;
    let step = 'first keys';
    /** The gateway the client's last finished call went to. */
    let lastAnswered = '';
    let calls = 0;
    const failures: string[] = [];
    const client = (async () => {
      while (calling) {
        const url = gateway.url;
        try {
          const res = await fetch(`${url}/vault/ping`);
          if (res.status !== 200) failures.push(`${step}, ${url === gateway.url ? 'current' : 'replaced'} gateway ${url}: ${res.status} ${await res.text()}`);
        } catch (err) {
          failures.push(`${step}, ${url}: ${(err as Error).message}`);
        }
        calls += 1;
        lastAnswered = url;
        await pause(10);
      }
    })();

    const replaceGateway = async (keys: KeyFiles, name: string): Promise<void> => {
      step = name;
      const next = await startGateway(keys);
      await routesVault(next, `the new gateway of step "${name}" routes vault`);
      const old = gateway;
      gateway = next;
      // The client calls one at a time: once a call to the new gateway has finished, none is in
      // flight to the old one. (This test is about keys, not about draining a stopping gateway.)
      await eventually(() => lastAnswered === next.url, { within: 10_000, what: `the client to move to the gateway of step "${name}"` });
      await old.process.stop();
    };
    const replaceService = async (keys: KeyFiles, instanceId: string, name: string): Promise<void> => {
      step = name;
      const next = await startService(keys, instanceId);
      await served(gateway, instanceId, `${instanceId} of step "${name}" serves`);
      const old = service;
      service = next;
      await old.stop();
    };

    // 1. Verifiers learn the new keys.
    await replaceGateway({ gateway: g1, instance: i2, previousInstance: i1 }, 'gateway accepts the new instance key');
    await replaceService({ gateway: g2, previousGateway: g1, instance: i1 }, 'vault-2', 'service accepts the new gateway key');
    // 2. Signers switch to them.
    await replaceGateway({ gateway: g2, previousGateway: g1, instance: i2, previousInstance: i1 }, 'gateway signs with the new gateway key');
    await replaceService({ gateway: g2, instance: i2 }, 'vault-3', 'service signs with the new instance key');
    // 3. The old keys are dropped.
    await replaceGateway({ gateway: g2, instance: i2 }, 'gateway drops the old keys');

    calling = false;
    await client;
    await gateway.process.stop();
    await service.stop();
    assert.ok(calls > 20, `the client kept calling during the rotation (${calls} calls)`);
    assert.equal(failures, [], `requests failed during the rotation (${failures.length} of ${calls})`);
  });

  async function routesVault(gateway: Gateway, what: string): Promise<void> {
    await eventually(async () => (await fetch(`${gateway.url}/vault/ping`)).status === 200, { within: 20_000, what });
  }

  test.after(async () => {
    await server.stop();
  });

  test.run();
}
