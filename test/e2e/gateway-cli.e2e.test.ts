/**
 * The gateway CLI as an operator meets it: an invalid config stops start-up with every problem
 * listed by key (exit 2), SIGTERM ends the process with 0 even when its Valkey has gone away, and
 * the running gateway does not hold what only loading its config needed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnNode, spawnTs } from '../harness/process.js';
import { startValkey } from '../harness/valkey.js';
import { within } from '../harness/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-cli-'));

const cli = suite('gateway CLI');

cli('an invalid config exits 2 and lists every problem by key, including env overrides', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'http: { port: eighty, prot: 1 }\ntransports: [{ type: pigeon }]\n');
  const gw = spawnTs('packages/gateway/src/cli.ts', ['--config', file], { SWITCHYARD_HTTP__MAX_BODY_BYTES: '-1' });
  const code = await within(gw.exited, 30_000, 'the CLI to exit');
  assert.is(code, 2);
  const out = gw.output();
  assert.match(out, /invalid gateway config \(4 problems\)/);
  assert.match(out, /http\.port: .*\(got "eighty"\)/);
  assert.match(out, /http\.prot: unknown key \(did you mean "port"\?\)/);
  assert.match(out, /transports\[0\]\.type: .*\(got "pigeon"\)/);
  assert.match(out, /http\.maxBodyBytes: .*\(from SWITCHYARD_HTTP__MAX_BODY_BYTES\)/);
});

cli('a config file that does not exist exits 2 naming the file', async () => {
  const gw = spawnTs('packages/gateway/src/cli.ts', ['--config', join(dir, 'missing.yaml')]);
  assert.is(await within(gw.exited, 30_000, 'the CLI to exit'), 2);
  assert.match(gw.output(), /missing\.yaml/);
});

cli('SIGTERM exits 0 even after the Valkey server went away', async () => {
  const valkey = await startValkey();
  if (valkey === null) return;
  const file = join(dir, 'gw.json');
  writeFileSync(
    file,
    JSON.stringify({
      node: { id: 'gw-cli-test' },
      http: { host: '127.0.0.1', port: 0 },
      transports: [{ type: 'messaging', backend: 'valkey', valkey: { url: valkey.url }, queues: { prefix: 'cli-test' }, auth: { insecure: true } }],
    }),
  );
  const gw = spawnTs('packages/gateway/src/cli.ts', ['--config', file]);
  await gw.waitFor(/gateway listening on/, 30_000);
  await valkey.stop();
  gw.child.kill('SIGTERM');
  assert.is(await within(gw.exited, 30_000, 'the gateway to exit after SIGTERM without its Valkey'), 0);
});

cli('the running gateway holds neither the config validator, the YAML parser nor jose; its default node id names it', async () => {
  const file = join(dir, 'memory.yaml');
  writeFileSync(file, 'http: { host: 127.0.0.1, port: 0 }\ntransports: [{ type: messaging, backend: memory }]\n');
  const gw = spawnNode(['--conditions=switchyard-source', '--import', 'tsx', '--import', './test/harness/loaded-modules.mjs'], 'packages/gateway/src/cli.ts', ['--config', file]);
  try {
    await gw.waitFor(/gateway listening on/, 30_000);
    gw.child.kill('SIGUSR2');
    const urls = JSON.parse((await gw.waitFor(/LOADED-MODULES (\[.*\])\n/, 10_000))[1] as string) as string[];
    // The record works: the packages the gateway runs on are in it.
    assert.ok(urls.some((u) => u.includes('/node_modules/pino/')), 'pino is among the modules');
    assert.ok(urls.some((u) => u.includes('/node_modules/prom-client/')), 'prom-client is among the modules');
    const held = urls.filter((u) => /\/node_modules\/(zod|yaml|jose)\//.test(u));
    assert.equal(held, [], 'the config was validated in a child process; jose loads only with auth.jwt');
    assert.match(gw.output(), new RegExp(`"nodeId":"gw-${hostname().replace(/[.]/g, '\\.')}-${gw.pid}"`));
  } finally {
    await gw.stop();
  }
});

cli.run();
