/**
 * `npm run bench:http`: HTTP load through gateway → transport → echo, beside a
 * direct Node HTTP server doing the same echo, in the same run. The gateway, the echo service and
 * the direct server are separate processes, run from built JavaScript (`tsc -b` first, so tsx's
 * loader is not measured). The load generator is `wrk` when it is on PATH: autocannon is
 * JavaScript and takes about a core of its own, which on a small machine starves the three-process
 * gateway path far more than the one-process direct server and distorts the ratio. autocannon
 * (in-process) is the fallback; the JSON records which generator ran. For every
 * transport row × concurrency × payload: requests/s, p50/p99 latency, the ratio to direct, and
 * the gateway's peak RSS sampled over the run. Results go to bench/results/http-<ts>.json and
 * http-latest.json; nothing is asserted.
 *
 * Every row's processes are started once and run for the whole run. Each cell measures direct,
 * then every row, round-robin, `--rounds` times (the rows in reverse order every other round), and
 * reports the median of each (and every round in the JSON): on a shared or virtualised machine the
 * speed of the same server drifts by tens of percent within a minute, and measuring one row's
 * rounds after another's (or one back-to-back pair) can put a row in a fast moment and its
 * reference in a slow one. With `--reference`, each Switchyard row is also compared round by round
 * with the reference of its shape (the two measured in the same round), and the medians of those
 * paired ratios are printed in a second table and written as `againstReference`.
 *
 *   npm run bench:http                          every cell, 3 rounds of 5 s each
 *   npm run bench:http -- --duration 5          shorter cells
 *   npm run bench:http -- --concurrency 256 --size 256
 *   npm run bench:http -- --soak 300            the 5-minute RSS flatness run (c=256, 256 B)
 *   npm run bench:http -- --transport messaging/valkey     (several: --transport tcp,messaging/valkey)
 *   npm run bench:http -- --reference           also the minimal reference gateways (bench/reference/)
 *   npm run bench:http -- --base /tmp/before    every Switchyard row also as `base:<row>`, its gateway and
 *                                               echo run from that other checkout's build (`npm run
 *                                               build` done there): an A/B of a change in one run, rounds
 *                                               interleaved (with --reference, both compared with it)
 *   npm run bench:http -- --wakeups             also count setImmediates, timers, nextTicks and promises per
 *                                               request in each process (a counting hook: CPU figures of
 *                                               such a run are not comparable)
 *   npm run bench:http -- --profile /tmp/prof  also a CPU profile of every gateway and echo process, and
 *                                               their top functions and groups by share of busy time
 *                                               (printed and in the JSON; CPU figures of such a run
 *                                               are not comparable)
 *   npm run bench:http -- --validation          each row twice, schema validation off and on (row
 *                                               `<transport>+validation`), both posting a JSON body
 *                                               to echo's POST /echo/validated, which declares its schema
 *   npm run bench:http -- --edge                the client listener instead of the transport matrix:
 *                                               HTTP/1.1 over TLS (wrk, 640 connections), HTTP/2 over
 *                                               TLS and h2c (h2load, 64 connections × 10 streams), the
 *                                               gateway reaching the echo over tcp; CPU-µs per request
 *                                               per process, in the same run
 *
 * Transports are rows of TRANSPORTS: add one by giving the gateway's and echo's `transports`
 * entries (the tcp and tls rows come from @switchyard/transport-tcp; tls uses mutual TLS with
 * certificates made for the run).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { CpuWindow, median, printTable, processCpuMicros, profilePid, round, summarizeCpuProfile, writeResults, type ProfileItem, type ProfileSummary } from './lib/index.js';
import { Redis } from 'ioredis';
import { freePort, repoRoot, spawnNode, type TsProcess } from '../test/harness/process.js';
import { startValkey, type ValkeyServer } from '../test/harness/valkey.js';
import { authSection, newKeys } from '../test/harness/frame-keys.js';
import { createTestPki, type TestPki } from '../test/harness/certs.js';

const { values } = parseArgs({
  options: {
    /** Seconds per measurement; each cell measures direct and gateway `rounds` times, interleaved. */
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string' },
    size: { type: 'string' },
    transport: { type: 'string' },
    /** Also measure the minimal reference gateways of bench/reference/ (rows reference/valkey, reference/tcp). */
    reference: { type: 'boolean', default: false },
    /** Also every Switchyard row as `base:<row>`, run from this other checkout's build. */
    base: { type: 'string' },
    soak: { type: 'string' },
    'log-requests': { type: 'boolean', default: false },
    /** Use autocannon even when wrk is installed (to compare with older results). */
    autocannon: { type: 'boolean', default: false },
    /** Measure the client listener (EDGE_ROWS) instead of the transport matrix. */
    edge: { type: 'boolean', default: false },
    /** Extra node flags for the gateway and echo processes, e.g. "--max-semi-space-size=16". */
    'node-args': { type: 'string', default: '' },
    /**
     * Count, per request and process, the setImmediates, timers, nextTicks and promises made in
     * the measured window (bench/lib/wakeup-counter.mjs, preloaded). The counting hook costs CPU:
     * read the counts from such a run, and CPU and throughput from a run without it.
     */
    wakeups: { type: 'boolean', default: false },
    /** Every Switchyard row also as `<transport>+validation` (gateway `validation: requests`); all rows then post JSON to /echo/validated. */
    validation: { type: 'boolean', default: false },
    /**
     * A directory for a CPU profile of every gateway and echo process (`node --cpu-prof`); their
     * top functions and groups by share of busy time are printed and written to the results. The
     * profiler costs CPU: read CPU and throughput from a run without it.
     */
    profile: { type: 'string' },
  },
  strict: true,
});

interface BenchContext {
  readonly valkey: ValkeyServer | null;
  /** Certificates for the TLS row, made for this run (test/harness/certs.ts). */
  readonly pki: TestPki | null;
}

interface TransportEntries {
  gateway: Record<string, unknown>[];
  echo: Record<string, unknown>[];
}

interface TransportRow {
  readonly name: string;
  /** Needs the harness Valkey server. */
  readonly needsValkey: boolean;
  /** Needs test certificates (ctx.pki). */
  readonly needsPki?: boolean;
  /** The gateway validates requests against echo's schemas (`validation: requests`); otherwise `validation: off`. */
  readonly validation?: boolean;
  /** Switchyard rows: the `transports` entries of the gateway's and the echo's config. */
  entries?(ctx: BenchContext): TransportEntries | Promise<TransportEntries>;
  /**
   * Reference rows (`--reference`): a minimal hand-written gateway and worker of the same shape
   * (bench/reference/), started with these arguments, instead of Switchyard's.
   */
  reference?: { readonly gateway: string; readonly worker: string; args(ctx: BenchContext): string[] | Promise<string[]> };
  /**
   * Switchyard rows: the reference row of the same shape (`--reference`). Each round of this row
   * is paired with that row's round of the same cell, measured within the same half minute, and
   * the pairs' ratios are reported (`againstReference`).
   */
  comparedWith?: string;
  /** `--edge` rows: the gateway's `http` config and how the load reaches it. */
  edge?: EdgeLoad & { http(ctx: BenchContext): Record<string, unknown> };
  /** `--base` rows: the checkout whose built gateway and echo this row runs (else this one). */
  root?: string;
}

