/**
 * `npm run bench:overload`: the gateway under 3× the load its one instance can serve, with
 * admission control on and off in the same run. The echo's `GET /echo/slow?ms=50` behind one echo
 * instance over Messaging/Valkey that runs at most `--instance-concurrency` handlers at once
 * (capacity = concurrency × 1000 / ms requests per second); the gateway's deadline is
 * `--deadline-ms`. The load is open-loop: requests start at a fixed rate whatever the answers do,
 * as real clients keep arriving at an overloaded service. Each mode gets its own gateway, echo and
 * queue prefix, and the modes alternate for `--rounds` rounds; medians of the rounds are reported.
 *
 * Per mode: goodput (2xx per second), the share of admitted requests (every request not shed
 * with 503 SY_GATEWAY_OVERLOADED) that got a 2xx within the deadline, p99 latency of admitted
 * requests, p99 latency of shed answers, and CPU-µs per request of the gateway, the echo and
 * Valkey (from /proc). `off` is the reference: the same gateway with `admission.enabled: false`.
 * Results go to bench/results/overload-<ts>.json and overload-latest.json; nothing is asserted.
 *
 *   npm run bench:overload                              30 s per mode, 1 round
 *   npm run bench:overload -- --duration 10 --rounds 3
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { CpuWindow, median, percentile, printTable, round, writeResults } from './lib/index.js';
import { silentLogger, systemClock } from '@switchyard/core';
import { repoRoot, spawnNode, type TsProcess } from '../test/harness/process.js';
import { Admission } from '../packages/gateway/src/admission/admission.js';
import { BacklogMonitor } from '../packages/gateway/src/admission/backlog-monitor.js';
import { parseGatewayConfig } from '../packages/gateway/src/index.js';
import { startValkey } from '../test/harness/valkey.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '3' },
    'handler-ms': { type: 'string', default: '50' },
    'instance-concurrency': { type: 'string', default: '8' },
    /** Offered load as a multiple of the instance's capacity. */
    overload: { type: 'string', default: '3' },
    'deadline-ms': { type: 'string', default: '1000' },
  },
  strict: true,
});

const DURATION_S = Number(values.duration);
const ROUNDS = Number(values.rounds);
const WARMUP_S = Number(values.warmup);
const HANDLER_MS = Number(values['handler-ms']);
const INSTANCE_CONCURRENCY = Number(values['instance-concurrency']);
const DEADLINE_MS = Number(values['deadline-ms']);
const CAPACITY_RPS = (INSTANCE_CONCURRENCY * 1000) / HANDLER_MS;
const OFFERED_RPS = Number(values.overload) * CAPACITY_RPS;
/** Requests are started in batches every TICK_MS (a timer per request would cost the load generator more than the gateway). */
const TICK_MS = 5;

type Mode = 'on' | 'off';

interface Sample {
  /** When the request was started, ms after the measurement began. */
  at: number;
  readonly ms: number;
  readonly status: number;
  readonly shed: boolean;
}

interface ModeResult {
  readonly mode: Mode;
  readonly offered: number;
  readonly goodputRps: number;
  readonly admitted: number;
  readonly shed: number;
  readonly admittedWithinDeadlineShare: number;
  readonly deadlineMisses: number;
  readonly p50AdmittedMs: number;
  readonly p99AdmittedMs: number;
  readonly p50ShedMs: number;
  readonly p99ShedMs: number;
  readonly statuses: Record<string, number>;
  readonly cpuUsPerRequest: Record<string, number>;
  /** p99 of this load generator's own event-loop delay (ms): a floor under every latency it measures. */
  readonly clientLoopDelayP99Ms: number;
  /**
   * The shed answers' p99 as the gateway measured it (request in → response written), as the
   * smallest bucket bound of its duration histogram that holds 99 % of them: admitted requests
   * take at least the handler's 50 ms, so the buckets up to 25 ms hold only shed answers. Free of
   * the load generator's own event-loop delay, which the client-side p99 includes.
   */
  gatewayShedP99AtMostMs?: number;
  /** Per second of the run: requests started, shed, admitted that missed the deadline, slowest shed answer (ms). */
  readonly bySecond?: Array<{ second: number; sent: number; shed: number; misses: number; maxShedMs: number }>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4_096 });

