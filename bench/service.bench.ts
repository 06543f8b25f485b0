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
 * `--queued` REQUESTs with `--concurrency` in flight.
 *
 * `--reference` adds the reference worker of bench:http for the transport
 * (bench/reference/valkey-worker.mjs or tcp-worker.mjs), driven the same way, its rounds
 * interleaved with the echo's: the side-by-side the echo's CPU per REQUEST is judged against.
 * `--base <checkout>` adds the echo of another checkout's build (its `npm run build` done), driven
 * the same way, rounds interleaved: an A/B of a change in one run.
 * The echo's REQUESTs carry what bench:http's gateway forwards (identity headers, request id,
 * identity); the reference's the client's headers only, as the reference gateways forward them.
 *
 * Syscalls and wake-ups per REQUEST do not depend on how loaded the machine is; CPU and latency
 * do. Each shape runs `--rounds` times in one service process (the first round warms it up; the
 * summary is the median of the others). The echo process runs from dist (`tsc -b` first).
 * Nothing is asserted; nothing is written.
 *
 *   npm run bench:service
 *   npm run bench:service -- --serial 3000 --queued 20000 --rounds 4
 *   npm run bench:service -- --reference --rounds 6
 *   npm run bench:service -- --transport tcp --reference --rounds 6
 *   npm run bench:service -- --base /tmp/main-before --rounds 6
 *   npm run bench:service -- "--node-args=--cpu-prof --cpu-prof-dir=/tmp/prof"
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median, percentile, processCpuMicros, round } from './lib/index.js';
import type { EchoDriver, EchoRequestShape } from './lib/echo-driver.js';
import { referenceTcpDriver, switchyardTcpDriver } from './lib/tcp-echo-drivers.js';
import { referenceValkeyDriver, switchyardValkeyDriver } from './lib/valkey-echo-drivers.js';
import { startValkey, type ValkeyServer } from '../test/harness/valkey.js';

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
    /** Also the transport's reference worker, rounds interleaved. */
    reference: { type: 'boolean', default: false },
    /** Also the echo built in this other checkout, rounds interleaved (an A/B of a change). */
    base: { type: 'string' },
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

async function measure(driver: EchoDriver, shape: 'serial' | 'queued', n: number): Promise<Measured> {
  const start = counters(driver.pid);
  const valkeyStart = await driver.valkeyCpuUs?.();
  const startedAt = Date.now();
  const latencies = shape === 'serial' ? await driver.serial(n) : (await driver.queued(n, CONCURRENCY), []);
  const ms = Date.now() - startedAt;
  const end = counters(driver.pid);
  const valkeyEnd = await driver.valkeyCpuUs?.();
  const valkeyUs = valkeyStart === undefined || valkeyEnd === undefined ? undefined : (valkeyEnd - valkeyStart) / n;
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
let valkey: ValkeyServer | null = null;
try {
  if (values.transport === 'valkey') {
    valkey = await startValkey();
    if (valkey === null) throw new Error('bench:service over Valkey needs a Valkey server (valkey-server or redis-server on PATH)');
    drivers.push(await switchyardValkeyDriver(valkey, dir, nodeArgs, SHAPE));
    if (values.base !== undefined) drivers.push(await switchyardValkeyDriver(valkey, dir, nodeArgs, SHAPE, resolve(values.base)));
    if (values.reference) drivers.push(await referenceValkeyDriver(valkey, REFERENCE_SHAPE));
  } else if (values.transport === 'tcp') {
    drivers.push(await switchyardTcpDriver(dir, nodeArgs, SHAPE));
    if (values.base !== undefined) drivers.push(await switchyardTcpDriver(dir, nodeArgs, SHAPE, resolve(values.base)));
    if (values.reference) drivers.push(await referenceTcpDriver(REFERENCE_SHAPE));
  } else {
    throw new Error(`--transport ${values.transport}: use valkey or tcp`);
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
      const med = (k: 'cpuUs' | 'wakeups' | 'writes' | 'p50Us' | 'valkeyUs'): string => {
        const v = rows.map((r) => r[k]).filter((x): x is number => x !== undefined);
        return v.length === 0 ? '–' : String(round(median(v), 2));
      };
      process.stdout.write(`  ${driver.name.padEnd(18)} ${shape.padEnd(7)} CPU-µs ${med('cpuUs').padStart(6)}  wake-ups ${med('wakeups').padStart(5)}  writes ${med('writes').padStart(5)}  Valkey CPU-µs ${med('valkeyUs').padStart(6)}  p50 µs ${med('p50Us')}\n`);
    }
  }
} finally {
  for (const driver of drivers) await driver.stop();
  await valkey?.stop();
  rmSync(dir, { recursive: true, force: true });
}
