/**
 * Shared rate limits (docs/operations.md, "Shared rate limits") with real processes on a real
 * Valkey server: three gateway replicas with one per-route limit of 100 req/s, shared through
 * Valkey, admit 100 ± 5 requests per second in total under a load well above it; with the
 * server stopped, each replica's own limiter decides and the fallback is counted in /metrics.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { eventually } from '../harness/wait.js';

const server = await requireValkeyOrSkip('shared rate limits over Valkey');
const RATE = 100;
const LOAD_MS = 5_000;
/** Seconds of load not counted: the burst is spent, and the load generator is up to speed. */
const WARM_UP_S = 2;
const CONCURRENCY_PER_GATEWAY = 16;

const test = suite<{ procs: TsProcess[] }>('shared rate limits: three gateway replicas on one Valkey', { procs: [] });
test.after.each(async (ctx) => {
  await Promise.all(ctx.procs.map((p) => p.kill().catch(() => undefined)));
  ctx.procs.length = 0;
});
test.after(async () => {
  await server?.stop();
});

if (server === null) {
  test.skip('every case (SKIPPED: no server)', () => undefined);
} else {
  test(`three replicas at a shared ${RATE} req/s admit ${RATE} ± 5 per second together; with Valkey stopped each falls back to its own limiter and counts it`, async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-shared-limit-'));
    const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: `rl-${randomUUID().slice(0, 8)}` }, auth: authSection(newKeys()) };
    const echoConfig = join(dir, 'echo.json');
    writeFileSync(echoConfig, JSON.stringify({ service: { name: 'echo', version: '1.0.0', region: 'e2e' }, transports: [entry] }));
    const echo = spawnTs('examples/echo/main.ts', ['--config', echoConfig]);
    ctx.procs.push(echo);
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) {
      const file = join(dir, `gateway-${i}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          node: { id: `gw-rl-${i}-${randomUUID().slice(0, 6)}`, region: 'e2e' },
          http: { host: '127.0.0.1', port: 0 },
          transports: [entry],
          // Generous timeout: on a loaded test machine a slow answer must not turn into a local decision here.
          // The default burst (one second of the rate): a replica descheduled for a moment on a
          // loaded machine catches up after, instead of losing that moment's share.
          rateLimit: { perRoute: { requestsPerSecond: RATE }, shared: { timeoutMs: 1_000 } },
          // The request log says when each request started in the gateway (its time minus durationMs).
          log: { level: 'info', requests: true },
        }),
      );
      const gw = spawnTs('packages/gateway/src/cli.ts', ['--config', file]);
      ctx.procs.push(gw);
      urls.push((await gw.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string);
    }
    await echo.waitFor(/echo listening/, 30_000);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY_PER_GATEWAY * 2 });
    const get = (url: string, via: Agent = agent): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(`${url}/echo/limited`, { agent: via }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    for (const url of urls) await eventually(async () => (await get(url)) === 200, { within: 20_000, every: 200, what: `echo to be routed through ${url}` });
    // Let the burst the warm-up used refill.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const started = Date.now();
    const statuses = new Map<number, number>();
    const loop = async (url: string): Promise<void> => {
      while (Date.now() - started < LOAD_MS) {
        const status = await get(url);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(urls.flatMap((url) => Array.from({ length: CONCURRENCY_PER_GATEWAY }, () => loop(url))));
    const attempted = [...statuses.values()].reduce((a, b) => a + b, 0);
    const summary = `statuses ${JSON.stringify(Object.fromEntries(statuses))}`;
    assert.ok(attempted > ((RATE * LOAD_MS) / 1000) * 1.2, `the load stays above the limit (${attempted} requests in ${LOAD_MS} ms); ${summary}`);
    assert.equal([...statuses.keys()].sort(), [200, 429], `only 200 and 429; ${summary}`);
    // When each admitted request reached its gateway, from the three request logs (one clock);
    // the logs are written asynchronously, so wait until every 200 the load saw is in them.
    const refused: number[] = [];
    const admittedTimes = (): number[] => {
      const times: number[] = [];
      refused.length = 0;
      for (const gw of ctx.procs.slice(1)) {
        for (const line of gw.output().split('\n')) {
          if (!line.includes('"msg":"request"') || !line.includes('/echo/limited')) continue;
          const entry = JSON.parse(line) as { time: string; durationMs: number; status: number };
          const at = Date.parse(entry.time) - entry.durationMs - started;
          if (entry.status === 200 && at >= 0) times.push(at);
          if (entry.status === 429 && at >= 0) refused.push(at);
        }
      }
      return times;
    };
    const admitted = await eventually(() => {
      const times = admittedTimes();
      return times.length >= (statuses.get(200) ?? 0) ? times : undefined;
    }, { within: 10_000, what: `the gateways to log all ${statuses.get(200)} admitted requests` });
    // The first seconds hold the burst on top of the rate; count the whole seconds after them.
    const perSecond: number[] = [];
    for (let s = WARM_UP_S; s < LOAD_MS / 1000; s++) perSecond.push(admitted.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length);
    const refusedPerSecond = perSecond.map((_, i) => refused.filter((t) => t >= (WARM_UP_S + i) * 1000 && t < (WARM_UP_S + i + 1) * 1000).length);
    assert.ok(refusedPerSecond.every((n) => n > 0), `every counted second is over the limit (429s per second ${JSON.stringify(refusedPerSecond)}; a machine this loaded cannot drive the test); ${summary}`);
    // The rate over the counted seconds is the claim; a single second's count also carries the
    // jitter of when each request's log line says it arrived, so it gets a wider band.
    const mean = perSecond.reduce((a, b) => a + b, 0) / perSecond.length;
    assert.ok(Math.abs(mean - RATE) <= 5, `the three replicas admit ${RATE} ± 5 per second together (mean ${mean.toFixed(1)} over ${JSON.stringify(perSecond)}); ${summary}`);
    for (const n of perSecond) assert.ok(Math.abs(n - RATE) <= 20, `no second admits more than ${RATE} ± 20 across the three replicas: ${JSON.stringify(perSecond)}; ${summary}`);
    for (const url of urls) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.not.match(metrics, /switchyard_gateway_rate_limit_fallbacks_total\{[^}]*\} [1-9]/, `no local decisions while Valkey answers (${url})`);
    }
    console.log(`shared rate limit: admitted per second ${JSON.stringify(perSecond)}, refused per second ${JSON.stringify(refusedPerSecond)}, ${attempted} requests in ${LOAD_MS} ms`);

    await server.stop();
    // Once the replica has noticed (its readiness says so), every decision is its own limiter's.
    await eventually(async () => (await fetch(`${urls[0]}/health/ready`)).status === 503, { within: 15_000, every: 100, what: 'the gateway to notice Valkey is gone' });
    const fallback = new Map<number, number>();
    // At once, so the local bucket (100 + 100/s) cannot refill meanwhile.
    const wide = new Agent({ keepAlive: false, maxSockets: 250 });
    for (const status of await Promise.all(Array.from({ length: 250 }, () => get(urls[0] as string, wide)))) fallback.set(status, (fallback.get(status) ?? 0) + 1);
    wide.destroy();
    const fallbackSummary = JSON.stringify(Object.fromEntries(fallback));
    assert.ok((fallback.get(429) ?? 0) >= 100, `with Valkey stopped the replica's own limiter (burst 100) still limits: ${fallbackSummary}`);
    const metrics = await (await fetch(`${urls[0]}/metrics`)).text();
    const counted = [...metrics.matchAll(/^switchyard_gateway_rate_limit_fallbacks_total\{limit="route",reason="(\w+)"\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[2]), 0);
    assert.ok(counted >= 250, `every decision while Valkey is down is counted as a fallback (${counted}):\n${metrics.split('\n').filter((l) => l.includes('fallbacks')).join('\n')}`);
    agent.destroy();
  });
}

test.run();
