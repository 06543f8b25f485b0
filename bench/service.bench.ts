/**
 * `npm run bench:service`: the echo service alone over Messaging on Valkey, with no gateway and no
 * HTTP in front of it. The bench writes REQUEST frames straight into the service's requests stream
 * and reads the RESPONSEs from a responses stream with XREAD, so what it measures is the service
 * process and Valkey, with nothing else of the path competing for the cores:
 *
 *   serial   one REQUEST at a time (the shape of c=1): the time from the REQUEST's XADD to its
 *            RESPONSE read back, and per REQUEST the service's CPU-µs, write and read syscalls and
 *            voluntary context switches (wake-ups), and Valkey's CPU-µs;
 *   queued   `--queued` REQUESTs put in the stream first, then drained by the service in reads of
 *            up to its concurrency (the shape of c=256): the same counters per REQUEST.
 *
 * Syscalls and wake-ups per REQUEST do not depend on how loaded the machine is; CPU and latency
 * do. Each shape runs `--rounds` times in one service process (the first round warms it up).
 * The echo process runs from dist (`tsc -b` first). Nothing is asserted; nothing is written.
 *
 *   npm run bench:service
 *   npm run bench:service -- --serial 3000 --queued 20000 --rounds 4
 *   npm run bench:service -- "--node-args=--cpu-prof --cpu-prof-dir=/tmp/prof"
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { encodeFrame, newFrameId, type RequestFrame } from '@switchyard/core';
import { gatewayResponsesQueue, regionRequestsQueue } from '@switchyard/core/internal';
import { queueKeys } from '@switchyard/transport-valkey';
import { percentile, processCpuMicros, round } from './lib/index.js';
import { spawnNode } from '../test/harness/process.js';
import { startValkey } from '../test/harness/valkey.js';

const { values } = parseArgs({
  options: {
    serial: { type: 'string', default: '3000' },
    queued: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '256' },
    /** Extra node flags for the echo process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'node-args': { type: 'string', default: '' },
  },
  strict: true,
});

const SERIAL = Number(values.serial);
const QUEUED = Number(values.queued);
const ROUNDS = Number(values.rounds);
const BODY = Buffer.alloc(Number(values.size), 0x61);
/** Queued REQUESTs are written in pipelines of this many XADDs. */
const PIPELINE = 500;

interface Counters {
  readonly cpuUs: number;
  readonly reads: number;
  readonly writes: number;
  readonly wakeups: number;
}

/** The service process's CPU (user + system), read and write syscalls and voluntary context switches so far. */
function counters(pid: number): Counters {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (text: string, pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? Number.NaN);
  return {
    cpuUs: processCpuMicros(pid) ?? Number.NaN,
    reads: field(io, /^syscr:\s+(\d+)/m),
    writes: field(io, /^syscw:\s+(\d+)/m),
    wakeups: field(status, /^voluntary_ctxt_switches:\s+(\d+)/m),
  };
}

async function valkeyCpuUs(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1_000_000;
}

const valkey = await startValkey();
if (valkey === null) {
  process.stderr.write('bench:service needs a Valkey server (valkey-server or redis-server on PATH)\n');
  process.exit(1);
}
const prefix = `bench-svc-${newFrameId().slice(0, 8)}`;
const dir = mkdtempSync(join(tmpdir(), 'sy-bench-service-'));
const config = join(dir, 'echo.json');
const service = { name: 'echo', version: '1.0.0', region: 'bench' };
writeFileSync(config, JSON.stringify({ service, transports: [{ type: 'messaging', backend: 'valkey', valkey: { url: valkey.url }, queues: { prefix }, auth: { insecure: true } }] }));
const nodeArgs = values['node-args'].split(' ').filter((a) => a !== '');
const echo = spawnNode(nodeArgs, 'examples/echo/dist/main.js', ['--config', config]);
const client = new Redis(valkey.url);
const reader = new Redis(valkey.url);

try {
  await echo.waitFor(/echo listening/, 20_000);
  const requests = queueKeys(prefix, regionRequestsQueue(service.name, service.version, service.region), ':dlq').stream;
  const replyTo = gatewayResponsesQueue('bench-service');
  const responses = queueKeys(prefix, replyTo, ':dlq').stream;
  const request = (): Uint8Array => {
    const now = Date.now();
    const frame: RequestFrame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: now,
      payload: {
        method: 'POST',
        path: '/echo/bench',
        query: '',
        headers: { host: '127.0.0.1', 'content-type': 'application/octet-stream', 'content-length': String(BODY.length) },
        body: BODY,
        deadline: now + 60_000,
        replyTo,
        identity: null,
      },
    };
    return encodeFrame(frame);
  };
  let lastRead = '0';

  /** One REQUEST at a time; the latency of each, XADD to RESPONSE read. */
  const serial = async (n: number): Promise<number[]> => {
    const latencies: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = process.hrtime.bigint();
      await client.xadd(requests, '*', 'p', Buffer.from(request()));
      const reply = (await reader.xread('COUNT', 16, 'BLOCK', 10_000, 'STREAMS', responses, lastRead)) as Array<[string, Array<[string, string[]]>]> | null;
      if (reply === null) throw new Error('no RESPONSE within 10 s');
      latencies.push(Number(process.hrtime.bigint() - start) / 1_000);
      lastRead = reply[0]![1].at(-1)![0];
    }
    return latencies;
  };

  /** `n` REQUESTs queued first, then drained; resolves once every RESPONSE is in the stream. */
  const queued = async (n: number): Promise<number[]> => {
    const before = await client.xlen(responses);
    for (let i = 0; i < n; i += PIPELINE) {
      const pipeline = client.pipeline();
      for (let j = i; j < Math.min(n, i + PIPELINE); j++) pipeline.xadd(requests, '*', 'p', Buffer.from(request()));
      await pipeline.exec();
    }
    while ((await client.xlen(responses)) < before + n) await new Promise((resolve) => setTimeout(resolve, 5));
    return [];
  };

  const measure = async (shape: string, n: number, run: (n: number) => Promise<number[]>): Promise<void> => {
    const start = counters(echo.pid);
    const valkeyStart = await valkeyCpuUs(client);
    const startedAt = Date.now();
    const latencies = await run(n);
    const ms = Date.now() - startedAt;
    const end = counters(echo.pid);
    const valkeyUs = ((await valkeyCpuUs(client)) - valkeyStart) / n;
    const per = (k: keyof Counters): number => round((end[k] - start[k]) / n, 2);
    latencies.sort((a, b) => a - b);
    const latency = latencies.length === 0 ? '' : `, p50 ${round(percentile(latencies, 50), 0)} µs, p90 ${round(percentile(latencies, 90), 0)} µs`;
    process.stdout.write(
      `${shape} ${n} in ${ms} ms: service ${round(per('cpuUs'), 1)} CPU-µs, ${per('writes')} writes, ${per('reads')} reads, ${per('wakeups')} wake-ups; Valkey ${round(valkeyUs, 1)} CPU-µs per REQUEST${latency}\n`,
    );
  };

  // Each serial round reads the responses stream from its current end.
  const resync = async (): Promise<void> => {
    const last = (await client.xrevrange(responses, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    lastRead = last[0]?.[0] ?? '0';
  };
  for (let i = 0; i < ROUNDS; i++) {
    await resync();
    await measure('serial', SERIAL, serial);
    await measure('queued', QUEUED, queued);
  }
} finally {
  client.disconnect();
  reader.disconnect();
  await echo.stop();
  await valkey.stop();
}
