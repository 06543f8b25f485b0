/**
 * `npm run bench:service`: the echo service alone, with no gateway and no HTTP in front of it, so
 * what it measures is the service process (and Valkey), with nothing else of the path competing
 * for the cores.
 *
 * Over Valkey (the default) the bench writes REQUEST frames straight into the service's requests
 * stream and reads the RESPONSEs from a responses stream with XREAD:
 *
 *   serial   one REQUEST at a time (the shape of c=1): the time from the REQUEST's XADD to its
 *            RESPONSE read back, and per REQUEST the service's CPU-µs, write and read syscalls and
 *            voluntary context switches (wake-ups), and Valkey's CPU-µs;
 *   queued   `--queued` REQUESTs put in the stream first, then drained by the service in reads of
 *            up to its concurrency (the shape of c=256): the same counters per REQUEST.
 *
 * Over TCP (`--transport tcp`) this process is the gateway's end of the link (Switchyard's own TCP
 * gateway transport, bench/lib/tcp-echo-drivers.ts): `serial` as above, `queued` a closed loop of
 * `--queued` REQUESTs with `--concurrency` in flight. `--reference` adds the reference TCP worker
 * of bench:http (bench/reference/tcp-worker.mjs) driven the same way, its rounds interleaved with
 * the echo's, which is the side-by-side the echo's CPU per REQUEST is judged against.
 *
 * Syscalls and wake-ups per REQUEST do not depend on how loaded the machine is; CPU and latency
 * do. Each shape runs `--rounds` times in one service process (the first round warms it up; the
 * summary is the median of the others). The echo process runs from dist (`tsc -b` first).
 * Nothing is asserted; nothing is written.
 *
 *   npm run bench:service
 *   npm run bench:service -- --serial 3000 --queued 20000 --rounds 4
 *   npm run bench:service -- --transport tcp --reference --rounds 6
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
import { referenceTcpDriver, switchyardTcpDriver, type EchoDriver, type EchoRequestShape } from './lib/tcp-echo-drivers.js';
import { startValkey } from '../test/harness/valkey.js';

const { values } = parseArgs({
  options: {
    serial: { type: 'string', default: '3000' },
    queued: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '256' },
    /** valkey (Messaging) or tcp. */
    transport: { type: 'string', default: 'valkey' },
    /** In-flight REQUESTs of the queued shape over TCP. */
    concurrency: { type: 'string', default: '256' },
    /** Over TCP, also the reference worker, rounds interleaved. */
    reference: { type: 'boolean', default: false },
    /** Extra node flags for the echo process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'node-args': { type: 'string', default: '' },
  },
  strict: true,
});

const SERIAL = Number(values.serial);
const QUEUED = Number(values.queued);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const BODY = Buffer.alloc(Number(values.size), 0x61);
/** What bench:http's load generator sends: a POST with these headers. */
const CLIENT_HEADERS = { host: '127.0.0.1:8080', 'content-length': String(BODY.length), 'content-type': 'application/octet-stream' };
/**
 * A REQUEST as the gateway of bench:http forwards that POST (anonymous auth): the client's
 * headers, the identity headers it writes from the verified principal, the request id, and the
 * identity itself. The reference worker gets the client's headers only, as the reference gateway
 * forwards them.
 */
const SHAPE: EchoRequestShape = {
  path: '/echo/bench',
  headers: {
    ...CLIENT_HEADERS,
    'x-switchyard-identity-anonymous': 'true',
    'x-switchyard-identity-subject': 'anonymous',
    'x-user-id': 'anonymous',
    'x-switchyard-identity-scopes': '',
    'x-scopes': '',
    'x-request-id': '4fba1a44d29b5839c57055dd2ae8c832',
  },
  identity: { anonymous: true, claims: {}, subject: 'anonymous', scopes: [] },
  body: BODY,
};
const REFERENCE_SHAPE: EchoRequestShape = { path: SHAPE.path, headers: CLIENT_HEADERS, identity: null, body: BODY };
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

/** A driver over Messaging/Valkey, and Valkey's CPU so far (reported per REQUEST beside the service's). */
interface ValkeyDriver extends EchoDriver {
  valkeyCpuUs(): Promise<number>;
}

