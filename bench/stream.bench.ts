/**
 * `npm run bench:stream`: streamed bodies through the gateway, beside a direct Node server
 * streaming the same bytes, in the same run. For each row (tcp, messaging/valkey,
 * messaging/valkey-unsigned, and with `--reference` the minimal hand-written pair over Valkey,
 * reference/valkey): an upload of
 * `--size` bytes (default 1 GiB) to POST /echo/stream, whose echo the client reads and drops (so
 * the bytes cross the gateway both ways), and a download of the same size from
 * GET /echo/bytes?n=<size>. Reported per transfer: MB/s (median of `--rounds`, direct and gateway
 * measured in turn), the ratio to direct, peak RSS of the gateway and of the echo service, and for
 * Valkey the growth of its used_memory over the run (sampled every 100 ms), and the CPU time per
 * GiB of each process (gateway, echo, direct server from /proc; Valkey from its INFO cpu; the
 * client, which is this process, from process.cpuUsage), the ratio that CPU alone allows (the
 * direct pair's CPU per GiB over the gateway path's: on a machine whose cores every process
 * shares, throughput follows it), and the minor page faults per 256 KiB moved of the gateway, echo
 * and direct server (pages touched afresh, from /proc; each costs the kernel a fault and a zeroed
 * page). The gateway and echo
 * run from built JavaScript (`tsc -b` first). Results go to bench/results/stream-<ts>.json and
 * stream-latest.json; nothing is asserted.
 *
 *   npm run bench:stream
 *   npm run bench:stream -- --size 268435456 --rounds 3
 *   npm run bench:stream -- --transport tcp
 *   npm run bench:stream -- --transport messaging/valkey --transfer upload
 *   npm run bench:stream -- --transport messaging/valkey --reference
 *   npm run bench:stream -- --transport messaging/valkey --cpu-prof /tmp/prof
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { median, printTable, processCounters, round, valkeyCpuMicros, writeResults } from './lib/index.js';
import { freePort, repoRoot, spawnNode, type TsProcess } from '../test/harness/process.js';
import { startValkey, type ValkeyServer } from '../test/harness/valkey.js';
import { authSection, newKeys } from '../test/harness/frame-keys.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(1024 ** 3) },
    rounds: { type: 'string', default: '1' },
    transport: { type: 'string' },
    /** Only this transfer: upload or download. */
    transfer: { type: 'string' },
    /** Directory for `--cpu-prof` profiles of the gateway and echo processes (one per process). */
    'cpu-prof': { type: 'string' },
    /** Also measure the minimal reference pair of bench/reference/valkey-stream-*.mjs (row reference/valkey). */
    reference: { type: 'boolean', default: false },
    /** A Node option for the gateway and echo processes (repeatable), e.g. --node-arg=--max-semi-space-size=2. */
    'node-arg': { type: 'string', multiple: true },
  },
  strict: true,
});
const SIZE = Number(values.size);
const ROUNDS = Number(values.rounds);
const NODE_ARGS: readonly string[] = [];
const PAIR_ARGS: readonly string[] = [
  ...NODE_ARGS,
  ...(values['node-arg'] ?? []),
  ...(values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`]),
];

/** A Switchyard row (its transport entries for the gateway and the echo) or a reference row. */
type Row = {
  readonly name: string;
  readonly valkey: boolean;
} & (
  | { readonly entries: (valkey: ValkeyServer | null) => Promise<{ gateway: unknown[]; echo: unknown[] }> }
  /** bench/reference's gateway and worker, run with these arguments instead of Switchyard's. */
  | { readonly reference: (valkey: ValkeyServer | null) => string[] }
);

function messagingRow(name: string, auth: () => unknown): Row {
  return {
    name,
    valkey: true,
    entries: async (valkey) => {
      const entry = { type: 'messaging', backend: 'valkey', valkey: { url: valkey?.url }, queues: { prefix: `bench-${randomUUID().slice(0, 8)}` }, auth: auth() };
      return { gateway: [entry], echo: [entry] };
    },
  };
}

/**
 * `--reference` adds this row: the least code of the Valkey shape (bench/reference/
 * valkey-stream-gateway.mjs), its chunks signed with HMAC-SHA256 as Switchyard's are.
 */
const REFERENCES: readonly Row[] = [
  {
    name: 'reference/valkey',
    valkey: true,
    reference: (valkey) => [valkey?.url ?? '', `ref-${randomUUID().slice(0, 8)}`, randomBytes(32).toString('hex')],
  },
];

const ROWS: readonly Row[] = [
  {
    name: 'tcp',
    valkey: false,
    entries: async () => {
      const entry = { type: 'tcp', host: '127.0.0.1', port: await freePort() };
      return { gateway: [entry], echo: [entry] };
    },
  },
  messagingRow('messaging/valkey', () => authSection(newKeys())),
  // The same path with frames unsigned: beside the row above, the cost of signing and verifying.
  messagingRow('messaging/valkey-unsigned', () => ({ insecure: true })),
];

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Bytes per second of one transfer, reading and dropping the response. */
function transfer(base: string, kind: 'upload' | 'download'): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const url = kind === 'upload' ? `${base}/echo/stream` : `${base}/echo/bytes?n=${SIZE}`;
    const req = httpRequest(url, { method: kind === 'upload' ? 'POST' : 'GET', headers: kind === 'upload' ? { 'content-length': String(SIZE), 'content-type': 'application/octet-stream' } : {} }, (res) => {
      let got = 0;
      res.on('data', (chunk: Buffer) => (got += chunk.length));
      res.once('end', () => (got === SIZE && res.statusCode === 200 ? resolve(SIZE / ((performance.now() - started) / 1000)) : reject(new Error(`${kind}: status ${res.statusCode}, ${got} of ${SIZE} bytes`))));
      res.once('error', reject);
      res.once('aborted', () => reject(new Error(`${kind}: aborted after ${got} bytes`)));
    });
    req.once('error', reject);
    if (kind === 'download') {
      req.end();
      return;
    }
    const block = Buffer.alloc(256 * 1024, 0x5a);
    let left = SIZE;
    const write = (): void => {
      while (left > 0) {
        const piece = left >= block.length ? block : block.subarray(0, left);
        left -= piece.length;
        if (!req.write(piece)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

interface Peaks {
  gateway: number;
  echo: number;
  valkeyUsed: number;
}

/** Samples RSS (and Valkey's used_memory) every 100 ms while `run` runs. */
async function sampled<T>(pids: { gateway: number; echo: number }, redis: Redis | undefined, run: () => Promise<T>): Promise<{ result: T; peaks: Peaks }> {
  const peaks: Peaks = { gateway: rssOf(pids.gateway), echo: rssOf(pids.echo), valkeyUsed: 0 };
  const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec((await redis?.info('memory')) ?? '')?.[1] ?? 0);
  peaks.valkeyUsed = await usedMemory();
  const timer = setInterval(() => {
    peaks.gateway = Math.max(peaks.gateway, rssOf(pids.gateway));
    peaks.echo = Math.max(peaks.echo, rssOf(pids.echo));
    void usedMemory().then((m) => (peaks.valkeyUsed = Math.max(peaks.valkeyUsed, m)), () => undefined);
  }, 100);
  try {
    return { result: await run(), peaks };
  } finally {
    clearInterval(timer);
  }
}

async function startPair(row: Row, valkey: ValkeyServer | null, dir: string): Promise<{ gateway: TsProcess; echo: TsProcess; url: string }> {
  if ('reference' in row) {
    const args = row.reference(valkey);
    const gateway = spawnNode(PAIR_ARGS, 'bench/reference/valkey-stream-gateway.mjs', args);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const echo = spawnNode(PAIR_ARGS, 'bench/reference/valkey-stream-worker.mjs', args);
    await echo.waitFor(/echo listening/, 30_000);
    return { gateway, echo, url };
  }
  const entries = await row.entries(valkey);
  const gwFile = join(dir, `gateway-${randomUUID().slice(0, 8)}.json`);
  writeFileSync(
    gwFile,
    JSON.stringify({
      node: { id: `gw-stream-${randomUUID().slice(0, 8)}`, region: 'bench' },
      http: { host: '127.0.0.1', port: 0, requestTimeoutMs: 3_600_000 },
      transports: entries.gateway,
      health: { requiredServices: ['echo'] },
      auth: { anonymous: { subject: 'anonymous' } },
      log: { level: 'info' },
    }),
  );
  const echoFile = join(dir, `echo-${randomUUID().slice(0, 8)}.json`);
  writeFileSync(echoFile, JSON.stringify({ service: { name: 'echo', version: '1.0.0', region: 'bench' }, transports: entries.echo }));
  const gateway = spawnNode(PAIR_ARGS, 'packages/gateway/dist/cli.js', ['--config', gwFile]);
  const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
  const echo = spawnNode(PAIR_ARGS, 'examples/echo/dist/main.js', ['--config', echoFile]);
  await echo.waitFor(/echo listening/, 30_000);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (await fetch(`${url}/health/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 50));
  return { gateway, echo, url };
}

execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: repoRoot, stdio: 'inherit' });

// --transport names one row or several, comma-separated; --reference rows are measured whatever it names.
const named = values.transport?.split(',');
const rows = [...ROWS.filter((r) => named === undefined || named.includes(r.name)), ...(values.reference ? REFERENCES : [])];
const valkey = rows.some((r) => r.valkey) ? await startValkey() : null;
const redis = valkey === null ? undefined : new Redis(valkey.url);
const dir = mkdtempSync(join(tmpdir(), 'sy-bench-stream-'));
const direct = spawnNode(NODE_ARGS, 'bench/reference/direct-stream.mjs');
const directUrl = (await direct.waitFor(/direct listening on (http:\/\/[0-9.]+:\d+)/, 10_000))[1] as string;

interface Result {
  transport: string;
  transfer: 'upload' | 'download';
  mbPerSecond: number;
  directMbPerSecond: number;
  ratio: number;
  gatewayPeakRssMb: number;
  echoPeakRssMb: number;
  /**
   * CPU seconds per GiB moved (median over rounds); `valkey` from its INFO cpu, null without
   * Valkey; `client` and `clientDirect` the benchmark process's own (it is the HTTP client) during
   * the gateway's and the direct server's transfers.
   */
  cpuSecondsPerGiB: { gateway: number; echo: number; direct: number; valkey: number | null; client: number; clientDirect: number };
  /**
   * The ratio the CPU alone allows: (client + direct server) / (client + gateway + echo + Valkey),
   * CPU per GiB. Where every process competes for the same cores, throughput follows the CPU a
   * GiB costs, and the measured ratio sits near this one.
   */
  cpuBoundRatio: number;
  /** Minor page faults per 256 KiB moved (median over rounds): pages each process touched afresh. */
  minorFaultsPer256KiB: { gateway: number; echo: number; direct: number };
  valkeyUsedMemoryGrowthMb: number | null;
  rounds: { gateway: number[]; direct: number[] };
}
const results: Result[] = [];

