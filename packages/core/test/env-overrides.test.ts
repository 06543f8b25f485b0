import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEnvOverrides, formatConfigPath, readEnvOverrides } from '../src/config/env-overrides.js';

const overrides = suite('SWITCHYARD_* environment overrides');
const shape = { topLevelKeys: ['service', 'transports', 'routing'], recordKeys: ['defaultVersions'] };

overrides('only variables whose first segment is one of the shape\'s top-level keys are read, in name order', () => {
  const found = readEnvOverrides(
    { SWITCHYARD_TRANSPORTS__0__VALKEY__URL: 'redis://b:6379/0', SWITCHYARD_SERVICE__REGION: 'eu', SWITCHYARD_REQUIRE_VALKEY: '1', OTHER: 'x' },
    shape,
  );
  assert.equal(
    found.map((o) => [o.variable, formatConfigPath(o.path), o.value]),
    [
      ['SWITCHYARD_SERVICE__REGION', 'service.region', 'eu'],
      ['SWITCHYARD_TRANSPORTS__0__VALKEY__URL', 'transports[0].valkey.url', 'redis://b:6379/0'],
    ],
  );
});

overrides('SNAKE_CASE becomes camelCase, JSON values are parsed, record keys are kept lower-cased', () => {
  const found = readEnvOverrides({ SWITCHYARD_SERVICE__HEARTBEAT_INTERVAL_MS: '2000', SWITCHYARD_ROUTING__DEFAULT_VERSIONS__BILLING_V2: '1.4.2' }, shape);
  assert.equal(
    found.map((o) => [formatConfigPath(o.path), o.value]),
    [
      ['routing.defaultVersions.billing_v2', '1.4.2'],
      ['service.heartbeatIntervalMs', 2000],
    ],
  );
});

overrides('applying overrides refines a copy of the file and records which variable set each key', () => {
  const file = { service: { name: 'echo' }, transports: [{ type: 'messaging', backend: 'valkey', valkey: { url: 'redis://a:6379/0' } }] };
  const { value, sources } = applyEnvOverrides(file, readEnvOverrides({ SWITCHYARD_TRANSPORTS__0__VALKEY__URL: 'redis://b:6379/0' }, shape));
  assert.equal((value as typeof file).transports[0]?.valkey.url, 'redis://b:6379/0');
  assert.equal((value as typeof file).service, { name: 'echo' });
  assert.is(file.transports[0]?.valkey.url, 'redis://a:6379/0', 'the file itself is untouched');
  assert.is(sources.get('transports[0].valkey.url'), 'SWITCHYARD_TRANSPORTS__0__VALKEY__URL');
});

overrides.run();
