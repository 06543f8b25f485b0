/**
 * Queue benchmark: enqueue → lease → ack throughput and enqueue-to-ack latency
 * over the Valkey backend, for batch sizes 1, 10, 100 and payloads 256 B and 16 KiB, beside the
 * same server's raw pipelined XADD rate measured in the same run. Writes
 * bench/results/queue-<timestamp>.json and queue-latest.json, prints a table. Not a test: nothing
 * is asserted. Starts its own server through the test harness.
 *
 *   npm run bench:queue            (SWITCHYARD_BENCH_QUICK=1 for a short run)
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { bytesCodec, type MessageQueueFactory } from '@switchyard/core';
import { connectValkeyQueueFactory } from '@switchyard/transport-valkey';
import { startValkey } from '../test/harness/valkey.js';
import { elapsedMs, printTable, ratePerSecond, round, summarize, writeResults, type LatencySummary } from './lib/index.js';

const quick = process.env.SWITCHYARD_BENCH_QUICK === '1';
const startedAt = new Date();
const server = await startValkey({ appendonly: false });
if (server === null) {
  console.error('no Valkey-compatible server: nothing measured');
  process.exit(1);
}

interface Baseline {
  readonly tool: string;
  readonly payloadBytes: number;
  readonly pipeline: number;
  readonly messagesPerSecond: number;
}

/** redis-benchmark -P 16 running XADD (its -t list has no xadd test, so the command is given explicitly). */
function redisBenchmarkXadd(port: number, payloadBytes: number): Baseline | undefined {
  const bin = ['valkey-benchmark', 'redis-benchmark'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);
  if (bin === undefined) return undefined;
  const key = `bench:{raw}:${randomUUID().slice(0, 8)}`;
  const n = quick ? 50_000 : 200_000;
  const r = spawnSync(bin, ['-p', String(port), '-P', '16', '-c', '50', '-n', String(n), '-q', 'XADD', key, 'MAXLEN', '~', '100000', '*', 'p', 'x'.repeat(payloadBytes)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const m = /([\d.]+) requests per second/.exec(r.stdout);
  spawnSync(bin.replace('benchmark', 'cli'), ['-p', String(port), 'DEL', key]);
  return m === null ? undefined : { tool: `${bin} -P 16 -c 50 XADD`, payloadBytes, pipeline: 16, messagesPerSecond: Number(m[1]) };
}

/** ioredis pipelines of 16 XADDs, 8 pipelines in flight: the same client library the backend uses. */
async function ioredisXadd(url: string, payloadBytes: number): Promise<Baseline> {
  const redis = new Redis(url);
  const key = `bench:{raw}:${randomUUID().slice(0, 8)}`;
  const payload = Buffer.alloc(payloadBytes, 120);
  const total = quick ? 40_000 : 160_000;
  let sent = 0;
  const start = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (sent < total) {
      const p = redis.pipeline();
      for (let i = 0; i < 16; i++) p.xadd(key, 'MAXLEN', '~', 100_000, '*', 'p', payload);
      sent += 16;
      await p.exec();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const ms = elapsedMs(start);
  await redis.del(key);
  redis.disconnect();
  return { tool: 'ioredis pipeline(16) x8 XADD', payloadBytes, pipeline: 16, messagesPerSecond: ratePerSecond(sent, ms) };
}

/** Batches in flight (enqueued, not yet acked) per scenario. */
const WINDOW_BATCHES = 8;
/** Lease reads whose acks may be outstanding while the consumer reads again. */
const ACKS_IN_FLIGHT = 4;

interface Scenario {
  readonly batch: number;
  readonly payloadBytes: number;
  readonly messages: number;
}

interface ScenarioResult extends Scenario {
  readonly seconds: number;
  readonly messagesPerSecond: number;
  readonly latencyMs: LatencySummary;
  readonly maxStreamLength: number;
  readonly ratioToRawXadd: number | undefined;
}

/**
 * Four producers enqueueBatch() `batch` messages at a time, held to a window of WINDOW_BATCHES
 * batches not yet acked (so latency measures the pipeline, not an ever-growing backlog); one
 * consumer leases up to max(batch, 10) per read and acks each lease (core coalesces acks into one
 * script call per tick), reading on while up to ACKS_IN_FLIGHT reads' acks are outstanding.
 * Latency is enqueue call → ack resolved, per message.
 */
async function runScenario(factory: MessageQueueFactory, redis: Redis, prefix: string, s: Scenario, raw: number | undefined): Promise<ScenarioResult> {
  const name = `bench-${s.batch}-${s.payloadBytes}`;
  const q = factory.queue(name, { codec: bytesCodec, leaseMs: 30_000 });
  const consumer = q.consumer();
  const payload = new Uint8Array(s.payloadBytes).fill(97);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let maxStreamLength = 0;
  const streamKey = `${prefix}:{${name}}`;
  const sampler = setInterval(() => {
    void redis.xlen(streamKey).then((n) => (maxStreamLength = Math.max(maxStreamLength, n)));
  }, 50);

  const start = process.hrtime.bigint();
  let enqueued = 0;
  const window = Math.max(64, s.batch * WINDOW_BATCHES);
  let wake: Array<() => void> = [];
  const produce = async (): Promise<void> => {
    while (enqueued < s.messages) {
      while (enqueued - acked >= window) await new Promise<void>((resolve) => wake.push(resolve));
      const n = Math.min(s.batch, s.messages - enqueued);
      enqueued += n;
      const t0 = performance.now();
      const ids = await q.enqueueBatch(Array.from({ length: n }, () => ({ message: payload })));
      for (const id of ids) sentAt.set(id, t0);
    }
  };
  let acked = 0;
  let leased = 0;
  // The consumer keeps leasing while earlier acks are in flight (up to ACKS_IN_FLIGHT reads' worth),
  // as a subscribe loop with free slots does.
  const consume = async (): Promise<void> => {
    const inFlight = new Set<Promise<void>>();
    while (leased < s.messages) {
      const leases = await consumer.lease({ max: Math.max(s.batch, 10), blockMs: 200 });
      leased += leases.length;
      const acking: Promise<void> = Promise.all(
        leases.map(async (l) => {
          await l.ack();
          const t0 = sentAt.get(l.id);
          if (t0 !== undefined) latencies.push(performance.now() - t0);
          acked += 1;
        }),
      ).then(() => {
        inFlight.delete(acking);
        const waiting = wake;
        wake = [];
        for (const w of waiting) w();
      });
      inFlight.add(acking);
      if (inFlight.size >= ACKS_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  };
  await Promise.all([produce(), produce(), produce(), produce(), consume()]);
  const ms = elapsedMs(start);
  clearInterval(sampler);
  maxStreamLength = Math.max(maxStreamLength, await redis.xlen(streamKey));
  await consumer.close();
  const rate = ratePerSecond(s.messages, ms);
  return { ...s, seconds: round(ms / 1000, 2), messagesPerSecond: round(rate, 0), latencyMs: summarize(latencies), maxStreamLength, ratioToRawXadd: raw === undefined ? undefined : round(rate / raw, 3) };
}

interface RequestResponseResult {
  readonly pairs: number;
  readonly clients: number;
  readonly concurrency: number;
  readonly pairsPerSecond: number;
  readonly queueOpsPerSecond: number;
  readonly latencyMs: LatencySummary;
}

/**
 * The shape the Messaging RPC layer uses: `clients` callers each enqueue a request and wait for
 * its response; a subscribe() loop (concurrency 64) answers each request by enqueueing a response
 * on a second queue, which another subscribe() loop hands back. Per pair: 2 enqueues, 2 leases,
 * 2 acks (6 queue operations). One process plays both sides.
 */
async function runRequestResponse(factory: MessageQueueFactory, pairs: number, clients: number): Promise<RequestResponseResult> {
  const requests = factory.queue<{ i: number }>('rr-requests', { leaseMs: 5_000 });
  const responses = factory.queue<{ i: number }>('rr-responses', { leaseMs: 5_000 });
  const waiting = new Map<number, () => void>();
  const concurrency = 64;
  const server = requests.subscribe(async (m) => void (await responses.enqueue({ i: m.i })), { concurrency });
  const client = responses.subscribe(async (m) => {
    waiting.get(m.i)?.();
    waiting.delete(m.i);
  }, { concurrency });
  const latencies: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < pairs) {
        const i = next++;
        const t0 = performance.now();
        const answered = new Promise<void>((resolve) => waiting.set(i, resolve));
        await requests.enqueue({ i });
        await answered;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const ms = elapsedMs(start);
  await server.close();
  await client.close();
  const rate = ratePerSecond(pairs, ms);
  return { pairs, clients, concurrency, pairsPerSecond: round(rate, 0), queueOpsPerSecond: round(rate * 6, 0), latencyMs: summarize(latencies) };
}

const prefix = `bench-${randomUUID().slice(0, 8)}`;
const baselines: Baseline[] = [];
for (const payloadBytes of [256, 16_384]) {
  const rb = redisBenchmarkXadd(server.port, payloadBytes);
  if (rb !== undefined) baselines.push(rb);
  baselines.push(await ioredisXadd(server.url, payloadBytes));
}
const rawFor = (payloadBytes: number): number | undefined =>
  baselines.find((b) => b.payloadBytes === payloadBytes && b.tool.includes('benchmark'))?.messagesPerSecond ??
  baselines.find((b) => b.payloadBytes === payloadBytes)?.messagesPerSecond;

const factory = await connectValkeyQueueFactory({ url: server.url, prefix });
const redis = new Redis(server.url);
const scale = quick ? 0.25 : 1;
const scenarios: Scenario[] = [
  { batch: 1, payloadBytes: 256, messages: 10_000 },
  { batch: 10, payloadBytes: 256, messages: 40_000 },
  { batch: 100, payloadBytes: 256, messages: 100_000 },
  { batch: 1, payloadBytes: 16_384, messages: 5_000 },
  { batch: 10, payloadBytes: 16_384, messages: 10_000 },
  { batch: 100, payloadBytes: 16_384, messages: 20_000 },
].map((s) => ({ ...s, messages: Math.round(s.messages * scale) }));
const results: ScenarioResult[] = [];
for (const s of scenarios) {
  results.push(await runScenario(factory, redis, prefix, s, rawFor(s.payloadBytes)));
  process.stderr.write(`  done: batch ${s.batch}, ${s.payloadBytes} B\n`);
}
const requestResponse = await runRequestResponse(factory, quick ? 5_000 : 20_000, 128);
process.stderr.write('  done: request/response\n');
await factory.close();
const leftovers = await redis.keys(`${prefix}:*`);
if (leftovers.length > 0) await redis.del(...leftovers);
redis.disconnect();
await server.stop();

console.log('\nraw XADD baselines (same server, same run)');
printTable(baselines, [
  { title: 'tool', value: (b) => b.tool },
  { title: 'payload B', value: (b) => b.payloadBytes },
  { title: 'msg/s', value: (b) => round(b.messagesPerSecond, 0) },
]);
console.log('\nenqueue → lease → ack through @switchyard/transport-valkey');
printTable(results, [
  { title: 'batch', value: (r) => r.batch },
  { title: 'payload B', value: (r) => r.payloadBytes },
  { title: 'messages', value: (r) => r.messages },
  { title: 'msg/s', value: (r) => r.messagesPerSecond },
  { title: '× raw XADD', value: (r) => r.ratioToRawXadd },
  { title: 'p50 ms', value: (r) => round(r.latencyMs.p50, 1) },
  { title: 'p99 ms', value: (r) => round(r.latencyMs.p99, 1) },
  { title: 'max stream len', value: (r) => r.maxStreamLength },
]);
console.log('\nrequest → response over two queues (subscribe loops, one process plays both sides)');
printTable([requestResponse], [
  { title: 'pairs', value: (r) => r.pairs },
  { title: 'callers', value: (r) => r.clients },
  { title: 'pairs/s', value: (r) => r.pairsPerSecond },
  { title: 'queue ops/s', value: (r) => r.queueOpsPerSecond },
  { title: 'p50 ms', value: (r) => round(r.latencyMs.p50, 1) },
  { title: 'p99 ms', value: (r) => round(r.latencyMs.p99, 1) },
]);
const { file } = writeResults('queue', { server: { kind: server.kind }, quick, baselines, scenarios: results, requestResponse, maxStreamLengthSeen: Math.max(...results.map((r) => r.maxStreamLength)) }, startedAt);
console.log(`\nwritten: ${file}`);