for (const row of rows) {
  if (row.valkey && valkey === null) {
    process.stdout.write(`skipping ${row.name}: no Valkey-compatible server (see the banner above)\n`);
    continue;
  }
  const pair = await startPair(row, valkey, dir);
  try {
    for (const kind of (['upload', 'download'] as const).filter((k) => values.transfer === undefined || k === values.transfer)) {
      const gw: number[] = [];
      const dr: number[] = [];
      const cpu = { gateway: [] as number[], echo: [] as number[], direct: [] as number[], valkey: [] as number[], client: [] as number[], clientDirect: [] as number[] };
      const faults = { gateway: [] as number[], echo: [] as number[], direct: [] as number[] };
      const perGiB = (micros: number): number => micros / 1e6 / (SIZE / 1024 ** 3);
      /** This process's CPU per GiB since `start` (it is the client; the RSS sampler's reads are a sliver of it). */
      const clientSince = (start: NodeJS.CpuUsage): number => {
        const used = process.cpuUsage(start);
        return perGiB(used.user + used.system);
      };
      const per256KiB = (n: number): number => n / (SIZE / (256 * 1024));
      /** Reads `pid`'s counters now; the returned function records their growth since into `cpu` and `faults` under `name`. */
      const window = (name: 'gateway' | 'echo' | 'direct', pid: number): (() => void) => {
        const start = processCounters(pid) ?? { cpuMicros: 0, minorFaults: 0 };
        return () => {
          const end = processCounters(pid) ?? start;
          cpu[name].push(perGiB(end.cpuMicros - start.cpuMicros));
          faults[name].push(per256KiB(end.minorFaults - start.minorFaults));
        };
      };
      const peaks: Peaks = { gateway: 0, echo: 0, valkeyUsed: 0 };
      let valkeyGrowth = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const directDone = window('direct', direct.pid);
        const cd0 = process.cpuUsage();
        dr.push(await transfer(directUrl, kind));
        cpu.clientDirect.push(clientSince(cd0));
        directDone();
        const gatewayDone = window('gateway', pair.gateway.pid);
        const echoDone = window('echo', pair.echo.pid);
        const before = row.valkey ? Number(/used_memory:(\d+)/.exec((await redis?.info('memory')) ?? '')?.[1] ?? 0) : 0;
        const v0 = row.valkey && redis !== undefined ? await valkeyCpuMicros(redis) : 0;
        const cg0 = process.cpuUsage();
        const run = await sampled({ gateway: pair.gateway.pid, echo: pair.echo.pid }, row.valkey ? redis : undefined, () => transfer(pair.url, kind));
        cpu.client.push(clientSince(cg0));
        gw.push(run.result);
        gatewayDone();
        echoDone();
        if (row.valkey && redis !== undefined) cpu.valkey.push(perGiB((await valkeyCpuMicros(redis)) - v0));
        peaks.gateway = Math.max(peaks.gateway, run.peaks.gateway);
        peaks.echo = Math.max(peaks.echo, run.peaks.echo);
        if (row.valkey) valkeyGrowth = Math.max(valkeyGrowth, run.peaks.valkeyUsed - before);
      }
      const mb = median(gw) / 1e6;
      const dmb = median(dr) / 1e6;
      const pathCpu = median(cpu.client) + median(cpu.gateway) + median(cpu.echo) + (row.valkey ? median(cpu.valkey) : 0);
      results.push({
        transport: row.name,
        transfer: kind,
        mbPerSecond: round(mb, 1),
        directMbPerSecond: round(dmb, 1),
        ratio: round(mb / dmb, 3),
        gatewayPeakRssMb: round(peaks.gateway / 1e6, 1),
        echoPeakRssMb: round(peaks.echo / 1e6, 1),
        cpuSecondsPerGiB: {
          gateway: round(median(cpu.gateway), 2),
          echo: round(median(cpu.echo), 2),
          direct: round(median(cpu.direct), 2),
          valkey: row.valkey ? round(median(cpu.valkey), 2) : null,
          client: round(median(cpu.client), 2),
          clientDirect: round(median(cpu.clientDirect), 2),
        },
        cpuBoundRatio: round((median(cpu.clientDirect) + median(cpu.direct)) / pathCpu, 3),
        minorFaultsPer256KiB: { gateway: round(median(faults.gateway), 1), echo: round(median(faults.echo), 1), direct: round(median(faults.direct), 1) },
        valkeyUsedMemoryGrowthMb: row.valkey ? round(valkeyGrowth / 1e6, 1) : null,
        rounds: { gateway: gw.map((x) => round(x / 1e6, 1)), direct: dr.map((x) => round(x / 1e6, 1)) },
      });
    }
  } finally {
    await Promise.all([pair.gateway.stop(), pair.echo.stop()]);
  }
}
await direct.stop();
await redis?.quit();
await valkey?.stop();