/** The echo service over Messaging on a Valkey server of its own; REQUESTs written straight into its stream. */
async function valkeyDriver(dir: string, nodeArgs: readonly string[]): Promise<ValkeyDriver> {
  const valkey = await startValkey();
  if (valkey === null) {
    process.stderr.write('bench:service needs a Valkey server (valkey-server or redis-server on PATH)\n');
    process.exit(1);
  }
  const prefix = `bench-svc-${newFrameId().slice(0, 8)}`;
  const config = join(dir, 'echo.json');
  const service = { name: 'echo', version: '1.0.0', region: 'bench' };
  writeFileSync(config, JSON.stringify({ service, transports: [{ type: 'messaging', backend: 'valkey', valkey: { url: valkey.url }, queues: { prefix }, auth: { insecure: true } }] }));
  const echo = spawnNode(nodeArgs, 'examples/echo/dist/main.js', ['--config', config]);
  const client = new Redis(valkey.url);
  const reader = new Redis(valkey.url);
  await echo.waitFor(/echo listening/, 20_000);
  const requests = queueKeys(prefix, regionRequestsQueue(service.name, service.version, service.region), ':dlq').stream;
  const replyTo = gatewayResponsesQueue('bench-service');
  const responses = queueKeys(prefix, replyTo, ':dlq').stream;
  const request = (): Buffer => {
    const now = Date.now();
    const frame: RequestFrame = {
      v: 1,
      type: 'REQUEST',
      id: newFrameId(),
      sentAt: now,
      payload: { method: 'POST', path: SHAPE.path, query: '', headers: SHAPE.headers, body: SHAPE.body, deadline: now + 60_000, replyTo, identity: SHAPE.identity },
    };
    return Buffer.from(encodeFrame(frame));
  };
  // Each serial round reads the responses stream from its current end.
  const resync = async (): Promise<string> => {
    const last = (await client.xrevrange(responses, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    return last[0]?.[0] ?? '0';
  };
  return {
    name: 'switchyard/valkey',
    pid: echo.pid,
    valkeyCpuUs: () => valkeyCpuUs(client),
    serial: async (n) => {
      let lastRead = await resync();
      const latencies: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = process.hrtime.bigint();
        await client.xadd(requests, '*', 'p', request());
        const reply = (await reader.xread('COUNT', 16, 'BLOCK', 10_000, 'STREAMS', responses, lastRead)) as Array<[string, Array<[string, string[]]>]> | null;
        if (reply === null) throw new Error('no RESPONSE within 10 s');
        latencies.push(Number(process.hrtime.bigint() - start) / 1_000);
        lastRead = reply[0]![1].at(-1)![0];
      }
      return latencies;
    },
    // Queued first, then drained; resolves once every RESPONSE is in the stream.
    closedLoop: async (n) => {
      const before = await client.xlen(responses);
      for (let i = 0; i < n; i += PIPELINE) {
        const pipeline = client.pipeline();
        for (let j = i; j < Math.min(n, i + PIPELINE); j++) pipeline.xadd(requests, '*', 'p', request());
        await pipeline.exec();
      }
      while ((await client.xlen(responses)) < before + n) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    stop: async () => {
      client.disconnect();
      reader.disconnect();
      await echo.stop();
      await valkey.stop();
    },
  };
}

interface Measured {
  readonly driver: string;
  readonly shape: string;
  readonly cpuUs: number;
  readonly writes: number;
  readonly reads: number;
  readonly wakeups: number;
  readonly valkeyUs?: number;
  readonly p50Us?: number;
}

async function measure(driver: EchoDriver | ValkeyDriver, shape: 'serial' | 'queued', n: number): Promise<Measured> {
  const valkeyOf = 'valkeyCpuUs' in driver ? () => driver.valkeyCpuUs() : undefined;
  const start = counters(driver.pid);
  const valkeyStart = await valkeyOf?.();
  const startedAt = Date.now();
  const latencies = shape === 'serial' ? await driver.serial(n) : (await driver.closedLoop(n, CONCURRENCY), []);
  const ms = Date.now() - startedAt;
  const end = counters(driver.pid);
  const valkeyUs = valkeyStart === undefined ? undefined : (((await valkeyOf?.()) ?? Number.NaN) - valkeyStart) / n;
  const per = (k: keyof Counters): number => round((end[k] - start[k]) / n, 2);
  latencies.sort((a, b) => a - b);
  const p50Us = latencies.length === 0 ? undefined : round(percentile(latencies, 50), 0);
  const latency = latencies.length === 0 ? '' : `, p50 ${p50Us} µs, p90 ${round(percentile(latencies, 90), 0)} µs`;
  const valkeyText = valkeyUs === undefined ? '' : `; Valkey ${round(valkeyUs, 1)} CPU-µs`;
  process.stdout.write(
    `${driver.name} ${shape} ${n} in ${ms} ms: service ${round(per('cpuUs'), 1)} CPU-µs, ${per('writes')} writes, ${per('reads')} reads, ${per('wakeups')} wake-ups${valkeyText} per REQUEST${latency}\n`,
  );
  return { driver: driver.name, shape, cpuUs: per('cpuUs'), writes: per('writes'), reads: per('reads'), wakeups: per('wakeups'), ...(valkeyUs === undefined ? {} : { valkeyUs }), ...(p50Us === undefined ? {} : { p50Us }) };
}

const dir = mkdtempSync(join(tmpdir(), 'sy-bench-service-'));
const nodeArgs = values['node-args'].split(' ').filter((a) => a !== '');
const drivers: EchoDriver[] = [];
try {
  if (values.transport === 'valkey') drivers.push(await valkeyDriver(dir, nodeArgs));
  else if (values.transport === 'tcp') drivers.push(await switchyardTcpDriver(dir, nodeArgs, SHAPE));
  else throw new Error(`--transport ${values.transport}: use valkey or tcp`);
  if (values.reference) {
    if (values.transport !== 'tcp') throw new Error('--reference: the reference worker is measured over tcp only (bench:http --reference has the Valkey pair)');
    drivers.push(await referenceTcpDriver(REFERENCE_SHAPE));
  }
  const results: Measured[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const driver of drivers) {
      const serial = await measure(driver, 'serial', SERIAL);
      const queued = await measure(driver, 'queued', QUEUED);
      // The first round warms each process up.
      if (i > 0 || ROUNDS === 1) results.push(serial, queued);
    }
  }
  process.stdout.write(`\nmedians of ${ROUNDS > 1 ? ROUNDS - 1 : 1} round(s), per REQUEST:\n`);
  for (const driver of drivers) {
    for (const shape of ['serial', 'queued']) {
      const rows = results.filter((r) => r.driver === driver.name && r.shape === shape);
      const med = (k: 'cpuUs' | 'wakeups' | 'writes' | 'p50Us'): string => {
        const v = rows.map((r) => r[k]).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
        return v.length === 0 ? '–' : String(round(percentile(v, 50), 2));
      };
      process.stdout.write(`  ${driver.name.padEnd(18)} ${shape.padEnd(7)} CPU-µs ${med('cpuUs').padStart(6)}  wake-ups ${med('wakeups').padStart(5)}  writes ${med('writes').padStart(5)}  p50 µs ${med('p50Us')}\n`);
    }
  }
} finally {
  for (const driver of drivers) await driver.stop();
}
