/**
 * A service that cannot reach its queue backend at start exits with one clear line: the server it
 * tried (URL without its password), the config key the URL came from, and why, with no stack trace.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, spawnTs } from '../harness/process.js';
import { within } from '../harness/wait.js';

const startFailure = suite('service start failure');

startFailure('an unreachable Valkey ends the echo with exit 1 and one line naming the server and the key', async () => {
  const port = await freePort(); // nothing listens here
  const file = join(mkdtempSync(join(tmpdir(), 'sy-start-')), 'echo.yaml');
  writeFileSync(file, `service: { name: echo, version: 1.0.0 }\ntransports:\n  - { type: messaging, backend: valkey, valkey: { url: "redis://app:s3cret@127.0.0.1:${port}/0" }, auth: { insecure: true } }\n`);
  const echo = spawnTs('examples/echo/main.ts', ['--config', file]);
  assert.is(await within(echo.exited, 60_000, 'the echo to give up on its unreachable Valkey'), 1);
  const lines = echo.output().trim().split('\n');
  assert.is(lines.length, 1, `one line, got:\n${echo.output()}`);
  const line = lines[0] as string;
  assert.match(line, /^echo failed to start: valkey backend unavailable/);
  assert.ok(line.includes(`redis://app:***@127.0.0.1:${port}/0`), `names the server without its password: ${line}`);
  assert.ok(line.includes('config key transports[0].valkey.url'), `names the config key: ${line}`);
  assert.match(line, /ECONNREFUSED/, 'says why');
  assert.not.ok(line.includes('s3cret'), 'never prints the password');
});

startFailure.run();
