/**
 * One gateway process serving the echo service over TCP, TLS (mutual) and Messaging on Valkey at
 * once (issue 6, "Must show"): three echo processes, one per transport, differing only in their
 * config file.
 */
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestPki } from '../harness/certs.js';
import { freePort, spawnTs, type TsProcess } from '../harness/process.js';
import { startValkey } from '../harness/valkey.js';
import { configFiles } from '../harness/config-files.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { eventually } from '../harness/wait.js';

const server = await startValkey();
const all = suite('one gateway serves echo over TCP, TLS and Valkey at once');

if (server === null) {
  all.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
} else {
  const pki = await createTestPki();
  const { write } = configFiles('sy-three-');
  process.on('exit', () => rmSync(pki.dir, { recursive: true, force: true }));
  const running: TsProcess[] = [];

  all.after(async () => {
    await Promise.all(running.map((p) => p.stop()));
  });

  all('echo instances on tcp, tls and messaging register with one gateway and each serves requests', async () => {
    const [tcpPort, tlsPort] = [await freePort(), await freePort()];
    const messaging = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: `three-${randomUUID().slice(0, 8)}` }, auth: authSection(newKeys()) };
    const tcp = { type: 'tcp', host: '127.0.0.1', port: tcpPort };
    const tls = { type: 'tls', host: '127.0.0.1', port: tlsPort, ca: pki.ca.cert };
    const gatewayConfig = write('gateway', {
      node: { id: 'gw-three', region: 'e2e' },
      http: { host: '127.0.0.1', port: 0 },
      transports: [messaging, tcp, { ...tls, cert: pki.server.cert, key: pki.server.key, requireClientCert: true }],
      auth: { anonymous: { subject: 'anonymous' } },
      // The routing view is read from the operations listener (no admin tokens here).
      ops: { host: '127.0.0.1', port: 0 },
      log: { level: 'info', requests: false },
    });
    const gateway = spawnTs('packages/gateway/src/cli.ts', ['--config', gatewayConfig]);
    running.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const opsUrl = (await gateway.waitFor(/operations endpoints listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;

    const echoes: Array<[string, Record<string, unknown>]> = [
      ['echo-messaging', messaging],
      ['echo-tcp', tcp],
      ['echo-tls', { ...tls, cert: pki.client.cert, key: pki.client.key }],
    ];
    for (const [id, entry] of echoes) {
      const file = write(id, { service: { name: 'echo', version: '1.0.0', region: 'e2e' }, transports: [entry] });
      const echo = spawnTs('examples/echo/main.ts', ['--config', file, '--instance-id', id]);
      running.push(echo);
      await echo.waitFor(/echo listening/, 30_000);
    }

    const byTransport = await eventually(
      async () => {
        const view = (await (await fetch(`${opsUrl}/_switchyard/routes`)).json()) as {
          routing?: { services?: Array<{ name: string; versions: Array<{ instances: Array<{ instanceId: string; transport: string; health: string }> }> }> };
        };
        const instances = view.routing?.services?.find((s) => s.name === 'echo')?.versions.flatMap((v) => v.instances) ?? [];
        const healthy = instances.filter((i) => i.health === 'healthy');
        return healthy.length === 3 ? Object.fromEntries(healthy.map((i) => [i.instanceId, i.transport])) : undefined;
      },
      { within: 30_000, what: 'three healthy echo instances' },
    );
    assert.equal(byTransport, { 'echo-messaging': 'messaging', 'echo-tcp': 'tcp', 'echo-tls': 'tls' });

    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${url}/echo/round/${i}`, { method: 'POST', body: `payload-${i}` });
      assert.is(res.status, 200);
      const body = (await res.json()) as { instanceId: string; body: string };
      assert.is(body.body, `payload-${i}`);
      seen.set(body.instanceId, (seen.get(body.instanceId) ?? 0) + 1);
    }
    assert.equal([...seen.keys()].sort(), ['echo-messaging', 'echo-tcp', 'echo-tls'], `requests per instance: ${JSON.stringify([...seen])}`);
  });
}

all.run();
