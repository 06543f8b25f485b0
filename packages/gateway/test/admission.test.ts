import { ManualClock, silentLogger, type GatewayTransport, type MessageQueue } from '@switchyard/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGatewayConfig } from '../src/index.js';
import { Admission } from '../src/admission/admission.js';
import { BacklogMonitor } from '../src/admission/backlog-monitor.js';
import { AdaptiveLimit, FixedLimit, WINDOW_SAMPLES } from '../src/admission/concurrency-limit.js';
import { minimal, problemsOf } from './config-helpers.js';

const limits = suite('concurrency limits');

limits('a fixed limit admits up to its number in flight and one more after a release', () => {
  const l = new FixedLimit(2);
  assert.ok(l.tryAcquire());
  assert.ok(l.tryAcquire());
  assert.not.ok(l.tryAcquire());
  l.release();
  assert.is(l.inFlight, 1);
  assert.ok(l.tryAcquire());
});

/** The limiters' clock: drive() moves it on by each round's latency. */
let nowMs = 0;
const now = (): number => nowMs;

/** Runs about `windows` adjustment windows through `l`: rounds of up to `inFlight` requests at once, each answer taking `latencyMs`. */
function drive(l: AdaptiveLimit, windows: number, latencyMs: number, deadlineMs: number, inFlight?: number): void {
  for (let w = 0; w < windows; w++) {
    for (let n = 0; n < WINDOW_SAMPLES; ) {
      let held = 0;
      while (held < (inFlight ?? l.limit) && l.tryAcquire()) held += 1;
      nowMs += latencyMs;
      for (let k = 0; k < held; k++) l.release(latencyMs, deadlineMs);
      n += held;
    }
  }
}

limits('an adaptive limit grows while latency stays well inside the deadline and the limit is used', () => {
  const l = new AdaptiveLimit({ initialLimit: 10, minLimit: 2, maxLimit: 200, deadlineShare: 0.5, now });
  drive(l, 30, 20, 1_000);
  assert.ok(l.limit > 10, `grew to ${l.limit}`);
  assert.ok(l.limit <= 200);
});

limits('an adaptive limit does not grow when nobody reaches it (application-limited)', () => {
  const l = new AdaptiveLimit({ initialLimit: 10, minLimit: 2, maxLimit: 200, deadlineShare: 0.5, now });
  drive(l, 30, 20, 1_000, 2);
  assert.is(l.limit, 10);
});

limits('over target, an adaptive limit falls to what the measured throughput gets through in the target latency, not below', () => {
  const l = new AdaptiveLimit({ initialLimit: 1_000, minLimit: 5, maxLimit: 2_000, deadlineShare: 0.5, now });
  // A service that answers 100 requests per second at most: in flight n, each answer takes n × 10 ms.
  for (let w = 0; w < 40; w++) {
    const n = l.limit;
    const latency = Math.max(50, n * 10);
    for (let i = 0; i < n; i++) l.tryAcquire();
    nowMs += latency;
    for (let i = 0; i < n; i++) l.release(latency, 1_000);
  }
  // Little's law: 100/s × 500 ms target = 50 in flight.
  assert.ok(l.limit >= 40 && l.limit <= 60, `settled at ${l.limit}`);
});

limits('an adaptive limit shrinks, down to minLimit, while latency is over its share of the deadline', () => {
  const l = new AdaptiveLimit({ initialLimit: 100, minLimit: 5, maxLimit: 200, deadlineShare: 0.5, now });
  drive(l, 3, 900, 1_000);
  const after3 = l.limit;
  assert.ok(after3 < 100, `shrank to ${after3}`);
  drive(l, 100, 900, 1_000);
  assert.is(l.limit, 5);
});

limits('with a tolerance, latency inflation over the baseline shrinks the limit even far inside the deadline', () => {
  const withTolerance = new AdaptiveLimit({ initialLimit: 50, minLimit: 2, maxLimit: 200, deadlineShare: 0.5, tolerance: 1.5, now });
  const without = new AdaptiveLimit({ initialLimit: 50, minLimit: 2, maxLimit: 200, deadlineShare: 0.5, now });
  for (const l of [withTolerance, without]) {
    drive(l, 10, 10, 30_000); // baseline 10 ms
    drive(l, 3, 60, 30_000); // latency ×6, far inside a 30 s deadline
  }
  assert.ok(withTolerance.limit < without.limit, `${withTolerance.limit} < ${without.limit}`);
  assert.ok(withTolerance.baseline > 0);
});

const admission = suite('admission decisions');

async function admissionConfig(section: Record<string, unknown>) {
  return (await parseGatewayConfig({ ...minimal, admission: section }, {})).admission;
}