/** How an `--edge` row is loaded: wrk (HTTP/1.1, one request per connection at a time) or h2load (HTTP/2, `streams` per connection). */
interface EdgeLoad {
  readonly generator: 'wrk' | 'h2load';
  readonly connections: number;
  /** Concurrent streams per connection (h2load -m). */
  readonly streams?: number;
}

/** A Messaging-over-Valkey row whose gateway and echo share one entry, with the `auth` section `auth()` gives. */
function valkeyRow(name: string, auth: () => Record<string, unknown>): TransportRow {
  return {
    name,
    needsValkey: true,
    comparedWith: 'reference/valkey',
    entries: (ctx) => {
      const entry = { type: 'messaging', backend: 'valkey', valkey: { url: ctx.valkey?.url }, queues: { prefix: `bench-${randomUUID().slice(0, 8)}` }, auth: auth() };
      return { gateway: [entry], echo: [entry] };
    },
  };
}

/** The transport table: one row per way the gateway reaches the echo service. */
const TRANSPORTS: readonly TransportRow[] = [
  // Signed frames, as a production deployment runs them: the row includes their cost.
  valkeyRow('messaging/valkey', () => authSection(newKeys())),
  // The same path with frames unsigned: beside the row above, the cost of signing and verifying.
  valkeyRow('messaging/valkey-unsigned', () => ({ insecure: true })),
  {
    name: 'tcp',
    needsValkey: false,
    comparedWith: 'reference/tcp',
    entries: async () => {
      const entry = { type: 'tcp', host: '127.0.0.1', port: await freePort() };
      return { gateway: [entry], echo: [entry] };
    },
  },
  {
    name: 'tls',
    needsValkey: false,
    needsPki: true,
    entries: async (ctx) => {
      const pki = ctx.pki!;
      const port = await freePort();
      return {
        gateway: [{ type: 'tls', host: '127.0.0.1', port, cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: true }],
        echo: [{ type: 'tls', host: '127.0.0.1', port, cert: pki.client.cert, key: pki.client.key, ca: pki.ca.cert }],
      };
    },
  },
];

/**
 * `--edge` rows: one gateway per listener configuration, the echo behind it over tcp. The h2 rows
 * run 64 connections × 10 streams against the h1 row's 640 connections: the same requests in
 * flight, so CPU per request compares the protocols rather than the concurrency.
 */
const tcpEntries = async (): Promise<TransportEntries> => {
  const entry = { type: 'tcp', host: '127.0.0.1', port: await freePort() };
  return { gateway: [entry], echo: [entry] };
};
const edgeTls = (ctx: BenchContext): Record<string, unknown> => ({ tls: { cert: ctx.pki?.server.cert, key: ctx.pki?.server.key } });
const EDGE_ROWS: readonly TransportRow[] = [
  { name: 'edge/h1-tls', needsValkey: false, needsPki: true, entries: tcpEntries, edge: { generator: 'wrk', connections: 640, http: edgeTls } },
  {
    name: 'edge/h2-tls',
    needsValkey: false,
    needsPki: true,
    entries: tcpEntries,
    edge: { generator: 'h2load', connections: 64, streams: 10, http: (ctx) => ({ ...edgeTls(ctx), http2: true }) },
  },
  {
    name: 'edge/h1-tls-on-h2-listener',
    needsValkey: false,
    needsPki: true,
    entries: tcpEntries,
    edge: { generator: 'wrk', connections: 640, http: (ctx) => ({ ...edgeTls(ctx), http2: true }) },
  },
  { name: 'edge/h2c', needsValkey: false, entries: tcpEntries, edge: { generator: 'h2load', connections: 64, streams: 10, http: () => ({ http2: true }) } },
];

/**
 * `--reference` adds these rows: the least code of each shape, with none of Switchyard's routing,
 * policy, deadlines, cancellation, fencing or redelivery. They show what this machine allows for
 * the shape, measured against the same direct server in the same run.
 */
const REFERENCES: readonly TransportRow[] = [
  {
    name: 'reference/valkey',
    needsValkey: true,
    reference: { gateway: 'valkey-gateway.mjs', worker: 'valkey-worker.mjs', args: (ctx) => [ctx.valkey?.url ?? '', `ref-${randomUUID().slice(0, 8)}`] },
  },
  {
    name: 'reference/tcp',
    needsValkey: false,
    reference: { gateway: 'tcp-gateway.mjs', worker: 'tcp-worker.mjs', args: async () => [String(await freePort())] },
  },
];

const soakSeconds = values.soak === undefined ? undefined : Number(values.soak);
const DURATION_S = Number(values.duration);
const ROUNDS = Math.max(1, Math.floor(Number(values.rounds)));
const WARMUP_S = Number(values.warmup);
const CONCURRENCY: readonly number[] = soakSeconds !== undefined ? [256] : values.concurrency === undefined ? [1, 16, 256] : values.concurrency.split(',').map(Number);
// --edge compares protocols at one small body unless told otherwise.
const SIZES: readonly number[] = soakSeconds !== undefined || (values.edge && values.size === undefined) ? [256] : values.size === undefined ? [256, 16 * 1024] : values.size.split(',').map(Number);


/** The slice of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { average: number; p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}) => Promise<AutocannonResult>;

interface LoadResult {
  readonly requestsPerSecond: number;
  /** Requests completed in the measured window. */
  readonly requests: number;
  /**
   * CPU-µs per request of each process of the path over the measured window (from /proc), and
   * their sum as `total`; the load generator is not counted.
   */
  readonly cpuUsPerRequest: Readonly<Record<string, number>>;
  /** Valkey rows: commands the server ran per request over the window, by command (INFO commandstats; scripts count as `evalsha`, the commands inside them under their own names too). */
  readonly valkeyCommandsPerRequest?: Readonly<Record<string, number>>;
  /** Valkey rows: the server's µs inside each command per request over the window (INFO commandstats' usec; a script's `evalsha` time includes the commands inside it). */
  readonly valkeyCommandUsPerRequest?: Readonly<Record<string, number>>;
  /** With --wakeups: per process, setImmediates, timers, nextTicks and promises made per request over the window. */
  readonly wakeupsPerRequest?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly meanMs: number;
  /**
   * Whether the latency figures pass a Little's-law check: with N connections each waiting for
   * its answer, mean latency × req/s cannot exceed N. On the 2-core bench machine wrk now and
   * then reports latencies up to ~2 s for a bare Node server serving 12k req/s over 256
   * connections (mean × req/s ≈ 1000 outstanding); such a round's req/s stands, its latencies
   * do not. Medians of p50/p99 use only the rounds that pass.
   */
  readonly latencyConsistent: boolean;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
}