function get(url: string): Promise<Sample> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { agent, method: 'GET' }, (res) => {
      const shed = res.headers['x-switchyard-shed-reason'] !== undefined;
      res.resume();
      res.once('end', () => resolve({ at: started, ms: performance.now() - started, status: res.statusCode ?? 0, shed }));
    });
    req.once('error', () => resolve({ at: started, ms: performance.now() - started, status: 0, shed: false }));
    req.end();
  });
}

/** Offers `rps` requests per second to `url` for `seconds`, open-loop; resolves with every sample once all have answered. */
async function offer(url: string, rps: number, seconds: number): Promise<Sample[]> {
  const pending: Array<Promise<Sample>> = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  let sent = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rps);
    for (; sent < due; sent++) pending.push(get(url));
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const samples = await Promise.all(pending);
  for (const x of samples) x.at -= start;
  return samples;
}

function summarizeMode(mode: Mode, samples: readonly Sample[], seconds: number, cpu: Record<string, number>, clientLoopDelayP99Ms: number): ModeResult {
  const admitted = samples.filter((s) => !s.shed);
  const shed = samples.filter((s) => s.shed);
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
  const inTime = admitted.filter((s) => s.status >= 200 && s.status < 300 && s.ms <= DEADLINE_MS);
  const sorted = (xs: readonly Sample[]): number[] => xs.map((s) => s.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[String(s.status)] = (statuses[String(s.status)] ?? 0) + 1;
  const a = sorted(admitted);
  const sh = sorted(shed);
  return {
    mode,
    offered: samples.length,
    goodputRps: round(ok.length / seconds, 1),
    admitted: admitted.length,
    shed: shed.length,
    admittedWithinDeadlineShare: admitted.length === 0 ? 0 : round(inTime.length / admitted.length, 4),
    deadlineMisses: admitted.length - inTime.length,
    p50AdmittedMs: round(percentile(a, 50), 1),
    p99AdmittedMs: round(percentile(a, 99), 1),
    p50ShedMs: sh.length === 0 ? Number.NaN : round(percentile(sh, 50), 2),
    p99ShedMs: sh.length === 0 ? Number.NaN : round(percentile(sh, 99), 2),
    statuses,
    cpuUsPerRequest: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v, 1)])),
    clientLoopDelayP99Ms,
    bySecond: Array.from({ length: Math.ceil(seconds) }, (_, second) => {
      const inSecond = samples.filter((x) => Math.floor(x.at / 1000) === second);
      const shedHere = inSecond.filter((x) => x.shed);
      return {
        second,
        sent: inSecond.length,
        shed: shedHere.length,
        misses: inSecond.filter((x) => !x.shed && !(x.status >= 200 && x.status < 300 && x.ms <= DEADLINE_MS)).length,
        maxShedMs: round(Math.max(0, ...shedHere.map((x) => x.ms)), 1),
      };
    }),
  };
}

