/**
 * The shared rate limiter (docs/operations.md, "Shared rate limits") over a real Valkey server:
 * the GCRA script's decisions, and the fallback to the replica's own limiter when the store is
 * unreachable, too slow (CLIENT PAUSE) or failing, each counted by reason.
 */
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { silentLogger, systemClock } from '@switchyard/core';
import { ValkeyBackend, resolveValkeyOptions } from '@switchyard/transport-valkey';
import { RateLimiter } from '../src/policy/rate-limiter.js';
import { SharedLimitFallbacks, SharedRateLimiter } from '../src/policy/shared-rate-limiter.js';
import { createRateLimiters } from '../src/policy/rate-limits.js';
import { requireValkeyOrSkip } from '../../../test/harness/valkey.js';

const server = await requireValkeyOrSkip('shared rate limiter');
const test = suite('shared rate limiter over valkey');
const backends: ValkeyBackend[] = [];

async function backend(url = server!.url, wait = true): Promise<ValkeyBackend> {
  const b = new ValkeyBackend(resolveValkeyOptions({ url, prefix: `t-${randomUUID().slice(0, 8)}`, commandTimeoutMs: 2_000 }));
  backends.push(b);
  if (wait) await b.whenReady();
  return b;
}

test.after.each(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
});
test.after(async () => {
  await server?.stop();
});

test('rateLimit.shared without a transport that shares rate limits fails naming the key', () => {
  const config = { perRoute: { requestsPerSecond: 5 }, clientKey: 'ip' as const, maxClients: 10, shared: { timeoutMs: 50 } };
  assert.throws(() => createRateLimiters(config, [], systemClock, silentLogger), /rateLimit\.shared needs a transport whose backend shares rate limits/);
  const local = createRateLimiters({ ...config, shared: undefined }, [], systemClock, silentLogger);
  assert.type(local.route?.take('r'), 'number', 'without shared the limiter stays local and synchronous');
});

if (server === null) {
  test.skip('every case (SKIPPED: no server)', () => undefined);
} else {
  test('GCRA in the store: a burst of `burst` is allowed, then the wait until the next request; the key expires when the limit is whole', async () => {
    const b = await backend();
    const store = b.rateLimitStore();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) waits.push(await store.take('k', 10, 3));
    assert.equal(waits.slice(0, 3), [0, 0, 0], 'three at once (burst 3)');
    assert.ok(waits[3]! >= 50 && waits[3]! <= 100, `the fourth waits about one interval (100 ms) minus the time spent: ${waits[3]}`);
    await new Promise((resolve) => setTimeout(resolve, waits[3]! + 20));
    assert.is(await store.take('k', 10, 3), 0, 'allowed again after the wait');
    const redis = new Redis(server.url);
    const ttl = await redis.pttl(`${b.options.prefix}:rate:{k}`);
    redis.disconnect();
    assert.ok(ttl > 0 && ttl <= 300, `the key expires once its limit is whole (≤ 3 intervals): pttl ${ttl}`);
  });

  test('two stores on separate connections share one limit', async () => {
    const [a, b] = [await backend(), await backend()];
    const prefix = a.options.prefix;
    const other = new ValkeyBackend(resolveValkeyOptions({ url: server.url, prefix }));
    backends.push(other);
    await other.whenReady();
    const results = [await a.rateLimitStore().take('shared', 1, 2), await other.rateLimitStore().take('shared', 1, 2), await other.rateLimitStore().take('shared', 1, 2)];
    assert.equal(results.map((w) => w > 0), [false, false, true], 'the third request, on the second connection, is refused');
    assert.is(await b.rateLimitStore().take('shared', 1, 2), 0, 'another prefix is another limit');
  });

  const limiter = (store: ReturnType<ValkeyBackend['rateLimitStore']>, fallbacks: SharedLimitFallbacks, timeoutMs = 100): SharedRateLimiter =>
    new SharedRateLimiter(store, new RateLimiter(systemClock, { requestsPerSecond: 1, burst: 2 }), { limit: 'route', requestsPerSecond: 1, burst: 2, timeoutMs }, fallbacks, systemClock, silentLogger);

  test('a store slower than timeoutMs (CLIENT PAUSE) is not waited for: the local limiter decides, counted as timeout', async () => {
    const b = await backend();
    const fallbacks = new SharedLimitFallbacks();
    const l = limiter(b.rateLimitStore(), fallbacks, 100);
    const admin = new Redis(server.url);
    await admin.call('CLIENT', 'PAUSE', '600', 'ALL');
    const started = Date.now();
    const decisions = [await l.take('x'), await l.take('x'), await l.take('x')];
    const elapsed = Date.now() - started;
    admin.disconnect();
    assert.equal(decisions.map((w) => w > 0), [false, false, true], 'the local bucket (burst 2) decided');
    assert.ok(elapsed < 550, `each decision waited about timeoutMs, not the pause: ${elapsed} ms`);
    assert.is(fallbacks.total('route'), 3);
    const registry = new Registry();
    fallbacks.register(registry);
    assert.match(await registry.metrics(), /switchyard_gateway_rate_limit_fallbacks_total\{limit="route",reason="timeout"\} 3/);
  });

  test('a store whose connection is down is not asked: the local limiter decides at once, counted as unreachable', async () => {
    const b = await backend('redis://127.0.0.1:1', false);
    const fallbacks = new SharedLimitFallbacks();
    const l = limiter(b.rateLimitStore(), fallbacks);
    assert.is(b.rateLimitStore().isReady(), false);
    const decision = l.take('y');
    assert.type(decision, 'number', 'decided synchronously');
    assert.is(decision, 0);
    const registry = new Registry();
    fallbacks.register(registry);
    assert.match(await registry.metrics(), /switchyard_gateway_rate_limit_fallbacks_total\{limit="route",reason="unreachable"\} 1/);
  });
}

test.run();