/** wrk's path when it is on PATH (and not disabled by --autocannon), else undefined. */
function findWrk(): string | undefined {
  if (values.autocannon) return undefined;
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const WRK = findWrk();
const GENERATOR = WRK === undefined ? 'autocannon' : 'wrk';
const WAKEUP_COUNTER = join(repoRoot, 'bench/lib/wakeup-counter.mjs');
const NODE_ARGS: readonly string[] = [
  ...values['node-args'].split(' ').filter((a) => a !== ''),
  ...(values.wakeups ? ['--import', WAKEUP_COUNTER] : []),
  ...(values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`]),
];

/**
 * What the load posts. With --validation: a JSON body `{"data":"aaa…"}` of the cell's size to
 * POST /echo/validated, whose body schema the gateway checks on the +validation rows.
 */
const TARGET_PATH = values.validation ? '/echo/validated' : '/echo/bench';
const CONTENT_TYPE = values.validation ? 'application/json' : 'application/octet-stream';
const JSON_OVERHEAD = '{"data":""}'.length;
const requestBody = (size: number): Buffer =>
  values.validation ? Buffer.from(`{"data":"${'a'.repeat(Math.max(0, size - JSON_OVERHEAD))}"}`) : Buffer.alloc(size, 0x61);

/** Loads `url` and reads the CPU that each process in `pids` spent over the same window. */
async function load(url: string, connections: number, size: number, seconds: number, pids: Readonly<Record<string, number>> = {}, edge?: EdgeLoad, valkeyUrl?: string): Promise<LoadResult> {
  const commandsBefore = valkeyUrl === undefined ? undefined : await commandStats(valkeyUrl);
  const wakeupPids = values.wakeups ? Object.entries(pids).filter(([name]) => name !== 'valkey') : [];
  const wakeupsBefore = await Promise.all(wakeupPids.map(([, pid]) => wakeupCounts(pid)));
  const cpu = new CpuWindow(pids);
  let generating: Promise<GeneratorResult>;
  if (edge?.generator === 'h2load') generating = loadH2load(url, edge.connections, edge.streams ?? 1, size, seconds);
  else if (edge !== undefined) generating = loadWrk(requireWrk(), url, connections, size, seconds);
  else generating = WRK === undefined ? loadAutocannon(url, connections, size, seconds) : loadWrk(WRK, url, connections, size, seconds);
  const r = await generating;
  const cpuUsPerRequest = cpu.perRequest(r.requests);
  const commandsAfter = commandsBefore === undefined || valkeyUrl === undefined ? undefined : await commandStats(valkeyUrl);
  const commands = commandsBefore === undefined || commandsAfter === undefined ? undefined : perRequest(commandsBefore, commandsAfter, r.requests, 'calls', 3);
  const commandUs = commandsBefore === undefined || commandsAfter === undefined ? undefined : perRequest(commandsBefore, commandsAfter, r.requests, 'usec', 2);
  const wakeupsAfter = await Promise.all(wakeupPids.map(([, pid]) => wakeupCounts(pid)));
  const wakeups =
    wakeupPids.length === 0
      ? undefined
      : Object.fromEntries(
          wakeupPids.map(([name], i) => {
            const before = wakeupsBefore[i] as Record<string, number>;
            const after = wakeupsAfter[i] as Record<string, number>;
            return [name, Object.fromEntries(Object.keys(after).map((k) => [k, round(((after[k] ?? 0) - (before[k] ?? 0)) / Math.max(1, r.requests), 2)]))];
          }),
        );
  return withLatencyCheck(
    {
      ...r,
      cpuUsPerRequest,
      ...(commands === undefined ? {} : { valkeyCommandsPerRequest: commands }),
      ...(commandUs === undefined ? {} : { valkeyCommandUsPerRequest: commandUs }),
      ...(wakeups === undefined ? {} : { wakeupsPerRequest: wakeups }),
    },
    connections * (edge?.streams ?? 1),
  );
}

/** The counts so far of a process started with the wake-up counter: asks it (SIGUSR2) to write them, then reads the file. */
async function wakeupCounts(pid: number): Promise<Record<string, number>> {
  const file = join(dir, `wakeups-${pid}.json`);
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`process ${pid} wrote no wake-up counts (started without --wakeups?): ${String(err)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** One command's totals so far in INFO commandstats: calls, and µs spent inside it. */
interface CommandTotals {
  readonly calls: number;
  readonly usec: number;
}

/** Calls and µs per command so far on the server at `url` (INFO commandstats). */
async function commandStats(url: string): Promise<Map<string, CommandTotals>> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const out = new Map<string, CommandTotals>();
    for (const m of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      out.set(m[1] as string, { calls: Number(m[2]), usec: Number(m[3]) });
    }
    // The socket reads and writes the server made, as two pseudo-commands: each costs it a syscall
    // (and a read, an event-loop turn), so a client that writes its commands one by one shows here.
    const stats = await client.info('stats');
    for (const name of ['reads', 'writes']) {
      const calls = Number(new RegExp(`^total_${name}_processed:(\\d+)`, 'm').exec(stats)?.[1] ?? Number.NaN);
      if (!Number.isNaN(calls)) out.set(`(socket ${name})`, { calls, usec: 0 });
    }
    return out;
  } finally {
    client.disconnect();
  }
}

/** Calls or µs per request and command between two commandstats readings (the readings' own INFO calls left out), largest first. */
function perRequest(before: Map<string, CommandTotals>, after: Map<string, CommandTotals>, requests: number, figure: keyof CommandTotals, digits: number): Record<string, number> {
  const out: Array<[string, number]> = [];
  for (const [name, totals] of after) {
    if (name === 'info' || requests <= 0) continue;
    const n = (totals[figure] - (before.get(name)?.[figure] ?? 0)) / requests;
    if (n >= 0.5 * 10 ** -digits) out.push([name, round(n, digits)]);
  }
  return Object.fromEntries(out.sort((a, b) => b[1] - a[1]));
}

function requireWrk(): string {
  if (WRK === undefined) throw new Error('--edge measures HTTP/1.1 with wrk: install it (Debian: apt-get install wrk)');
  return WRK;
}

/** h2load's POST body, one file per size. */
const h2loadBodies = new Map<number, string>();

/** Loads `url` with h2load (HTTP/2: ALPN h2 on https, prior knowledge on http), one thread like wrk. */
async function loadH2load(url: string, connections: number, streams: number, size: number, seconds: number): Promise<GeneratorResult> {
  let body = h2loadBodies.get(size);
  if (body === undefined) {
    body = join(dir, `body-${size}.bin`);
    writeFileSync(body, Buffer.alloc(size, 0x61));
    h2loadBodies.set(size, body);
  }
  const args = ['-t1', `-c${connections}`, `-m${streams}`, '-D', String(Math.max(1, Math.round(seconds))), '-d', body, '-H', 'content-type: application/octet-stream', `${url}/echo/bench`];
  const child = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  // h2load waits for every client to connect before its duration starts: bound the whole run.
  const limit = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`h2load cannot run (Debian: apt-get install nghttp2-client): ${err.message}`)));
    child.once('close', resolve);
  }).finally(() => clearTimeout(limit));
  if (code !== 0) throw new Error(`h2load ${args.join(' ')} exited ${String(code)} (killed after ${seconds + 30} s?): ${out.slice(-2000)}`);
  return parseH2load(out);
}