admission('the route limit sheds with reason route-limit; a release admits again', async () => {
  const a = new Admission(await admissionConfig({ route: { limit: 2 } }), undefined);
  const first = a.admit('echo', 'GET /echo/slow', 1_000, undefined);
  const second = a.admit('echo', 'GET /echo/slow', 1_000, undefined);
  assert.type(first, 'object');
  assert.type(second, 'object');
  assert.is(a.admit('echo', 'GET /echo/slow', 1_000, undefined), 'route-limit');
  assert.type(a.admit('echo', 'GET /echo/{path...}', 1_000, undefined), 'object', 'another route has its own limit');
  if (typeof first !== 'object') return;
  a.release(first, 10, 1_000);
  assert.type(a.admit('echo', 'GET /echo/slow', 1_000, undefined), 'object');
  const stats = [...a.routeStats()].find((r) => r.route === 'GET /echo/slow');
  assert.is(stats?.admitted, 3);
  assert.is(stats?.shed['route-limit'], 1);
});

admission('the service limit covers every route of the service; a per-route entry overrides the default', async () => {
  const a = new Admission(await admissionConfig({ route: { limit: 'off' }, services: { echo: { limit: 2 } }, routes: { 'GET /echo/a': { limit: 1 } } }), undefined);
  assert.type(a.admit('echo', 'GET /echo/a', 1_000, undefined), 'object');
  assert.is(a.admit('echo', 'GET /echo/a', 1_000, undefined), 'route-limit');
  assert.type(a.admit('echo', 'GET /echo/b', 1_000, undefined), 'object');
  assert.is(a.admit('echo', 'GET /echo/c', 1_000, undefined), 'service-limit');
  assert.type(a.admit('other', 'GET /other', 1_000, undefined), 'object', 'another service is not limited');
  const names = a.limits().map((l) => `${l.scope}:${l.name}=${l.limit}/${l.inFlight}`).sort();
  assert.equal(names, ['route:GET /echo/a=1/1', 'service:echo=2/2']);
});

admission('a queue whose oldest waiting REQUEST is older than the share of the deadline sheds with reason backlog, from memory', async () => {
  const clock = new ManualClock();
  let reads = 0;
  const queue = {
    stats: async () => {
      reads += 1;
      return { depth: 40, inFlight: 8, delayed: 0, deadLetters: 0 };
    },
    activity: async () => ({ consumers: 1, oldestWaitingAgeMs: 700, redelivered: 0 }),
  } as unknown as MessageQueue<unknown>;
  const transport = { type: 'messaging', isReady: () => true, adminQueue: () => queue } as unknown as GatewayTransport;
  const backlog = new BacklogMonitor(transport, clock, silentLogger, 500);
  const a = new Admission(await admissionConfig({ route: { limit: 'off' } }), backlog);
  const q = 'service.echo.1.0.0.requests';
  assert.type(a.admit('echo', 'GET /echo/slow', 1_000, q), 'object', 'not read yet: admitted');
  await backlog.refresh();
  assert.is(reads, 1);
  assert.is(a.admit('echo', 'GET /echo/slow', 1_000, q), 'backlog', '700 ms waiting > 0.5 × 1000 ms');
  assert.type(a.admit('echo', 'GET /echo/slow', 2_000, q), 'object', 'a longer deadline leaves time');
  assert.type(a.admit('echo', 'GET /echo/slow', 1_000, undefined), 'object', 'a direct transport has no backlog');
  for (let i = 0; i < 1_000; i++) a.admit('echo', 'GET /echo/slow', 1_000, q);
  assert.is(reads, 1, 'decisions never read the backend');
});

const config = suite('admission and transport order config');

config('admission is on by default: an adaptive limit per route, no service limit, the backlog check', async () => {
  const c = await parseGatewayConfig(minimal, {});
  assert.is(c.admission.enabled, true);
  assert.is(c.admission.route.limit, 'adaptive');
  assert.is(c.admission.service.limit, 'off');
  assert.is(c.admission.backlog.enabled, true);
  assert.is(c.admission.retryAfterSeconds, 1);
  assert.equal(c.routing.transportOrder.services, {});
});

config('every problem is named with its key', async () => {
  const problems = await problemsOf(() =>
    parseGatewayConfig(
      {
        ...minimal,
        admission: { route: { limit: 'fast' }, service: { limit: 10, minLimit: 20, maxLimit: 10, initialLimit: 15 }, routes: { '/echo': { limit: 1 } }, backlog: { maxWaitShare: 2 } },
        routing: { transportOrder: { services: { echo: ['tcp', 'messaging'] }, routes: { 'GET /x': ['messaging', 'messaging'] } } },
      },
      {},
    ),
  );
  const text = problems.join('\n');
  for (const key of [
    'admission.route.limit',
    'admission.service.minLimit',
    'admission.service.initialLimit',
    'admission.routes./echo',
    'admission.backlog.maxWaitShare',
    'routing.transportOrder.services.echo.0',
    'routing.transportOrder.routes.GET /x',
  ]) {
    assert.ok(text.includes(key), `${key} in:\n${text}`);
  }
  assert.ok(text.includes('"tcp", which is not in transports'), text);
});

limits.run();
admission.run();
config.run();
