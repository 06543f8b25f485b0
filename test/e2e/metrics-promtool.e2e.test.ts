/**
 * `/metrics` of a live gateway passes `promtool check metrics` (Debian package `prometheus`): a
 * gateway process with a TCP and an in-memory Messaging transport, an echo service registered over
 * TCP, and some traffic (answered, 404, 405) so that every metric family has series.
 *
 * Without promtool (SWITCHYARD_PROMTOOL, else `promtool` on PATH) the check is skipped with a
 * banner, except under CI (`CI` set to anything but "" or "false", as CI services and .ci/run's
 * caller set it), where a missing promtool is a failure: .ci/run installs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, spawnTs, type TsProcess } from '../harness/process.js';
import { loudSkip } from '../harness/skip.js';
import { eventually } from '../harness/wait.js';

function promtoolBinary(): string | undefined {
  for (const bin of [process.env.SWITCHYARD_PROMTOOL, 'promtool']) {
    if (bin === undefined || bin === '') continue;
    if (spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0) return bin;
  }
  return undefined;
}

const underCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const promtool = promtoolBinary();
const metrics = suite('gateway /metrics and promtool');
const children: TsProcess[] = [];
metrics.after(async () => {
  for (const c of children) await c.stop();
});

if (promtool === undefined && !underCi) {
  loudSkip('promtool check metrics on a live gateway', 'no promtool: SWITCHYARD_PROMTOOL is unset and `promtool` is not on PATH', [
    'Install the Debian package `prometheus` (apt-get install prometheus) to run it; under CI a missing promtool fails.',
  ]);
  metrics.skip('a live gateway\'s /metrics passes promtool check metrics', () => undefined);
} else {
  metrics('a live gateway\'s /metrics passes promtool check metrics', async () => {
    assert.ok(promtool, 'CI is set, so promtool must be installed (.ci/run installs the Debian package prometheus)');
    const dir = mkdtempSync(join(tmpdir(), 'sy-promtool-'));
    const tcpPort = await freePort();
    const gwFile = join(dir, 'gateway.json');
    writeFileSync(
      gwFile,
      JSON.stringify({
        node: { id: 'gw-promtool' },
        http: { host: '127.0.0.1', port: 0 },
        transports: [
          { type: 'tcp', host: '127.0.0.1', port: tcpPort },
          { type: 'messaging', backend: 'memory', memory: { namespace: 'promtool' } },
        ],
        auth: { anonymous: { subject: 'anonymous' } },
        // A transport order, so the path series are in the scrape too (admission's are on by default).
        routing: { transportOrder: { services: { echo: ['tcp', 'messaging'] } } },
      }),
    );
    const gateway = spawnTs('packages/gateway/src/cli.ts', ['--config', gwFile]);
    children.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const echoFile = join(dir, 'echo.json');
    writeFileSync(echoFile, JSON.stringify({ service: { name: 'echo', version: '1.0.0' }, transports: [{ type: 'tcp', host: '127.0.0.1', port: tcpPort }] }));
    const echo = spawnTs('examples/echo/main.ts', ['--config', echoFile]);
    children.push(echo);
    await eventually(async () => (await fetch(`${url}/echo/hello`)).status === 200, { within: 30_000, every: 100, what: 'the echo to answer through the gateway' });
    for (let i = 0; i < 5; i++) await (await fetch(`${url}/echo/n${i}?a=${i}`)).text();
    assert.is((await fetch(`${url}/nowhere`)).status, 404);
    assert.is((await fetch(`${url}/echo/x`, { method: 'PATCH' })).status, 405);

    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /switchyard_gateway_requests_total\{.*status="200"/, 'the traffic is in the scrape');
    assert.match(text, /switchyard_gateway_admission_admitted_total\{service="echo"/, 'admission counts are in the scrape');
    assert.match(text, /switchyard_gateway_admission_limit\{scope="route"/, 'the current limits are in the scrape');
    assert.match(text, /switchyard_gateway_path_requests_total\{service="echo",transport="tcp",outcome="served"\}/, 'the path that served is in the scrape');
    const check = spawnSync(promtool as string, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.is(check.status, 0, `promtool check metrics failed (exit ${String(check.status)}):\n${check.stdout}${check.stderr}`);
  });
}

metrics.run();