const H2LOAD_UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

/**
 * Parses h2load's summary: req/s, the done/errored/timeout counts, status codes and the mean
 * "time for request". h2load prints no percentiles: p50 and p99 are NaN (null in the JSON).
 */
function parseH2load(out: string): GeneratorResult {
  const rps = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out);
  const counts = /requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, \d+ failed, (\d+) errored, (\d+) timeout/.exec(out);
  const statuses = /status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const mean = /time for request:\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s)\s/.exec(out);
  if (rps === null || counts === null || statuses === null || mean === null) throw new Error(`cannot read h2load output: ${out.slice(-2000)}`);
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(counts[1]),
    meanMs: round(Number(mean[1]) * (H2LOAD_UNIT_MS[mean[2] as string] as number), 3),
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    errors: Number(counts[2]) + Number(counts[3]),
    non2xx: Number(statuses[1]) + Number(statuses[2]) + Number(statuses[3]),
  };
}

/** What a load generator reports, before CPU and the latency check are added. */
type GeneratorResult = Omit<LoadResult, 'latencyConsistent' | 'cpuUsPerRequest'>;

/** wrk's POST body and headers come from a Lua script; one per body size, written once. */
const wrkScripts = new Map<number, string>();
function wrkScript(size: number): string {
  let file = wrkScripts.get(size);
  if (file === undefined) {
    file = join(dir, `post-${size}.lua`);
    writeFileSync(file, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(requestBody(size).toString('utf8'))}\nwrk.headers["Content-Type"] = "${CONTENT_TYPE}"\n`);
    wrkScripts.set(size, file);
  }
  return file;
}

async function loadWrk(wrk: string, url: string, connections: number, size: number, seconds: number): Promise<GeneratorResult> {
  // One thread: a second wrk thread would take CPU from the processes being measured.
  const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--latency', '-s', wrkScript(size), `${url}${TARGET_PATH}`];
  const child = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`wrk exited ${String(code)}: ${out.slice(-2000)}`);
  return parseWrk(out);
}

/** Allowed excess of mean latency × req/s over the connection count (window edges, sampling). */
const LITTLE_SLACK = 1.25;

function withLatencyCheck(r: Omit<LoadResult, 'latencyConsistent'>, connections: number): LoadResult {
  return { ...r, latencyConsistent: (r.meanMs / 1000) * r.requestsPerSecond <= connections * LITTLE_SLACK };
}

/** Parses `wrk --latency` output: Requests/sec, the 50 % and 99 % latency lines, errors, non-2xx. */
function parseWrk(out: string): GeneratorResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in /.exec(out);
  if (rps === null || total === null) throw new Error(`cannot read wrk output: ${out.slice(-2000)}`);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(total[1]),
    meanMs: wrkMeanLatencyMs(out),
    p50Ms: wrkLatencyMs(out, '50'),
    p99Ms: wrkLatencyMs(out, '99'),
    errors: socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
  };
}

const WRK_UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** The mean of wrk's "Latency" thread-stats line (Avg, Stdev, Max, +/- Stdev). */
function wrkMeanLatencyMs(out: string): number {
  const m = /^\s*Latency\s+([\d.]+)(us|ms|s|m)\s/m.exec(out);
  if (m === null) throw new Error(`wrk output has no Latency line: ${out.slice(-2000)}`);
  return round(Number(m[1]) * (WRK_UNIT_MS[m[2] as string] as number), 3);
}

function wrkLatencyMs(out: string, percentile: string): number {
  const m = new RegExp(`^\\s*${percentile}(?:\\.0+)?%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
  if (m === null) throw new Error(`wrk output has no ${percentile}% latency line: ${out.slice(-2000)}`);
  return round(Number(m[1]) * (WRK_UNIT_MS[m[2] as string] as number), 3);
}

async function loadAutocannon(url: string, connections: number, size: number, seconds: number): Promise<GeneratorResult> {
  const result = await autocannon({
    url: `${url}${TARGET_PATH}`,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE },
    body: requestBody(size),
  });
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    meanMs: result.latency.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Samples a process's resident set size every 250 ms (Linux /proc). */
class RssSampler {
  readonly samplesMiB: number[] = [];
  private stop: (() => void) | undefined;
  constructor(private readonly pid: number) {}
  /** Samples while the gateway is under load; paused while the direct server is measured. */
  resume(): void {
    if (this.stop !== undefined) return;
    const timer = setInterval(() => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
        if (m !== null) this.samplesMiB.push(Number(m[1]) / 1024);
      } catch {
        // the process is gone; the last sample stands
      }
    }, 250);
    this.stop = () => clearInterval(timer);
  }
  pause(): void {
    this.stop?.();
    this.stop = undefined;
  }
  end(): { peakMiB: number; firstThirdPeakMiB: number; lastThirdPeakMiB: number; growthPct: number; flat: boolean } {
    this.pause();
    const s = this.samplesMiB;
    const third = Math.max(1, Math.floor(s.length / 3));
    const first = Math.max(...s.slice(0, third));
    const last = Math.max(...s.slice(-third));
    const growthPct = ((last - first) / first) * 100;
    // "Flat": the last third's peak is within 10 % of the first third's.
    return { peakMiB: round(Math.max(...s), 1), firstThirdPeakMiB: round(first, 1), lastThirdPeakMiB: round(last, 1), growthPct: round(growthPct, 1), flat: growthPct < 10 };
  }
}

