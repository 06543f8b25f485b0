/**
 * The gateway CLI as an operator meets it: an invalid config stops start-up with every problem
 * listed by key (exit 2), and SIGTERM ends the process with 0 even when its Valkey has gone away.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnTs } from '../harness/process.js';
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

cli.run();
