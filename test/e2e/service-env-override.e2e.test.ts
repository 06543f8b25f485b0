/**
 * A service process honours the same `SWITCHYARD_*` overrides as the gateway: the echo service's
 * config file names a Valkey where nothing listens, SWITCHYARD_TRANSPORTS__0__VALKEY__URL names
 * the harness server the gateway uses, and a request through that gateway is served by the echo.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, spawnTs, type TsProcess } from '../harness/process.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';
import { authSection, newKeys } from '../harness/frame-keys.js';

const overrides = suite('service env overrides');
const children: TsProcess[] = [];
overrides.after(async () => {
  for (const c of children) await c.stop();
});

const valkey = await requireValkeyOrSkip('service env override test');
if (valkey === null) {
  overrides.skip('SWITCHYARD_TRANSPORTS__0__VALKEY__URL points a service at another Valkey than its file names', () => undefined);
} else {
  overrides.after(() => valkey.stop());
  overrides('SWITCHYARD_TRANSPORTS__0__VALKEY__URL points a service at another Valkey than its file names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-env-'));
    const prefix = `env-${randomUUID().slice(0, 8)}`;
    const auth = authSection(newKeys());
    const gwFile = join(dir, 'gateway.json');
    writeFileSync(
      gwFile,
      JSON.stringify({
        node: { id: 'gw-env' },
        http: { host: '127.0.0.1', port: 0 },
        transports: [{ type: 'messaging', backend: 'valkey', valkey: { url: valkey.url }, queues: { prefix }, auth }],
        auth: { anonymous: { subject: 'anonymous' } },
      }),
    );
    const gateway = spawnTs('packages/gateway/src/cli.ts', ['--config', gwFile]);
    children.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;

    const unreachable = `redis://127.0.0.1:${await freePort()}/0`;
    const echoFile = join(dir, 'echo.yaml');
    writeFileSync(echoFile, `service: { name: echo, version: 1.0.0 }\ntransports:\n  - { type: messaging, backend: valkey, valkey: { url: "${unreachable}" }, queues: { prefix: ${prefix} }, auth: ${JSON.stringify(auth)} }\n`);
    const echo = spawnTs('examples/echo/main.ts', ['--config', echoFile], { SWITCHYARD_TRANSPORTS__0__VALKEY__URL: valkey.url });
    children.push(echo);
    const instanceId = (await echo.waitFor(/echo listening instance=(\S+)/, 30_000))[1] as string;

    const res = await eventually(
      async () => {
        const r = await fetch(`${url}/echo/hello`);
        return r.status === 200 ? r : undefined;
      },
      { within: 20_000, every: 100, what: `the gateway on ${valkey.url} to route /echo/hello to the echo (echo output: ${echo.output()})` },
    );
    assert.is(((await res.json()) as { instanceId: string }).instanceId, instanceId, 'served by the echo whose file named another server');
  });
}

overrides.run();
