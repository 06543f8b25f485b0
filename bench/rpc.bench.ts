/**
 * `npm run bench:rpc`: request → response through the Messaging router transport,
 * no HTTP. The gateway side (MessagingGatewayTransport) runs here; the SDK instance runs in a
 * separate process (this file with `--instance`) for Valkey. The memory backend cannot cross
 * processes, so its instance runs in this process (documented in the results). Closed loop:
 * `concurrency` callers each dispatch, await the RESPONSE, repeat. Results are written to
 * bench/results/rpc-<ts>.json and rpc-latest.json; nothing is asserted.
 *
 *   npm run bench:rpc                      all cells
 *   npm run bench:rpc -- --seconds 3       shorter measurement per cell
 *   npm run bench:rpc -- --backend valkey  one backend
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  TransportType,
  createQueueFactoryFromConfig,
  silentLogger,
  systemClock,
  type DispatchTarget,
  type GatewayTransportEvents,
  type MessageQueueFactory,
} from '@switchyard/core';
import {
  MessagingGatewayTransport,
  createInstanceTransport,
  serviceRequestsQueue,
  type TransportConfigEntry,
} from '@switchyard/core/internal';
import { createMicroservice, type Microservice } from '@switchyard/microservice';
import { benchEnvironment, printTable, ratePerSecond, round, summarize, writeResults } from './lib/index.js';
import { startValkey } from '../test/harness/valkey.js';
import { spawnTs } from '../test/harness/process.js';

const { values } = parseArgs({
  options: {
    instance: { type: 'boolean', default: false },
    config: { type: 'string' },
    seconds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    backend: { type: 'string' },
    concurrency: { type: 'string' },
    size: { type: 'string' },
  },
  strict: true,
});

const SERVICE = 'bench';
const VERSION = '1.0.0';
const CONCURRENCY: readonly number[] = values.concurrency === undefined ? [1, 16, 256] : values.concurrency.split(',').map(Number);
const SIZES: readonly number[] = values.size === undefined ? [256, 16 * 1024] : values.size.split(',').map(Number);

/** The instance: answers POST /echo with the request body. */
function benchService(entryTransport: Awaited<ReturnType<typeof createInstanceTransport>>): Microservice {
  const svc = createMicroservice({ name: SERVICE, version: VERSION, instanceId: `bench-${process.pid}`, transport: entryTransport });
  svc.post('/echo', async (req) => ({ status: 200, body: req.body }));
  return svc;
}

if (values.instance) {
  const entry = JSON.parse(values.config ?? '{}') as TransportConfigEntry;
  const svc = benchService(await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger }));
  const profile = await startProfile();
  await svc.start();
  process.stdout.write(`bench instance ready ${svc.instanceId}\n`);
  process.on('SIGTERM', () => {
    void svc
      .stop()
      .then(profile)
      .then(() => process.exit(0));
  });
} else {
  await main();
}

