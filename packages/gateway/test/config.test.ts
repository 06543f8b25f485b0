import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GATEWAY_DEFAULTS, loadGatewayConfig, parseGatewayConfig } from '../src/index.js';
import { minimal, problemsOf } from './config-helpers.js';


const defaults = suite('gateway config defaults');

defaults('a minimal config gets every default of docs/configuration.md', async () => {
  const c = await parseGatewayConfig(minimal, {});
  assert.is(c.http.port, GATEWAY_DEFAULTS.port);
  assert.is(c.http.maxBodyBytes, 10 * 1024 * 1024);
  assert.is(c.routing.defaultTimeoutMs, 30_000);
  assert.is(c.health.degradedAfterMs, 15_000);
  assert.is(c.health.staleAfterMs, 30_000);
  assert.equal(c.health.requiredServices, []);
  assert.ok(c.auth.reservedHeaders.includes('x-switchyard-identity-*'));
  assert.ok(c.auth.reservedHeaders.includes('x-forwarded-user'));
  assert.is(c.log.level, 'info');
});

defaults('the result is deep-frozen', async () => {
  const c = await parseGatewayConfig(minimal, {});
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.http));
  assert.ok(Object.isFrozen(c.transports[0]));
  assert.ok(Object.isFrozen(c.auth.reservedHeaders));
});

defaults.run();

const errors = suite('gateway config errors');

errors('every problem is listed at once, each naming its key path and the value received', async () => {
  const problems = await problemsOf(() =>
    parseGatewayConfig(
      {
        http: { port: 'eighty', maxBodyBytes: -1 },
        transports: [{ type: 'carrier-pigeon' }],
        health: { degradedAfterMs: 20_000, staleAfterMs: 10_000 },
        routing: { defaultVersions: { billing: '1.4.x.y' } },
      },
      {},
    ),
  );
  const text = problems.join('\n');
  assert.match(text, /http\.port: .*\(got "eighty"\)/);
  assert.match(text, /http\.maxBodyBytes: .*\(got -1\)/);
  assert.match(text, /transports\[0\]\.type: .*"messaging".*\(got "carrier-pigeon"\)/);
  assert.match(text, /health\.staleAfterMs: must be greater than health\.degradedAfterMs/);
  assert.match(text, /routing\.defaultVersions\.billing: must be a semver version .*\(got "1\.4\.x\.y"\)/);
  assert.is(problems.length, 5, text);
});

errors('problems in different sections are reported at once: the schema, the transport entry and its backend', async () => {
  const problems = await problemsOf(() =>
    parseGatewayConfig(
      {
        http: { port: 'eighty' },
        transports: [{ type: 'messaging', backend: 'valkey', valkey: { url: 'redis://valkey:6379/0', hots: 'x' }, queues: { leaseMs: 10 }, auth: { insecure: true } }],
      },
      {},
    ),
  );
  const text = problems.join('\n');
  assert.match(text, /^http\.port: .*\(got "eighty"\)$/m);
  assert.match(text, /^transports\[0\]\.valkey\.hots: is not an option/m);
  assert.match(text, /^transports\[0\]\.queues\.leaseMs: must be an integer ≥ 100 \(got 10\)$/m);
  assert.is(problems.length, 3, text);
});

errors("a messaging entry's auth section is checked with the rest, without reading its keys", async () => {
  const problems = await problemsOf(() =>
    parseGatewayConfig(
      {
        http: { port: -1 },
        transports: [{ type: 'messaging', backend: 'valkey', auth: { gatewayKey: 'written-in-the-config', instanceKey: { env: 'NOT_SET_HERE' }, nope: 1 } }],
      },
      {},
    ),
  );
  const text = problems.join('\n');
  assert.match(text, /^http\.port: /m);
  assert.match(text, /^transports\[0\]\.auth\.gatewayKey: is text in the config/m);
  assert.match(text, /^transports\[0\]\.auth\.nope: is not an auth option/m);
  // A variable or file is read when the transport is built, not when the config is checked.
  assert.not.match(text, /NOT_SET_HERE/);
  assert.is(problems.length, 3, text);
});

errors('a backend that cannot be loaded is reported with the other problems, naming the key', async () => {
  const problems = await problemsOf(() =>
    parseGatewayConfig({ http: { port: -1 }, transports: [{ type: 'messaging', backend: 'no-such-backend-package' }] }, {}),
  );
  const text = problems.join('\n');
  assert.match(text, /^http\.port: /m);
  assert.match(text, /^transports\[0\]\.backend: cannot be loaded: .*no-such-backend-package/m);
});

errors('unknown keys are rejected with a did-you-mean hint', async () => {
  const problems = await problemsOf(() => parseGatewayConfig({ ...minimal, http: { prot: 8080 }, logging: {} }, {}));
  assert.ok(problems.includes('http.prot: unknown key (did you mean "port"?)'), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('logging: unknown key')), problems.join('\n'));
});

errors('a config without transports is rejected naming transports', async () => {
  const problems = await problemsOf(() => parseGatewayConfig({}, {}));
  assert.match(problems.join('\n'), /^transports: /m);
});

