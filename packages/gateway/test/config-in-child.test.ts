/**
 * The CLI's config loader (config/load-in-child.ts): the config is loaded in a child process, so
 * the validator never enters the gateway's heap, and what comes back is what loading it here gives.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayConfigError, GatewayConfigFileError, loadGatewayConfig } from '../src/index.js';
import { loadGatewayConfigInChild } from '../src/config/load-in-child.js';

const dir = mkdtempSync(join(tmpdir(), 'sy-config-child-'));
const test = suite('gateway config loaded in a child process');

test('gives the config loading it here gives, deep-frozen, env overrides applied', async () => {
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, 'node: { region: eu }\nhttp: { port: 9090 }\ntransports: [{ type: messaging, backend: memory }]\n');
  const env = { SWITCHYARD_HTTP__MAX_BODY_BYTES: '2048' };
  const here = await loadGatewayConfig(file, env);
  const there = await loadGatewayConfigInChild(file, env);
  assert.equal(there, here);
  assert.is(there.http.maxBodyBytes, 2048);
  assert.ok(Object.isFrozen(there));
  assert.ok(Object.isFrozen(there.http));
  assert.ok(Object.isFrozen(there.transports[0]));
});

test('the default node id names this process, not the child that parsed the config', async () => {
  const file = join(dir, 'no-id.json');
  writeFileSync(file, JSON.stringify({ transports: [{ type: 'messaging', backend: 'memory' }] }));
  const config = await loadGatewayConfigInChild(file, {});
  assert.is(config.node.id, `gw-${hostname()}-${process.pid}`);
  const named = await loadGatewayConfigInChild(file, { SWITCHYARD_NODE__ID: 'gw-from-env' });
  assert.is(named.node.id, 'gw-from-env');
});

test('no file: the config is the environment alone', async () => {
  const config = await loadGatewayConfigInChild(undefined, { SWITCHYARD_TRANSPORTS: '[{"type":"messaging","backend":"memory"}]' });
  assert.equal(config.transports, [{ type: 'messaging', backend: 'memory' }]);
});

test('an invalid config rejects with the GatewayConfigError loading it here gives', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'http: { port: eighty }\ntransports: [{ type: pigeon }]\n');
  const here = await loadGatewayConfig(file, {}).catch((err: unknown) => err);
  const there = await loadGatewayConfigInChild(file, {}).catch((err: unknown) => err);
  assert.instance(there, GatewayConfigError);
  assert.instance(here, GatewayConfigError);
  assert.equal((there as GatewayConfigError).problems, (here as GatewayConfigError).problems);
  assert.is((there as Error).message, (here as Error).message);
});

test('a file that cannot be read or parsed rejects with GatewayConfigFileError naming it', async () => {
  const missing = join(dir, 'missing.yaml');
  const err = await loadGatewayConfigInChild(missing, {}).catch((e: unknown) => e);
  assert.instance(err, GatewayConfigFileError);
  assert.is((err as GatewayConfigFileError).file, missing);
  assert.match((err as Error).message, /cannot load gateway config file ".*missing\.yaml": ENOENT/);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "transports": [');
  const parseErr = await loadGatewayConfigInChild(broken, {}).catch((e: unknown) => e);
  assert.instance(parseErr, GatewayConfigFileError);
  assert.match((parseErr as Error).message, /broken\.json": not valid JSON/);
});

test.run();