/** With BENCH_PROFILE_DIR set, the instance process writes a CPU profile there when it stops (--cpu-prof cannot go through NODE_OPTIONS). */
async function startProfile(): Promise<() => Promise<void>> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (dir === undefined) return async () => undefined;
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${dir}/instance-${process.pid}.cpuprofile`, JSON.stringify(profile));
  };
}

interface Cell {
  backend: string;
  instance: 'separate process' | 'same process';
  concurrency: number;
  payloadBytes: number;
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** 1-minute load average when the cell ended: the machine is shared, so read the numbers beside it. */
  loadAverage: number;
}

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const cells: Cell[] = [];
  const backends = values.backend === undefined ? ['memory', 'valkey'] : [values.backend];
  const notes: string[] = [
    'memory: the instance runs in the bench process (the memory backend is in-process only); valkey: the instance is a separate process',
    'closed loop: each of `concurrency` callers dispatches, awaits the RESPONSE, repeats; payload = request body = response body',
  ];
  for (const backend of backends) {
    if (backend === 'memory') cells.push(...(await runMemory(seconds, warmup)));
    else if (backend === 'valkey') {
      const server = await startValkey();
      if (server === null) {
        notes.push('valkey: SKIPPED, no server available');
        continue;
      }
      try {
        cells.push(...(await runValkey(server.url, seconds, warmup)));
      } finally {
        await server.stop();
      }
    }
  }
  printTable(cells, [
    { title: 'backend', value: (c) => c.backend },
    { title: 'conc', value: (c) => c.concurrency },
    { title: 'bytes', value: (c) => c.payloadBytes },
    { title: 'req/s', value: (c) => Math.round(c.requestsPerSecond) },
    { title: 'p50 ms', value: (c) => c.p50Ms },
    { title: 'p99 ms', value: (c) => c.p99Ms },
    { title: 'errors', value: (c) => c.errors },
    { title: 'load', value: (c) => c.loadAverage },
  ]);
  const written = writeResults('rpc', { environment: benchEnvironment(), seconds, warmupSeconds: warmup, notes, cells });
  process.stdout.write(`results: ${written.file}\n`);
  process.exit(0);
}

async function runMemory(seconds: number, warmup: number): Promise<Cell[]> {
  const namespace = `bench-${randomUUID()}`;
  const entry: TransportConfigEntry = { type: 'messaging', backend: 'memory', memory: { namespace } };
  const svc = benchService(await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger }));
  await svc.start();
  const factory = await createQueueFactoryFromConfig('memory', { namespace }, { clock: systemClock });
  try {
    return await measureAll('memory', 'same process', factory, svc.instanceId, seconds, warmup);
  } finally {
    await svc.stop();
  }
}

async function runValkey(url: string, seconds: number, warmup: number): Promise<Cell[]> {
  const prefix = `bench-${randomUUID()}`;
  const entry = { type: 'messaging', backend: 'valkey', valkey: { url }, queues: { prefix } };
  const instance = spawnTs('bench/rpc.bench.ts', ['--instance', '--config', JSON.stringify(entry)]);
  const ready = await instance.waitFor(/bench instance ready (\S+)/, 30_000);
  const factory = await createQueueFactoryFromConfig('valkey', { url, prefix }, { clock: systemClock });
  try {
    return await measureAll('valkey', 'separate process', factory, ready[1] as string, seconds, warmup);
  } finally {
    await instance.stop('SIGTERM', 10_000);
  }
}

async function measureAll(
  backend: string,
  where: Cell['instance'],
  factory: MessageQueueFactory,
  instanceId: string,
  seconds: number,
  warmup: number,
): Promise<Cell[]> {
  const gateway = new MessagingGatewayTransport({ factory, ownsFactory: true }, { clock: systemClock, logger: silentLogger, node: { id: `bench-gw-${process.pid}`, region: 'local' } });
  const events: GatewayTransportEvents = { control: () => undefined, lost: () => undefined };
  await gateway.start(events);
  const target: DispatchTarget = {
    instanceId,
    service: SERVICE,
    version: VERSION,
    link: { transport: TransportType.Messaging, address: serviceRequestsQueue(SERVICE, VERSION) },
  };
  const cells: Cell[] = [];
  try {
    for (const payloadBytes of SIZES) {
      for (const concurrency of CONCURRENCY) {
        await loop(gateway, target, concurrency, payloadBytes, warmup * 1000);
        const r = await loop(gateway, target, concurrency, payloadBytes, seconds * 1000);
        const lat = summarize(r.latenciesMs);
        const cell: Cell = {
          backend,
          instance: where,
          concurrency,
          payloadBytes,
          requests: r.count,
          errors: r.errors,
          seconds: round(r.elapsedMs / 1000, 3),
          requestsPerSecond: round(ratePerSecond(r.count, r.elapsedMs), 0),
          p50Ms: round(lat.p50, 3),
          p99Ms: round(lat.p99, 3),
          meanMs: round(lat.mean, 3),
          loadAverage: round(loadavg()[0] ?? 0, 2),
        };
        cells.push(cell);
        process.stdout.write(`${backend} c=${concurrency} ${payloadBytes} B: ${cell.requestsPerSecond} req/s, p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms\n`);
      }
    }
  } finally {
    await gateway.stop();
  }
  return cells;
}

async function loop(
  gateway: MessagingGatewayTransport,
  target: DispatchTarget,
  concurrency: number,
  payloadBytes: number,
  durationMs: number,
): Promise<{ count: number; errors: number; elapsedMs: number; latenciesMs: number[] }> {
  const body = new Uint8Array(payloadBytes).fill(0x61);
  // One never-aborted signal shared by every caller (a real gateway has one per HTTP request).
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  const latenciesMs: number[] = [];
  let errors = 0;
  const start = process.hrtime.bigint();
  const endAt = start + BigInt(durationMs) * 1_000_000n;
  const caller = async (): Promise<void> => {
    while (process.hrtime.bigint() < endAt) {
      const t0 = process.hrtime.bigint();
      try {
        const res = await gateway.dispatch(
          target,
          { method: 'POST', path: '/echo', query: '', headers: {}, body, deadline: Date.now() + 30_000, identity: null },
          {},
        );
        if (res.status !== 200 || res.body.length !== payloadBytes) errors++;
        latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { count: latenciesMs.length, errors, elapsedMs: Number(process.hrtime.bigint() - start) / 1e6, latenciesMs };
}
