/**
 * `npm run bench:run-once`: what `runOnce.scope: shared` costs (docs/messaging-transport.md, "Run
 * once across instances"). Request → response through the Messaging transport on Valkey, no HTTP:
 * the gateway side runs here, the instance in its own process (bench/rpc.bench.ts --instance), in
 * interleaved rounds of `scope: instance` and `scope: shared`, each with a fresh instance process.
 * Beside them, a hand-written reference: the least the shared store can cost, a plain ioredis
 * client issuing the same two extra commands per request (SET NX PX to claim, SET PX to store a
 * RESPONSE of the same size) at the same concurrency. Reported per cell: req/s, p50/p99 and
 * CPU-µs per request of each process (from /proc), medians over the rounds. Nothing is asserted.
 *
 *   npm run bench:run-once -- --rounds 3 --seconds 3 --concurrency 16,256
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { TransportType, createQueueFactoryFromConfig, silentLogger, systemClock, type DispatchTarget } from '@switchyard/core';
import { MessagingGatewayTransport, serviceRequestsQueue } from '@switchyard/core/internal';
import { benchEnvironment, CpuWindow, printTable, ratePerSecond, round, summarize, writeResults } from './lib/index.js';
import { startValkey } from '../test/harness/valkey.js';
import { spawnTs } from '../test/harness/process.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16,256' },
    size: { type: 'string', default: '256' },
  },
  strict: true,
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const CONCURRENCY = values.concurrency.split(',').map(Number);
const SIZE = Number(values.size);

interface Sample {
  variant: string;
  concurrency: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuUsPerRequest: Record<string, number>;
}

/** The harness server's pid, found by its command line (`redis-server 127.0.0.1:<port>`). */
function serverPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (/(valkey|redis)-server/.test(cmd) && cmd.includes(`:${port}`)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

async function closedLoop(concurrency: number, ms: number, call: () => Promise<boolean>): Promise<{ count: number; errors: number; elapsedMs: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const start = process.hrtime.bigint();
  const endAt = start + BigInt(ms) * 1_000_000n;
  const caller = async (): Promise<void> => {
    while (process.hrtime.bigint() < endAt) {
      const t0 = process.hrtime.bigint();
      try {
        if (await call()) latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { count: latenciesMs.length, errors, elapsedMs: Number(process.hrtime.bigint() - start) / 1e6, latenciesMs };
}

function sample(variant: string, concurrency: number, r: Awaited<ReturnType<typeof closedLoop>>, cpu: CpuWindow): Sample {
  const lat = summarize(r.latenciesMs);
  const cpuUs = cpu.perRequest(r.count);
  for (const key of Object.keys(cpuUs)) cpuUs[key] = round(cpuUs[key] as number, 1);
  return { variant, concurrency, requestsPerSecond: round(ratePerSecond(r.count, r.elapsedMs), 0), p50Ms: round(lat.p50, 3), p99Ms: round(lat.p99, 3), errors: r.errors, cpuUsPerRequest: cpuUs };
}

async function transportRound(url: string, valkeyPid: number | undefined, scope: 'instance' | 'shared'): Promise<Sample[]> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const entry = { type: 'messaging', backend: 'valkey', valkey: { url }, queues: { prefix }, runOnce: { scope }, auth: { insecure: true } };
  const instance = spawnTs('bench/rpc.bench.ts', ['--instance', '--config', JSON.stringify(entry)]);
  const instanceId = (await instance.waitFor(/bench instance ready (\S+)/, 30_000))[1] as string;
  const factory = await createQueueFactoryFromConfig('valkey', { url, prefix }, { clock: systemClock });
  const gateway = new MessagingGatewayTransport({ factory, ownsFactory: true }, { clock: systemClock, logger: silentLogger, node: { id: `bench-gw-${process.pid}`, region: 'local' } });
  await gateway.start({ control: () => undefined, lost: () => undefined });
  const target: DispatchTarget = { instanceId, service: 'bench', version: '1.0.0', link: { transport: TransportType.Messaging, address: serviceRequestsQueue('bench', '1.0.0') } };
  const body = new Uint8Array(SIZE).fill(0x61);
  const call = async (): Promise<boolean> => {
    const res = await gateway.dispatch(target, { method: 'POST', path: '/echo', query: '', headers: {}, body, deadline: Date.now() + 30_000, identity: null }, {});
    return res.status === 200 && res.body.length === SIZE;
  };
  const out: Sample[] = [];
  try {
    for (const concurrency of CONCURRENCY) {
      await closedLoop(concurrency, WARMUP * 1000, call);
      const pids: Record<string, number> = { bench: process.pid, instance: instance.pid };
      if (valkeyPid !== undefined) pids.valkey = valkeyPid;
      const cpu = new CpuWindow(pids);
      out.push(sample(`scope: ${scope}`, concurrency, await closedLoop(concurrency, SECONDS * 1000, call), cpu));
    }
  } finally {
    await gateway.stop();
    await instance.stop('SIGTERM', 10_000);
  }
  return out;
}

/** The hand-written floor of the shared store: two plain commands per request, claim and answer. */
async function referenceRound(url: string, valkeyPid: number | undefined): Promise<Sample[]> {
  const client = new Redis(url);
  const response = Buffer.alloc(SIZE + 64, 0x61);
  let n = 0;
  const call = async (): Promise<boolean> => {
    const key = `bench-ref:run-once:{${process.pid}-${n++}}`;
    const claimed = await client.set(key, 'cowner', 'PX', 15_000, 'NX');
    await client.set(key, response, 'PX', 60_000);
    return claimed === 'OK';
  };
  const out: Sample[] = [];
  try {
    for (const concurrency of CONCURRENCY) {
      await closedLoop(concurrency, WARMUP * 1000, call);
      const pids: Record<string, number> = { bench: process.pid };
      if (valkeyPid !== undefined) pids.valkey = valkeyPid;
      const cpu = new CpuWindow(pids);
      out.push(sample('reference: SET NX PX + SET PX', concurrency, await closedLoop(concurrency, SECONDS * 1000, call), cpu));
    }
  } finally {
    await client.flushall();
    client.disconnect();
  }
  return out;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const server = await startValkey();
if (server === null) {
  process.stdout.write('bench:run-once SKIPPED: no Valkey server\n');
  process.exit(0);
}
const valkeyPid = server.kind === 'process' ? serverPid(server.port) : undefined;
const samples: Sample[] = [];
try {
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    // Interleaved, and the order flips each round, so drift on a shared machine hits both alike.
    const order: Array<'instance' | 'shared'> = round_ % 2 === 0 ? ['instance', 'shared'] : ['shared', 'instance'];
    for (const scope of order) samples.push(...(await transportRound(server.url, valkeyPid, scope)));
    samples.push(...(await referenceRound(server.url, valkeyPid)));
    process.stdout.write(`round ${round_ + 1}/${ROUNDS} done (load ${round(loadavg()[0] ?? 0, 2)})\n`);
  }
} finally {
  await server.stop();
}

const cells = new Map<string, Sample[]>();
for (const s of samples) {
  const key = `${s.variant}\u0000${s.concurrency}`;
  cells.set(key, [...(cells.get(key) ?? []), s]);
}
const rows = [...cells.values()].map((group) => {
  const first = group[0] as Sample;
  const cpu = (name: string): number => round(median(group.map((g) => g.cpuUsPerRequest[name] ?? NaN)), 1);
  return {
    variant: first.variant,
    concurrency: first.concurrency,
    requestsPerSecond: median(group.map((g) => g.requestsPerSecond)),
    p50Ms: median(group.map((g) => g.p50Ms)),
    p99Ms: median(group.map((g) => g.p99Ms)),
    errors: group.reduce((a, g) => a + g.errors, 0),
    cpuUsBench: cpu('bench'),
    cpuUsInstance: cpu('instance'),
    cpuUsValkey: cpu('valkey'),
    rounds: group.length,
  };
});
printTable(rows, [
  { title: 'variant', value: (r) => r.variant },
  { title: 'conc', value: (r) => r.concurrency },
  { title: 'req/s', value: (r) => r.requestsPerSecond },
  { title: 'p50 ms', value: (r) => r.p50Ms },
  { title: 'p99 ms', value: (r) => r.p99Ms },
  { title: 'cpu-µs gw', value: (r) => r.cpuUsBench },
  { title: 'cpu-µs inst', value: (r) => r.cpuUsInstance },
  { title: 'cpu-µs valkey', value: (r) => r.cpuUsValkey },
  { title: 'errors', value: (r) => r.errors },
]);
const written = writeResults('run-once', {
  environment: benchEnvironment(),
  rounds: ROUNDS,
  seconds: SECONDS,
  payloadBytes: SIZE,
  notes: [
    'medians over interleaved rounds; each transport round starts a fresh instance process (tsx, from source)',
    'frames unsigned (auth.insecure) in both variants: this measures the run-once store, not signing',
    'cpu-µs gw = this process (the gateway transport, or the reference client); inst = the instance process; valkey = the server',
  ],
  rows,
  samples,
});
process.stdout.write(`results: ${written.file}\n`);
process.exit(0);