/** A row's CPU-µs per request, process by process and summed: "41.2+30.1+25.0 = 96.3". */
function cpuText(r: LoadResult): string {
  const cpu = r.cpuUsPerRequest;
  const parts = ['gateway', 'service', 'valkey'].filter((p) => cpu[p] !== undefined).map((p) => round(cpu[p] as number, 1));
  return `${parts.join('+')} = ${round(cpu.total ?? 0, 1)}`;
}

/** Valkey commands per request, for the progress line: " | cmds/req 3.1: evalsha 1.0, xadd 1.0, …". */
function commandsText(r: LoadResult): string {
  const w = r.wakeupsPerRequest;
  const wakeups = w === undefined ? '' : ` | per request: ${Object.entries(w).map(([p, k]) => `${p} ${Object.entries(k).map(([n, v]) => `${n} ${v}`).join(', ')}`).join('; ')}`;
  const c = r.valkeyCommandsPerRequest;
  if (c === undefined) return wakeups;
  const total = Object.entries(c).reduce((sum, [name, n]) => (name === 'evalsha' || name.startsWith('(') ? sum : sum + n), 0);
  const us = r.valkeyCommandUsPerRequest ?? {};
  const usText = Object.entries(us).map(([name, n]) => `${name} ${n}`).join(', ');
  return ` | cmds/req ${round(total, 2)}: ${Object.entries(c).map(([name, n]) => `${name} ${n}`).join(', ')} | Valkey µs/req by command: ${usText}${wakeups}`;
}

/** Per-figure medians over rounds, with how many rounds the latency medians rest on. */
interface MedianResult extends LoadResult {
  /** Rounds whose latencies passed the Little's-law check (the latency medians use these). */
  readonly latencyRounds: number;
  readonly rounds: number;
}

/**
 * A Switchyard row against its reference, round by round: round i of each was measured in the
 * same round of the cell, within the same half minute, so each ratio compares the two under the
 * same machine. On a shared machine whose speed drifts by tens of percent within a minute, a
 * ratio of the two rows' separate medians can set a fast minute of one against a slow minute of
 * the other; a paired ratio cannot.
 */
interface PairedRatios {
  readonly reference: string;
  /** Total CPU-µs per request, this row's over the reference's, per round. */
  readonly cpu: readonly number[];
  /** The same for each process both rows have (gateway, service, valkey), per round. */
  readonly cpuByProcess: Readonly<Record<string, readonly number[]>>;
  readonly requestsPerSecond: readonly number[];
  /** p50 and p99 per round. */
  readonly p50: readonly number[];
  readonly p99: readonly number[];
  /** Per round: both rounds of the pair passed the Little's-law check (MedianResult). */
  readonly latencyConsistent: readonly boolean[];
  /**
   * Medians of the rounds above. Latency medians use the pairs that passed the check when at
   * least half did; otherwise every pair (one passing pair of four is as likely an outlier as
   * not), and `latencyFromAllRounds` says so.
   */
  readonly median: { readonly cpu: number; readonly cpuByProcess: Readonly<Record<string, number>>; readonly requestsPerSecond: number; readonly p50: number; readonly p99: number };
  readonly latencyFromAllRounds: boolean;
}

function pairedRatios(rows: readonly LoadResult[], references: readonly LoadResult[], reference: string): PairedRatios {
  const pairs = rows.map((r, i) => [r, references[i] as LoadResult] as const);
  const ratio = (a: number, b: number): number => round(a / b, 3);
  const cpuOf = (name: string): number[] => pairs.map(([r, ref]) => ratio(r.cpuUsPerRequest[name] ?? Number.NaN, ref.cpuUsPerRequest[name] ?? Number.NaN));
  const cpu = cpuOf('total');
  const processes = Object.keys(rows[0]?.cpuUsPerRequest ?? {}).filter((name) => name !== 'total' && references[0]?.cpuUsPerRequest[name] !== undefined);
  const cpuByProcess = Object.fromEntries(processes.map((name) => [name, cpuOf(name)]));
  const requestsPerSecond = pairs.map(([r, ref]) => ratio(r.requestsPerSecond, ref.requestsPerSecond));
  const p50 = pairs.map(([r, ref]) => ratio(r.p50Ms, ref.p50Ms));
  const p99 = pairs.map(([r, ref]) => ratio(r.p99Ms, ref.p99Ms));
  const latencyConsistent = pairs.map(([r, ref]) => r.latencyConsistent && ref.latencyConsistent);
  const latencyFromAllRounds = 2 * latencyConsistent.filter(Boolean).length < latencyConsistent.length;
  const latencyMedian = (values: readonly number[]): number => round(median(latencyFromAllRounds ? values : values.filter((_, i) => latencyConsistent[i])), 3);
  return {
    reference,
    cpu,
    cpuByProcess,
    requestsPerSecond,
    p50,
    p99,
    latencyConsistent,
    median: {
      cpu: round(median(cpu), 3),
      cpuByProcess: Object.fromEntries(Object.entries(cpuByProcess).map(([name, values]) => [name, round(median(values), 3)])),
      requestsPerSecond: round(median(requestsPerSecond), 3),
      p50: latencyMedian(p50),
      p99: latencyMedian(p99),
    },
    latencyFromAllRounds,
  };
}

/** A paired latency median, marked "!" when fewer than half the pairs passed the Little's-law check (every pair was used). */
const pairedLatency = (paired: PairedRatios, value: number): string => (paired.latencyFromAllRounds ? `${value} !` : String(value));
/** Paired latency ratios by round, "?" after those of a pair that failed the Little's-law check. */
const pairedLatencyRounds = (paired: PairedRatios, values: readonly number[]): string => values.map((v, i) => (paired.latencyConsistent[i] === true ? String(v) : `${v}?`)).join(' ');

function pairedText(paired: PairedRatios | null): string {
  if (paired === null) return '';
  const { median: m } = paired;
  return ` | against ${paired.reference}, medians of paired rounds: CPU ${m.cpu}× (${paired.cpu.join(' ')}), req/s ${m.requestsPerSecond}×, p50 ${pairedLatency(paired, m.p50)}×, p99 ${pairedLatency(paired, m.p99)}×`;
}

/**
 * The median of each figure over rounds (each taken on its own: the median round for req/s need
 * not be the one for p99); errors are summed. Latency medians use only the rounds whose latencies
 * pass the Little's-law check; when none does, all rounds, and `latencyConsistent` is false.
 */
