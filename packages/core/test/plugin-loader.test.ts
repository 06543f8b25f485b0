import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemoryBackend } from '@switchyard/transport-memory';
import { ERROR_CODES } from '../src/errors.js';
import { createQueueFactoryFromConfig, loadQueueBackendPlugin } from '../src/ioc/plugin-loader.js';
import { rejectsWithCode } from '../../../test/harness/wait.js';

// Fixture packages are copied into a throwaway node_modules, as an operator would install them.
const fixtures = fileURLToPath(new URL('./fixtures/plugins/', import.meta.url));
const installDir = mkdtempSync(join(tmpdir(), 'switchyard-plugins-'));
for (const dir of readdirSync(fixtures)) {
  cpSync(join(fixtures, dir), join(installDir, 'node_modules', `switchyard-fixture-${dir}`), { recursive: true });
}
const from = installDir;

const loader = suite('loadQueueBackendPlugin');

loader('"memory" loads the built-in memory plugin', async () => {
  const plugin = await loadQueueBackendPlugin('memory');
  assert.is(plugin.name, 'memory');
  assert.is(plugin.coreVersion, '^0.1.0');
});

loader('an unknown backend name fails with SY_PLUGIN_UNKNOWN_BACKEND naming the package', async () => {
  const err = await rejectsWithCode(loadQueueBackendPlugin('switchyard-backend-that-does-not-exist', { from }), ERROR_CODES.UnknownBackend, 'loading a missing package');
  assert.match(err.message, /switchyard-backend-that-does-not-exist/);
  assert.match(err.message, /npm install/);
});

loader('a package that exports no plugin fails with SY_PLUGIN_INVALID naming the package', async () => {
  const err = await rejectsWithCode(loadQueueBackendPlugin('switchyard-fixture-no-plugin', { from }), ERROR_CODES.InvalidPlugin, 'loading a package without a plugin');
  assert.match(err.message, /switchyard-fixture-no-plugin/);
  assert.match(err.message, /exports neither `plugin` nor a default export/);
});

loader('a plugin without createBackend fails with SY_PLUGIN_INVALID naming what is missing', async () => {
  const err = await rejectsWithCode(loadQueueBackendPlugin('switchyard-fixture-incomplete', { from }), ERROR_CODES.InvalidPlugin, 'loading an incomplete plugin');
  assert.match(err.message, /switchyard-fixture-incomplete/);
  assert.match(err.message, /createBackend/);
});

loader('a plugin for another core version fails with SY_PLUGIN_VERSION_MISMATCH naming the package and both versions', async () => {
  const err = await rejectsWithCode(loadQueueBackendPlugin('switchyard-fixture-version-mismatch', { from }), ERROR_CODES.PluginVersionMismatch, 'loading a future plugin');
  assert.match(err.message, /switchyard-fixture-version-mismatch/);
  assert.match(err.message, /\^9\.0\.0/);
  assert.match(err.message, /0\.1\.0/);
});

loader('a plugin whose own dependency is missing fails with SY_PLUGIN_INVALID naming that dependency, not as an unknown backend', async () => {
  const err = await rejectsWithCode(loadQueueBackendPlugin('switchyard-fixture-broken-dependency', { from }), ERROR_CODES.InvalidPlugin, 'loading a plugin with a missing dependency');
  assert.match(err.message, /switchyard-fixture-broken-dependency/);
  assert.match(err.message, /switchyard-fixture-not-installed-dependency/);
});

loader('third-party packages are resolved from the working directory by default', async () => {
  const before = process.cwd();
  process.chdir(installDir);
  try {
    const plugin = await loadQueueBackendPlugin('switchyard-fixture-valid');
    assert.is(plugin.name, 'valid-fixture');
  } finally {
    process.chdir(before);
  }
});

loader.run();

const fromConfig = suite('createQueueFactoryFromConfig');
// The last suite removes the fixture install.
fromConfig.after(() => rmSync(installDir, { recursive: true, force: true }));

fromConfig('builds a working factory from the memory backend and its options', async () => {
  const factory = await createQueueFactoryFromConfig('memory', { namespace: 'plugin-loader-test' });
  assert.is(factory.backend, 'memory');
  const q = factory.queue<string>('orders');
  await q.enqueue('o-1');
  const [lease] = await q.lease({ max: 1 });
  assert.is(lease?.message, 'o-1');
  await lease!.ack();
  await factory.close();
});

fromConfig('an unknown memory backend option fails with SY_QUEUE_INVALID_OPTIONS naming the key', async () => {
  const err = await rejectsWithCode(createQueueFactoryFromConfig('memory', { namespcae: 'typo' }), ERROR_CODES.InvalidQueueOptions, 'a misspelled option');
  assert.match(err.message, /memory\.namespcae/);
});

fromConfig('a third-party plugin loaded by package name builds the backend it describes', async () => {
  const factory = await createQueueFactoryFromConfig('switchyard-fixture-valid', { make: () => createMemoryBackend() }, { from });
  const q = factory.queue<number>('n');
  await q.enqueue(7);
  const [lease] = await q.lease();
  assert.is(lease?.message, 7);
  await lease!.ack();
  await factory.close();
});

fromConfig.run();