errors('two transports of one type are rejected naming the second', async () => {
  const problems = await problemsOf(() => parseGatewayConfig({ transports: [{ type: 'tcp' }, { type: 'tcp', port: 1 }] }, {}));
  assert.match(problems.join('\n'), /transports\[1\]\.type: a gateway runs at most one transport of each type; "tcp" is already transports\[0\]/);
});

errors('a jwt section needs exactly one key source', async () => {
  const none = await problemsOf(() => parseGatewayConfig({ ...minimal, auth: { jwt: { issuer: 'x' } } }, {}));
  assert.match(none.join('\n'), /auth\.jwt: needs exactly one key source/);
  const two = await problemsOf(() => parseGatewayConfig({ ...minimal, auth: { jwt: { secret: 's', jwksUrl: 'https://x/jwks' } } }, {}));
  assert.match(two.join('\n'), /auth\.jwt: has secret and jwksUrl; give exactly one key source/);
});

errors('a config file that is not a mapping is rejected', async () => {
  const problems = await problemsOf(() => parseGatewayConfig([1, 2], {}));
  assert.match(problems.join('\n'), /\(root\): must be a mapping/);
});

errors.run();

const env = suite('gateway config environment overrides');

env('SWITCHYARD_* variables override keys by path, with numbers and JSON parsed', async () => {
  const c = await parseGatewayConfig(
    { transports: [{ type: 'messaging', backend: 'valkey', auth: { insecure: true } }], http: { port: 1000 } },
    {
      SWITCHYARD_HTTP__PORT: '9000',
      SWITCHYARD_HTTP__MAX_BODY_BYTES: '2048',
      SWITCHYARD_NODE__ID: 'gw-7',
      SWITCHYARD_TRANSPORTS__0__VALKEY__URL: 'redis://10.0.0.1:6379/0',
      SWITCHYARD_ROUTING__DEFAULT_VERSIONS__BILLING: '1.4.2',
      SWITCHYARD_HEALTH__REQUIRED_SERVICES: '["echo","billing"]',
      SWITCHYARD_LOG__LEVEL: 'warn',
    },
  );
  assert.is(c.http.port, 9000);
  assert.is(c.http.maxBodyBytes, 2048);
  assert.is(c.node.id, 'gw-7');
  assert.equal((c.transports[0] as Record<string, unknown>).valkey, { url: 'redis://10.0.0.1:6379/0' });
  assert.equal(c.routing.defaultVersions, { billing: '1.4.2' });
  assert.equal(c.health.requiredServices, ['echo', 'billing']);
  assert.is(c.log.level, 'warn');
});

env('a numeric env value for a string key is taken as a string', async () => {
  const c = await parseGatewayConfig(minimal, { SWITCHYARD_NODE__ID: '42' });
  assert.is(c.node.id, '42');
});

env('transports can come from the environment alone', async () => {
  const c = await parseGatewayConfig({}, { SWITCHYARD_TRANSPORTS__0__TYPE: 'messaging', SWITCHYARD_TRANSPORTS__0__BACKEND: 'memory' });
  assert.equal(c.transports[0], { type: 'messaging', backend: 'memory' });
});

env('an invalid env value is reported naming the variable it came from', async () => {
  const problems = await problemsOf(() => parseGatewayConfig(minimal, { SWITCHYARD_HTTP__PORT: 'abc' }));
  assert.match(problems.join('\n'), /http\.port: .*\(got "abc"\) \(from SWITCHYARD_HTTP__PORT\)/);
});

env('unrelated SWITCHYARD_ variables (test switches) are ignored', async () => {
  const c = await parseGatewayConfig(minimal, { SWITCHYARD_REQUIRE_VALKEY: '1', SWITCHYARD_TEST_VALKEY_URL: 'redis://x' });
  assert.is(c.http.port, GATEWAY_DEFAULTS.port);
});

env.run();

const files = suite('gateway config files');

files('YAML and JSON files load; a broken file names the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-gw-config-'));
  const yamlFile = join(dir, 'gw.yaml');
  writeFileSync(yamlFile, 'node: { id: gw-y }\ntransports:\n  - type: messaging\n    backend: memory\n');
  const jsonFile = join(dir, 'gw.json');
  writeFileSync(jsonFile, JSON.stringify({ node: { id: 'gw-j' }, ...minimal }));
  assert.is((await loadGatewayConfig(yamlFile, {})).node.id, 'gw-y');
  assert.is((await loadGatewayConfig(jsonFile, {})).node.id, 'gw-j');
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ nope');
  try {
    await loadGatewayConfig(broken, {});
    assert.unreachable('broken file should fail');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_GATEWAY_CONFIG_FILE');
    assert.match((err as Error).message, /broken\.json.*not valid JSON/);
  }
  try {
    await loadGatewayConfig(join(dir, 'missing.yaml'), {});
    assert.unreachable('missing file should fail');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_GATEWAY_CONFIG_FILE');
  }
});

files.run();

const examples = suite('example gateway configs');

examples('every config in examples/gateway is valid', async () => {
  const { readdirSync } = await import('node:fs');
  const dir = new URL('../../../examples/gateway/', import.meta.url).pathname;
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.json'));
  assert.ok(files.length >= 3, `found ${files.join(', ')}`);
  for (const f of files) await loadGatewayConfig(join(dir, f), {});
});

examples.run();