function medianResult(rounds: readonly LoadResult[]): MedianResult {
  const consistent = rounds.filter((r) => r.latencyConsistent);
  const forLatency = consistent.length > 0 ? consistent : rounds;
  const processes = [...new Set(rounds.flatMap((r) => Object.keys(r.cpuUsPerRequest)))];
  const cpuUsPerRequest = Object.fromEntries(
    processes.map((p) => [p, round(median(rounds.map((r) => r.cpuUsPerRequest[p]).filter((v): v is number => v !== undefined)), 1)]),
  );
  const commandNames = [...new Set(rounds.flatMap((r) => Object.keys(r.valkeyCommandsPerRequest ?? {})))];
  const valkeyCommandsPerRequest =
    commandNames.length === 0 ? undefined : Object.fromEntries(commandNames.map((n) => [n, round(median(rounds.map((r) => r.valkeyCommandsPerRequest?.[n] ?? 0)), 3)]));
  const usNames = [...new Set(rounds.flatMap((r) => Object.keys(r.valkeyCommandUsPerRequest ?? {})))];
  const valkeyCommandUsPerRequest =
    usNames.length === 0 ? undefined : Object.fromEntries(usNames.map((n) => [n, round(median(rounds.map((r) => r.valkeyCommandUsPerRequest?.[n] ?? 0)), 2)]));
  const wakeupProcesses = [...new Set(rounds.flatMap((r) => Object.keys(r.wakeupsPerRequest ?? {})))];
  const wakeupsPerRequest =
    wakeupProcesses.length === 0
      ? undefined
      : Object.fromEntries(
          wakeupProcesses.map((p) => {
            const kinds = [...new Set(rounds.flatMap((r) => Object.keys(r.wakeupsPerRequest?.[p] ?? {})))];
            return [p, Object.fromEntries(kinds.map((k) => [k, round(median(rounds.map((r) => r.wakeupsPerRequest?.[p]?.[k] ?? 0)), 2)]))];
          }),
        );
  return {
    ...(valkeyCommandsPerRequest === undefined ? {} : { valkeyCommandsPerRequest }),
    ...(valkeyCommandUsPerRequest === undefined ? {} : { valkeyCommandUsPerRequest }),
    ...(wakeupsPerRequest === undefined ? {} : { wakeupsPerRequest }),
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    requests: median(rounds.map((r) => r.requests)),
    cpuUsPerRequest,
    meanMs: median(forLatency.map((r) => r.meanMs)),
    latencyConsistent: consistent.length > 0,
    p50Ms: median(forLatency.map((r) => r.p50Ms)),
    p99Ms: median(forLatency.map((r) => r.p99Ms)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    latencyRounds: consistent.length,
    rounds: rounds.length,
  };
}

/** The pid of the Valkey server at `url` (INFO server), when it runs on this machine; undefined otherwise. */
async function serverPid(url: string): Promise<number | undefined> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const m = /process_id:(\d+)/.exec(await client.info('server'));
    const pid = m === null ? undefined : Number(m[1]);
    return pid !== undefined && processCpuMicros(pid) !== undefined ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

function startDirect(): Promise<{ child: ChildProcess; url: string }> {
  // The same echo body as the echo service and the reference workers (bench/reference/echo-body.mjs).
  const child = spawn(process.execPath, [...(values.wakeups ? ['--import', WAKEUP_COUNTER] : []), join(repoRoot, 'bench/reference/direct-echo.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m !== null) resolve({ child, url: m[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`direct echo exited ${String(code)}`)));
  });
}

/** The two processes of a row: entry file and arguments of its gateway and of its echo. */
interface PairCommands {
  readonly gateway: readonly [string, string[]];
  readonly echo: readonly [string, string[]];
  /** The directory the two start in (entry files are relative to it); this checkout when absent. */
  readonly root?: string;
}

/** A Switchyard row: the gateway CLI and the echo example, each with a config file made for the run. */
async function switchyardCommands(row: TransportRow, ctx: BenchContext, dir: string): Promise<PairCommands> {
  const entries = await (row.entries as NonNullable<TransportRow['entries']>)(ctx);
  const gwFile = join(dir, `gateway-${randomUUID().slice(0, 8)}.json`);
  writeFileSync(
    gwFile,
    JSON.stringify({
      node: { id: `gw-bench-${randomUUID().slice(0, 8)}`, region: 'bench' },
      http: { host: '127.0.0.1', port: 0, ...row.edge?.http(ctx) },
      transports: entries.gateway,
      health: { requiredServices: ['echo'] },
      auth: { anonymous: { subject: 'anonymous' } },
      log: { level: 'info', requests: values['log-requests'] },
      validation: row.validation === true ? 'requests' : 'off',
    }),
  );
  const echoFile = join(dir, `echo-${randomUUID().slice(0, 8)}.json`);
  writeFileSync(echoFile, JSON.stringify({ service: { name: 'echo', version: '1.0.0', region: 'bench' }, transports: entries.echo }));
  return { gateway: ['packages/gateway/dist/cli.js', ['--config', gwFile]], echo: ['examples/echo/dist/main.js', ['--config', echoFile]], ...(row.root === undefined ? {} : { root: row.root }) };
}

async function startPair(row: TransportRow, ctx: BenchContext, dir: string): Promise<{ gateway: TsProcess; echo: TsProcess; url: string }> {
  let commands: PairCommands;
  if (row.reference === undefined) commands = await switchyardCommands(row, ctx, dir);
  else {
    const args = await row.reference.args(ctx);
    commands = { gateway: [join('bench/reference', row.reference.gateway), args], echo: [join('bench/reference', row.reference.worker), args] };
  }
  const gateway = spawnNode(NODE_ARGS, ...commands.gateway, {}, commands.root);
  const url = (await gateway.waitFor(/gateway listening on (https?:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
  const echo = spawnNode(NODE_ARGS, ...commands.echo, {}, commands.root);
  await echo.waitFor(/echo listening/, 30_000);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await readyStatus(url, row)) === 200) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { gateway, echo, url };
}

/** /health/ready's status; HTTPS and h2c listeners are asked with curl (fetch knows neither a test CA nor h2c). */
async function readyStatus(url: string, row: TransportRow): Promise<number> {
  if (row.edge === undefined) return (await fetch(`${url}/health/ready`)).status;
  const h2c = url.startsWith('http:') && row.edge.http({ valkey: null, pki: null }).http2 === true;
  const args = ['-s', '-k', '-o', '/dev/null', '-w', '%{http_code}', ...(h2c ? ['--http2-prior-knowledge'] : []), `${url}/health/ready`];
  return new Promise((resolve) => execFile('curl', args, (_err, stdout) => resolve(Number(stdout))));
}

/** The summary of each gateway's and echo's profile in `dir`, by row and role (bench/lib/cpu-profile-summary.ts). */
function profileSummaries(dir: string, rows: readonly RunningRow[]): Array<{ row: string; process: string } & ProfileSummary> {
  const owner = new Map<number, { row: string; process: string }>();
  for (const r of rows) {
    owner.set(r.pair.gateway.pid, { row: r.row.name, process: 'gateway' });
    owner.set(r.pair.echo.pid, { row: r.row.name, process: 'service' });
  }
  return readdirSync(dir).flatMap((file) => {
    const who = owner.get(profilePid(file) ?? -1);
    return who === undefined ? [] : [{ ...who, ...summarizeCpuProfile(join(dir, file), 12) }];
  });
}

// The gateway and echo run from dist/: build first so the numbers are for the current source.
execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: repoRoot, stdio: 'inherit' });

// --transport names one row or several, comma-separated; --reference rows are measured whatever it names.
const named = values.transport?.split(',');
const isNamed = (name: string): boolean => named === undefined || named.some((n) => [n, `${n}+validation`, `base:${n}`, `base:${n}+validation`].includes(name));
const withValidation = values.validation ? TRANSPORTS.flatMap((t) => [t, { ...t, name: `${t.name}+validation`, validation: true }]) : TRANSPORTS;
const baseRoot = values.base === undefined ? undefined : resolve(values.base);
const switchyardRows = baseRoot === undefined ? withValidation : withValidation.flatMap((t) => [t, { ...t, name: `base:${t.name}`, root: baseRoot }]);
const rows = values.edge
  ? EDGE_ROWS.filter((t) => isNamed(t.name))
  : [...switchyardRows, ...(values.reference ? REFERENCES : [])].filter((t) => isNamed(t.name) || t.reference !== undefined);
const needsValkey = rows.some((r) => r.needsValkey);
const valkey = needsValkey ? await startValkey() : null;
const pki = rows.some((r) => r.needsPki === true) ? await createTestPki() : null;
const ctx: BenchContext = { valkey, pki };
const dir = mkdtempSync(join(tmpdir(), 'sy-bench-http-'));
// Where the wake-up counter of every process started from here writes its counts (--wakeups).
if (values.wakeups) process.env.SWITCHYARD_WAKEUPS_DIR = dir;
const startedAt = new Date();
const direct = await startDirect();
const directPids = { direct: direct.child.pid ?? -1 };
const valkeyPid = valkey === null ? undefined : await serverPid(valkey.url);
const cells: Array<Record<string, unknown>> = [];
const soaks: Array<Record<string, unknown>> = [];

/** A row whose gateway and echo are running, with the pids its CPU is read from. */
interface RunningRow {
  readonly row: TransportRow;
  readonly pair: { gateway: TsProcess; echo: TsProcess; url: string };
  readonly pids: Record<string, number>;
}

const running: RunningRow[] = [];
try {
  // Every row's processes run for the whole run, and each cell measures the rows round-robin
  // (direct, row 1, row 2, …, then the next round): the machine's drift between minutes lands on
  // every row alike, so a Switchyard row and its reference are compared within the same minute.
  for (const row of rows) {
    if (row.needsValkey && valkey === null) {
      process.stderr.write(`skipping ${row.name}: no Valkey-compatible server\n`);
      continue;
    }
    const pair = await startPair(row, ctx, dir);
    const pids: Record<string, number> = { gateway: pair.gateway.pid, service: pair.echo.pid };
    if (row.needsValkey && valkeyPid !== undefined) pids.valkey = valkeyPid;
    running.push({ row, pair, pids });
  }
  const edgeRun = running[0]?.row.edge !== undefined;
  for (const size of SIZES) {
    for (const c of edgeRun ? [...new Set(running.map((r) => (r.row.edge as EdgeLoad).connections))] : CONCURRENCY) {
      const cellRows = running.filter((r) => r.row.edge === undefined || r.row.edge.connections === c);
      // Warm every target (JIT, connections, queues) before measuring.
      if (!edgeRun) await load(direct.url, c, size, WARMUP_S);
      for (const r of cellRows) await load(r.pair.url, c, size, WARMUP_S, {}, r.row.edge);
      const seconds = soakSeconds ?? DURATION_S;
      const rounds = soakSeconds === undefined ? ROUNDS : 1;
      const directRounds: LoadResult[] = [];
      const gatewayRounds = new Map<RunningRow, LoadResult[]>(cellRows.map((r) => [r, []]));
      const rss = new Map<RunningRow, RssSampler>(cellRows.map((r) => [r, new RssSampler(r.pair.gateway.pid)]));
      for (let round = 0; round < rounds; round++) {
        if (soakSeconds === undefined && !edgeRun) directRounds.push(await load(direct.url, c, size, seconds, directPids));
        // Every other round runs the rows in reverse: over an even number of rounds each row's
        // rounds sit, on average, at the same moment of the cell, so a drift of the machine's
        // speed across the cell lands on a row and its reference alike.
        for (const r of round % 2 === 0 ? cellRows : [...cellRows].reverse()) {
          const sampler = rss.get(r) as RssSampler;
          sampler.resume();
          (gatewayRounds.get(r) as LoadResult[]).push(await load(r.pair.url, c, size, seconds, r.pids, r.row.edge, r.row.needsValkey ? valkey?.url : undefined));
          sampler.pause();
        }
      }
      const directResult = directRounds.length === 0 ? undefined : medianResult(directRounds);
      const directRps = directResult?.requestsPerSecond;
      for (const r of cellRows) {
        const edge = r.row.edge;
        const measured = gatewayRounds.get(r) as LoadResult[];
        const memory = (rss.get(r) as RssSampler).end();
        const viaGateway = medianResult(measured);
        const reference = cellRows.find((x) => x.row.name === r.row.comparedWith);
        const cell = {
          transport: r.row.name,
          concurrency: c,
          ...(edge === undefined ? {} : { loadGenerator: edge.generator, streamsPerConnection: edge.streams ?? 1 }),
          payloadBytes: size,
          seconds,
          rounds,
          gateway: viaGateway,
          direct: directResult ?? null,
          ratioToDirect: directRps === undefined ? null : round(viaGateway.requestsPerSecond / directRps, 3),
          roundRatios: directRounds.map((d, i) => round((measured[i] as LoadResult).requestsPerSecond / d.requestsPerSecond, 3)),
          roundsMeasured: { direct: directRounds, gateway: measured },
          againstReference: reference === undefined ? null : pairedRatios(measured, gatewayRounds.get(reference) as LoadResult[], reference.row.name),
          gatewayRss: memory,
          loadAverage1m: round(loadavg()[0] ?? 0, 2),
        };
        (soakSeconds === undefined ? cells : soaks).push(cell);
        process.stderr.write(`${r.row.name} c=${c} ${size} B: ${round(viaGateway.requestsPerSecond, 0)} req/s (direct ${directRps === undefined ? '-' : round(directRps, 0)}), p50 ${viaGateway.p50Ms} ms, p99 ${viaGateway.p99Ms} ms, CPU-µs/req ${cpuText(viaGateway)}, RSS peak ${memory.peakMiB} MiB${pairedText(cell.againstReference)}${commandsText(viaGateway)}\n`);
      }
    }
  }
} finally {
  await Promise.all(running.flatMap((r) => [r.pair.echo.stop(), r.pair.gateway.stop()]));
  direct.child.kill('SIGTERM');
  await valkey?.stop();
  await pki?.remove();
}
// The processes wrote their profiles as they exited: name each by its row and role.
const profiles = values.profile === undefined ? [] : profileSummaries(values.profile, running);

const written = writeResults(
  'http',
  {
    mode: soakSeconds === undefined ? 'matrix' : 'soak',
    durationSeconds: DURATION_S,
    rounds: ROUNDS,
    warmupSeconds: WARMUP_S,
    logRequests: values['log-requests'],
    validationRows: values.validation,
    loadGenerator: GENERATOR,
    processes: { runFrom: 'dist', nodeArgs: NODE_ARGS },
    note: 'the load generator, gateway, echo and the direct server share this machine; every row\'s processes run for the whole run, and each cell measures direct and then every row in turn, `rounds` times round-robin, the rows in reverse order every other round (so a Switchyard row and its reference are measured within the same minute, and over an even number of rounds at the same mean moment); figures are per-figure medians over the rounds (roundsMeasured has every round); ratioToDirect is median gateway req/s over median direct req/s; againstReference pairs each round of a Switchyard row with the reference round of the same cell and gives the ratios per round and their medians. RSS is the gateway process, sampled every 250 ms; "flat" = last third peak within 10 % of the first third peak. Latency medians use only rounds whose mean latency × req/s is at most 1.25 × the connections (Little\'s law; latencyRounds counts them): wrk sometimes reports impossible latencies on this machine, for the bare direct server too.',
    cells,
    soaks,
    ...(values.profile === undefined ? {} : { profiles }),
  },
  startedAt,
);

type Cell = Record<string, unknown> & { gateway: MedianResult; direct: MedianResult | null; gatewayRss: { peakMiB: number; flat: boolean } };
/** A latency figure, marked when some rounds' latencies failed the Little's-law check ("p99 (2/3)"), or all did ("p99 !"). */
const latency = (r: MedianResult, ms: number): string | number =>
  Number.isNaN(ms) ? '-' : !r.latencyConsistent ? `${round(ms, 2)} !` : r.latencyRounds < r.rounds ? `${round(ms, 2)} (${r.latencyRounds}/${r.rounds})` : ms;
printTable([...cells, ...soaks] as Cell[], [
  { title: 'transport', value: (c) => c.transport as string },
  { title: 'c', value: (c) => (c.streamsPerConnection === undefined || c.streamsPerConnection === 1 ? (c.concurrency as number) : `${String(c.concurrency)}×${String(c.streamsPerConnection)}`) },
  { title: 'bytes', value: (c) => c.payloadBytes as number },
  { title: 'gw req/s', value: (c) => round(c.gateway.requestsPerSecond, 0) },
  { title: 'direct req/s', value: (c) => (c.direct === null ? '-' : round(c.direct.requestsPerSecond, 0)) },
  { title: 'ratio', value: (c) => (c.ratioToDirect === null ? '-' : (c.ratioToDirect as number)) },
  { title: 'round ratios', value: (c) => ((c.roundRatios as number[]).length === 0 ? '-' : (c.roundRatios as number[]).join(' ')) },
  { title: 'gw p50 ms', value: (c) => latency(c.gateway, c.gateway.p50Ms) },
  { title: 'gw p99 ms', value: (c) => latency(c.gateway, c.gateway.p99Ms) },
  { title: 'direct p99 ms', value: (c) => (c.direct === null ? '-' : latency(c.direct, c.direct.p99Ms)) },
  { title: 'CPU-µs/req gw+svc+valkey = sum', value: (c) => cpuText(c.gateway) },
  { title: 'direct CPU-µs/req', value: (c) => (c.direct === null ? '-' : (c.direct.cpuUsPerRequest.total ?? '-')) },
  { title: 'gw errors', value: (c) => c.gateway.errors + c.gateway.non2xx },
  { title: 'RSS peak MiB', value: (c) => c.gatewayRss.peakMiB },
  { title: 'RSS flat', value: (c) => (c.gatewayRss.flat ? 'yes' : 'no') },
]);
const paired = cells.filter((c) => c.againstReference !== null && c.againstReference !== undefined) as Array<Cell & { againstReference: PairedRatios }>;
if (paired.length > 0) {
  process.stdout.write('\nagainst the reference of the same shape: medians of the ratios of paired rounds (each pair measured in the same round)\n');
  printTable(paired, [
    { title: 'transport', value: (c) => c.transport as string },
    { title: 'c', value: (c) => c.concurrency as number },
    { title: 'bytes', value: (c) => c.payloadBytes as number },
    { title: 'reference', value: (c) => c.againstReference.reference },
    { title: 'CPU ×', value: (c) => c.againstReference.median.cpu },
    { title: 'CPU × by round', value: (c) => c.againstReference.cpu.join(' ') },
    {
      title: 'CPU × gw / svc / valkey',
      value: (c) => ['gateway', 'service', 'valkey'].flatMap((name) => (c.againstReference.median.cpuByProcess[name] === undefined ? [] : [c.againstReference.median.cpuByProcess[name]])).join(' / '),
    },
    { title: 'req/s ×', value: (c) => c.againstReference.median.requestsPerSecond },
    { title: 'p50 ×', value: (c) => pairedLatency(c.againstReference, c.againstReference.median.p50) },
    { title: 'p50 × by round', value: (c) => pairedLatencyRounds(c.againstReference, c.againstReference.p50) },
    { title: 'p99 ×', value: (c) => pairedLatency(c.againstReference, c.againstReference.median.p99) },
  ]);
  process.stdout.write('("?": that pair\'s latencies failed the Little\'s-law check; "!": more than half the pairs did, so the median uses them all)\n');
}
for (const p of profiles) {
  const list = (items: readonly ProfileItem[]): string => items.map((i) => `${i.name} ${i.percent}%`).join(', ');
  process.stdout.write(`\nprofile ${p.row} ${p.process} (${p.busyMs} ms busy): ${list(p.groups.slice(0, 6))}\n  top functions: ${list(p.functions.slice(0, 8))}\n`);
}
process.stdout.write(`\nload generator: ${GENERATOR}; gateway and echo from dist${NODE_ARGS.length > 0 ? ` with ${NODE_ARGS.join(' ')}` : ''}\nresults: ${written.file}\n`);
process.exit(0);