async function startPair(mode: Mode, valkeyUrl: string, dir: string): Promise<{ gateway: TsProcess; echo: TsProcess; url: string }> {
  const prefix = `overload-${mode}-${randomUUID().slice(0, 8)}`;
  const entry = { type: 'messaging', backend: 'valkey', valkey: { url: valkeyUrl }, queues: { prefix }, auth: { insecure: true } };
  const gwFile = join(dir, `gateway-${mode}.json`);
  writeFileSync(
    gwFile,
    JSON.stringify({
      node: { id: `gw-overload-${mode}`, region: 'bench' },
      http: { host: '127.0.0.1', port: 0 },
      transports: [entry],
      routing: { defaultTimeoutMs: DEADLINE_MS },
      health: { requiredServices: ['echo'] },
      auth: { anonymous: { subject: 'anonymous' } },
      log: { level: 'info', requests: false },
      validation: 'off',
      // Everything else at its default: this is the default admission behaviour.
      admission: { enabled: mode === 'on' },
    }),
  );
  const echoFile = join(dir, `echo-${mode}.json`);
  writeFileSync(echoFile, JSON.stringify({ service: { name: 'echo', version: '1.0.0', region: 'bench' }, transports: [{ ...entry, concurrency: INSTANCE_CONCURRENCY }] }));
  const gateway = spawnNode([], 'packages/gateway/dist/cli.js', ['--config', gwFile]);
  const url = (await gateway.waitFor(/gateway listening on (https?:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
  const echo = spawnNode([], 'examples/echo/dist/main.js', ['--config', echoFile]);
  await echo.waitFor(/echo listening/, 30_000);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (await fetch(`${url}/health/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 50));
  return { gateway, echo, url };
}

/** Cumulative counts of the gateway's request duration histogram by bucket bound (ms), over every route. */
async function durationBuckets(gatewayUrl: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(/^switchyard_gateway_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
    const le = /le="([^"]+)"/.exec(m[1] as string)?.[1];
    if (le === undefined || le === '+Inf') continue;
    const ms = Number(le) * 1000;
    buckets.set(ms, (buckets.get(ms) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/** The smallest bucket bound (ms, at most 25) under which 99 % of `shed` answers fell between two scrapes. */
function shedP99AtMost(before: Map<number, number>, after: Map<number, number>, shed: number): number | undefined {
  if (shed === 0) return undefined;
  for (const bound of [...after.keys()].filter((b) => b <= 25).sort((a, b) => a - b)) {
    if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= 0.99 * shed) return bound;
  }
  return undefined;
}

async function serverPid(url: string): Promise<number | undefined> {
  const client = new Redis(url, { lazyConnect: true });
  try {
    await client.connect();
    const info = await client.info('server');
    const m = /process_id:(\d+)/.exec(info);
    return m === null ? undefined : Number(m[1]);
  } finally {
    client.disconnect();
  }
}

function medianOf(mode: Mode, rounds: readonly ModeResult[]): ModeResult {
  const m = (f: (r: ModeResult) => number): number => median(rounds.map(f));
  const first = rounds[0] as ModeResult;
  const { bySecond: _perRound, ...rest } = first;
  return {
    ...rest,
    offered: m((r) => r.offered),
    goodputRps: m((r) => r.goodputRps),
    admitted: m((r) => r.admitted),
    shed: m((r) => r.shed),
    admittedWithinDeadlineShare: m((r) => r.admittedWithinDeadlineShare),
    deadlineMisses: m((r) => r.deadlineMisses),
    p50AdmittedMs: m((r) => r.p50AdmittedMs),
    p99AdmittedMs: m((r) => r.p99AdmittedMs),
    p50ShedMs: m((r) => r.p50ShedMs),
    p99ShedMs: m((r) => r.p99ShedMs),
    clientLoopDelayP99Ms: m((r) => r.clientLoopDelayP99Ms),
    gatewayShedP99AtMostMs: rounds.some((r) => r.gatewayShedP99AtMostMs === undefined) ? undefined : m((r) => r.gatewayShedP99AtMostMs as number),
    cpuUsPerRequest: Object.fromEntries(Object.keys(first.cpuUsPerRequest).map((k) => [k, m((r) => r.cpuUsPerRequest[k] ?? Number.NaN)])),
    mode,
  };
}

/**
 * The admission decision alone, in this process: admit + release of one route with the default
 * adaptive limit and a backlog check of a Messaging queue (figures in memory), ns per decision,
 * median of 5 runs of 200k. What a shed answer costs the gateway beyond parsing and writing HTTP.
 */
async function decisionCostNs(): Promise<number> {
  const config = (await parseGatewayConfig({ transports: [{ type: 'messaging', backend: 'memory' }] }, {})).admission;
  const backlog = new BacklogMonitor(undefined, systemClock, silentLogger, 250);
  const admission = new Admission(config, backlog);
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const n = 200_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const d = admission.admit('echo', 'GET /echo/slow', DEADLINE_MS, 'service.echo.1.0.0.requests');
      if (typeof d !== 'string') admission.release(d, 50, DEADLINE_MS);
    }
    runs.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return round(median(runs), 1);
}

execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: repoRoot, stdio: 'inherit' });
const decisionNs = await decisionCostNs();
process.stdout.write(`admission decision (admit + release, in process): ${decisionNs} ns\n`);
const startedAt = new Date();
const uptimeBefore = execFileSync('uptime').toString().trim();
const valkey = await startValkey();
if (valkey === null) {
  process.stderr.write('bench:overload needs a Valkey-compatible server (redis-server or valkey-server on PATH)\n');
  process.exit(1);
}
const valkeyPid = await serverPid(valkey.url);
const dir = mkdtempSync(join(tmpdir(), 'sy-bench-overload-'));
const rounds: Record<Mode, ModeResult[]> = { on: [], off: [] };
process.stdout.write(
  `overload: /echo/slow?ms=${HANDLER_MS}, one instance × ${INSTANCE_CONCURRENCY} handlers (capacity ${CAPACITY_RPS} req/s), offered ${OFFERED_RPS} req/s for ${DURATION_S} s, deadline ${DEADLINE_MS} ms\n${uptimeBefore}\n`,
);
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of (r % 2 === 0 ? ['on', 'off'] : ['off', 'on']) as Mode[]) {
      const pair = await startPair(mode, valkey.url, dir);
      try {
        const url = `${pair.url}/echo/slow?ms=${HANDLER_MS}`;
        // Warm up (JIT, connections, queues, the adaptive limit's first windows): under capacity,
        // then briefly at the offered load so the shedding path is compiled too, then let the
        // queue drain (what waited past its deadline is dropped by the instance).
        await offer(url, CAPACITY_RPS / 2, WARMUP_S);
        await offer(url, OFFERED_RPS, 2);
        await new Promise((r) => setTimeout(r, 2 * DEADLINE_MS));
        const pids: Record<string, number> = { gateway: pair.gateway.pid, echo: pair.echo.pid };
        if (valkeyPid !== undefined) pids.valkey = valkeyPid;
        const cpu = new CpuWindow(pids);
        const loopDelay = monitorEventLoopDelay({ resolution: 5 });
        loopDelay.enable();
        const bucketsBefore = await durationBuckets(pair.url);
        const samples = await offer(url, OFFERED_RPS, DURATION_S);
        loopDelay.disable();
        const bucketsAfter = await durationBuckets(pair.url);
        const result = summarizeMode(mode, samples, DURATION_S, cpu.perRequest(samples.length), round(loopDelay.percentile(99) / 1e6, 1));
        result.gatewayShedP99AtMostMs = shedP99AtMost(bucketsBefore, bucketsAfter, result.shed);
        rounds[mode].push(result);
        const { bySecond, ...headline } = result;
        process.stdout.write(`round ${r + 1} ${mode}: ${JSON.stringify(headline)}\n  per second [sent, shed, misses, slowest shed ms]: ${JSON.stringify(bySecond?.map((b) => [b.sent, b.shed, b.misses, b.maxShedMs]))}\n`);
      } finally {
        await pair.echo.stop();
        await pair.gateway.stop();
      }
    }
  }
} finally {
  agent.destroy();
  await valkey.stop();
}

const results = (['on', 'off'] as Mode[]).map((mode) => medianOf(mode, rounds[mode]));
printTable(results, [
  { title: 'admission', value: (r) => r.mode },
  { title: 'offered', value: (r) => r.offered },
  { title: 'goodput 2xx/s', value: (r) => r.goodputRps },
  { title: 'admitted', value: (r) => r.admitted },
  { title: 'shed', value: (r) => r.shed },
  { title: 'admitted in deadline', value: (r) => `${round(r.admittedWithinDeadlineShare * 100, 1)} %` },
  { title: 'deadline misses', value: (r) => r.deadlineMisses },
  { title: 'p99 admitted ms', value: (r) => r.p99AdmittedMs },
  { title: 'p50 shed ms', value: (r) => r.p50ShedMs },
  { title: 'p99 shed ms', value: (r) => r.p99ShedMs },
  { title: 'p99 shed ms at gateway', value: (r) => (r.gatewayShedP99AtMostMs === undefined ? '–' : `≤ ${r.gatewayShedP99AtMostMs}`) },
  { title: 'client loop p99 ms', value: (r) => r.clientLoopDelayP99Ms },
  { title: 'gateway µs/req', value: (r) => r.cpuUsPerRequest.gateway },
  { title: 'echo µs/req', value: (r) => r.cpuUsPerRequest.echo },
  { title: 'valkey µs/req', value: (r) => r.cpuUsPerRequest.valkey },
]);
const uptimeAfter = execFileSync('uptime').toString().trim();
const written = writeResults(
  'overload',
  {
    parameters: { durationS: DURATION_S, rounds: ROUNDS, warmupS: WARMUP_S, handlerMs: HANDLER_MS, instanceConcurrency: INSTANCE_CONCURRENCY, capacityRps: CAPACITY_RPS, offeredRps: OFFERED_RPS, deadlineMs: DEADLINE_MS, transport: 'messaging/valkey' },
    load: { uptimeBefore, uptimeAfter, loadavg: loadavg(), uptimeS: uptime() },
    admissionDecisionNs: decisionNs,
    results,
    rounds,
  },
  startedAt,
);
process.stdout.write(`${uptimeAfter}\nwritten ${written.file}\n`);