process.stdout.write(`\nstreamed bodies, ${SIZE} bytes per transfer, ${ROUNDS} round(s); upload = POST /echo/stream (echoed back), download = GET /echo/bytes\n`);
printTable(results, [
  { title: 'transport', value: (r) => r.transport },
  { title: 'transfer', value: (r) => r.transfer },
  { title: 'MB/s', value: (r) => r.mbPerSecond },
  { title: 'direct MB/s', value: (r) => r.directMbPerSecond },
  { title: 'ratio', value: (r) => r.ratio },
  { title: 'gateway RSS MB', value: (r) => r.gatewayPeakRssMb },
  { title: 'echo RSS MB', value: (r) => r.echoPeakRssMb },
  { title: 'valkey used_memory +MB', value: (r) => r.valkeyUsedMemoryGrowthMb ?? '-' },
  { title: 'CPU s/GiB gw', value: (r) => r.cpuSecondsPerGiB.gateway },
  { title: 'echo', value: (r) => r.cpuSecondsPerGiB.echo },
  { title: 'direct', value: (r) => r.cpuSecondsPerGiB.direct },
  { title: 'valkey', value: (r) => r.cpuSecondsPerGiB.valkey ?? '-' },
  { title: 'client', value: (r) => r.cpuSecondsPerGiB.client },
  { title: 'CPU-bound ratio', value: (r) => r.cpuBoundRatio },
  { title: 'faults/256KiB gw', value: (r) => r.minorFaultsPer256KiB.gateway },
  { title: 'echo', value: (r) => r.minorFaultsPer256KiB.echo },
  { title: 'direct', value: (r) => r.minorFaultsPer256KiB.direct },
]);
const written = writeResults('stream', { size: SIZE, rounds: ROUNDS, nodeArgs: values['node-arg'] ?? [], mallocMmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, results });
process.stdout.write(`results: ${written.file}\n`);
