/** Option parsing and key naming: no server needed. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCode } from '@switchyard/core';
import { queueKeys, resolveValkeyOptions, VALKEY_DEFAULTS, redactUrl } from '../src/index.js';

const options = suite('valkey options');

function problems(input: unknown): string[] {
  try {
    resolveValkeyOptions(input);
  } catch (err) {
    assert.ok(hasCode(err, 'SY_QUEUE_INVALID_OPTIONS'), `expected SY_QUEUE_INVALID_OPTIONS, got ${String(err)}`);
    return [...(err as { problems: string[] }).problems];
  }
  assert.unreachable('options should have been rejected');
  return [];
}

options('defaults resolve to a frozen object with the documented values', () => {
  const o = resolveValkeyOptions({});
  assert.is(o.host, '127.0.0.1');
  assert.is(o.port, 6379);
  assert.is(o.prefix, VALKEY_DEFAULTS.prefix);
  assert.is(o.db, 0);
  assert.ok(Object.isFrozen(o));
});

options('a URL sets host, port, user, password and db; explicit options win', () => {
  const o = resolveValkeyOptions({ url: 'redis://alice:s3cret@cache.internal:6380/4' });
  assert.equal([o.host, o.port, o.username, o.password, o.db], ['cache.internal', 6380, 'alice', 's3cret', 4]);
  const p = resolveValkeyOptions({ url: 'redis://alice:s3cret@cache.internal:6380/4', username: 'bob', password: 'other', db: 2 });
  assert.equal([p.username, p.password, p.db], ['bob', 'other', 2]);
  assert.ok(!o.displayUrl.includes('s3cret'), 'the display URL hides the password');
});

options('errors name the Cluster seed nodes or the Sentinel master instead of the default URL, and the key they came from', () => {
  const c = resolveValkeyOptions({ cluster: { nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }] } });
  assert.equal([c.displayUrl, c.serverKey], ['cluster 10.0.0.1:7000,10.0.0.2:7001', 'cluster.nodes']);
  const s = resolveValkeyOptions({ sentinels: [{ host: 'sentinel-a', port: 26379 }], sentinelName: 'main' });
  assert.equal([s.displayUrl, s.serverKey], ['sentinel master "main" via sentinel-a:26379', 'sentinels']);
  assert.equal([resolveValkeyOptions({}).displayUrl, resolveValkeyOptions({}).serverKey], ['redis://127.0.0.1:6379', 'url']);
});

options('a rediss URL turns TLS on', () => {
  assert.ok(resolveValkeyOptions({ url: 'rediss://cache:6380' }).tls !== undefined);
  assert.is(resolveValkeyOptions({ url: 'redis://cache:6380' }).tls, undefined);
});

options('every problem is reported, each naming its key, and unknown or renamed keys are rejected', () => {
  const got = problems({ url: 'http://x', db: -1, prefix: 'a{b}', hots: 'x', host: 'y', commandRetries: 'many', cluster: { nodes: [{ host: '', port: 0 }] } });
  const text = got.join('\n');
  for (const key of ['url', 'db', 'prefix', 'hots', 'host is not an option; use url', 'commandRetries', 'cluster.nodes[0].host']) {
    assert.ok(text.includes(key), `a problem should name ${key}:\n${text}`);
  }
});

options('a password never appears in a problem or an error message', () => {
  let message = '';
  try {
    resolveValkeyOptions({ url: 'ftp://alice:hunter2@host/x', password: 42, sentinelPassword: '' });
  } catch (err) {
    message = (err as Error).message;
  }
  assert.ok(message.length > 0);
  assert.not.ok(message.includes('hunter2'), message);
  assert.not.ok(message.includes('42'), message);
  assert.is(redactUrl('redis://u:pw@h:1/0'), 'redis://u:***@h:1/0');
});

options('TLS files are read at start and a missing file names tls.<key>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-tls-'));
  writeFileSync(join(dir, 'ca.pem'), 'CA');
  const o = resolveValkeyOptions({ tls: { ca: join(dir, 'ca.pem') } });
  assert.is(o.tls?.ca?.toString(), 'CA');
  const got = problems({ tls: { ca: join(dir, 'missing.pem'), cert: join(dir, 'ca.pem') } }).join('\n');
  assert.match(got, /tls\.ca file .*missing\.pem.* cannot be read/);
  assert.match(got, /tls\.cert and tls\.key must be given together/);
});

options('sentinels need a sentinelName, and cluster excludes sentinels and db', () => {
  assert.match(problems({ sentinels: [{ host: 'a', port: 26379 }] }).join('\n'), /sentinels and sentinelName/);
  const got = problems({ cluster: { nodes: [{ host: 'a', port: 7000 }] }, sentinels: [{ host: 'a', port: 1 }], sentinelName: 'm', db: 3 }).join('\n');
  assert.match(got, /mutually exclusive/);
  assert.match(got, /db must be 0/);
});

options.run();

const keys = suite('valkey key naming');

keys('every key of a queue carries the {queue} hash tag, so they share one cluster slot', () => {
  const k = queueKeys('switchyard', 'orders', ':dlq');
  assert.is(k.stream, 'switchyard:{orders}');
  assert.is(k.deadLetters, 'switchyard:{orders}:dlq');
  assert.is(k.delayed, 'switchyard:{orders}:delayed');
  assert.is(k.idempotency('abc'), 'switchyard:{orders}:idem:abc');
  for (const key of [k.deadLetters, k.delayed, k.scheduled, k.leaseExtensions, k.groups, k.fanout, k.idempotency('x')]) {
    assert.ok(key.startsWith('switchyard:{orders}'), key);
  }
});

keys.run();
