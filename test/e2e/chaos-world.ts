/**
 * The moving parts of a chaos test: one real gateway process and N real counting-service
 * processes over the same `transports:` entry, an HTTP load of uniquely identified requests, and
 * the handlers' per-request execution counts (read from the files they append to).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { eventually } from '../harness/wait.js';

export interface ChaosWorld {
  readonly dir: string;
  readonly url: string;
  gateway: TsProcess;
  readonly services: TsProcess[];
  readonly countFiles: string[];
  /** Starts another gateway process (a restart: a new node id unless given). */
  startGateway(nodeId?: string): Promise<{ process: TsProcess; url: string }>;
  /** Stops every process it started (SIGKILL after a short grace). */
  stop(): Promise<void>;
}

export interface ChaosWorldOptions {
  /** The `transports:` entry both sides use. */
  readonly entry: Record<string, unknown>;
  readonly services: number;
  /** Request deadline at the gateway. @default 20000 */
  readonly timeoutMs?: number;
  /** Extra gateway config (merged at the top level). */
  readonly gatewayExtra?: Record<string, unknown>;
  /** Extra environment of every service process (e.g. COUNT_DONE_SUFFIX, WORK_MS). */
  readonly serviceEnv?: Record<string, string>;
}

const live = new Set<TsProcess>();
process.once('exit', () => {
  for (const p of live) p.child.kill('SIGKILL');
});

export async function startChaosWorld(o: ChaosWorldOptions): Promise<ChaosWorld> {
  try {
    return await startWorld(o);
  } catch (err) {
    for (const p of [...live]) {
      p.child.kill('SIGKILL');
      live.delete(p);
    }
    throw err;
  }
}

async function startWorld(o: ChaosWorldOptions): Promise<ChaosWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-chaos-'));
  const startGateway = async (nodeId = `gw-chaos-${randomUUID().slice(0, 8)}`): Promise<{ process: TsProcess; url: string }> => {
    const config = {
      node: { id: nodeId, region: 'chaos' },
      http: { host: '127.0.0.1', port: 0, shutdownGraceMs: 5_000 },
      transports: [o.entry],
      routing: { defaultTimeoutMs: o.timeoutMs ?? 20_000 },
      auth: { anonymous: { subject: 'anonymous' } },
      log: { level: 'info' },
      ...o.gatewayExtra,
    };
    const file = join(dir, `${nodeId}.json`);
    writeFileSync(file, JSON.stringify(config));
    const process = spawnTs('packages/gateway/src/cli.ts', ['--config', file]);
    live.add(process);
    const m = await process.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000);
    return { process, url: m[1] as string };
  };
  const gw = await startGateway();
  const services: TsProcess[] = [];
  const countFiles: string[] = [];
  const serviceConfig = join(dir, 'counting.json');
  writeFileSync(serviceConfig, JSON.stringify({ service: { name: 'counting', version: '1.0.0', region: 'chaos', heartbeatIntervalMs: 500 }, transports: [o.entry] }));
  for (let i = 0; i < o.services; i++) {
    const countFile = join(dir, `count-${i}.txt`);
    countFiles.push(countFile);
    const p = spawnTs('test/e2e/fixtures/counting-service.ts', ['--config', serviceConfig, '--instance-id', `counting-${i}`], { ...o.serviceEnv, COUNT_FILE: countFile });
    live.add(p);
    services.push(p);
  }
  await Promise.all(services.map((p) => p.waitFor(/counting listening/, 30_000)));
  const world: ChaosWorld = {
    dir,
    url: gw.url,
    gateway: gw.process,
    services,
    countFiles,
    startGateway: async (nodeId) => {
      const started = await startGateway(nodeId);
      return started;
    },
    async stop() {
      for (const p of [...live]) {
        await p.stop('SIGTERM', 3_000).catch(() => undefined);
        live.delete(p);
      }
    },
  };
  await eventually(async () => (await get(gw.url, '/work/probe', `probe-${randomUUID()}`)).status === 200, { within: 30_000, every: 200, what: 'the counting service answers through the gateway' });
  return world;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One GET with `x-request-id: id`; a connection failure is status 0 with the error as body. */
export function get(url: string, path: string, id: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}${path}`, { agent, headers: { 'x-request-id': id } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ status: 0, body: err.message }));
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.end();
  });
}

export interface LoadResult {
  /** Request ids sent. */
  readonly ids: string[];
  /** Requests not answered 200: id, status, body. */
  readonly failed: Array<{ id: string; status: number; body: string }>;
  readonly ms: number;
  /** When each request was sent and answered (Date.now()), by id. */
  readonly spans: ReadonlyMap<string, { readonly sent: number; readonly answered: number }>;
}

/**
 * `total` requests `GET /work/<i>`, `concurrency` at a time, each with a unique request id;
 * `at(answered)` runs after each answer (to inject faults at chosen points; not awaited by the load).
 */
export async function runLoad(url: string, total: number, concurrency: number, at: (answered: number) => void = () => undefined): Promise<LoadResult> {
  const run = randomUUID().slice(0, 8);
  const ids = Array.from({ length: total }, (_, i) => `chaos-${run}-${i}`);
  const failed: LoadResult['failed'] = [];
  const spans = new Map<string, { sent: number; answered: number }>();
  let next = 0;
  let answered = 0;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const id = ids[i] as string;
      const sent = Date.now();
      const res = await get(url, `/work/${i}`, id);
      spans.set(id, { sent, answered: Date.now() });
      if (res.status !== 200) failed.push({ id, status: res.status, body: res.body.slice(0, 300) });
      answered += 1;
      at(answered);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ids, failed, ms: Date.now() - started, spans };
}

/** Executions per request id over every handler's count file (a file a process never wrote counts nothing). */
export function executions(files: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of files) {
    if (!existsSync(f)) continue;
    for (const id of readFileSync(f, 'utf8').split('\n')) if (id !== '') counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * The ids whose handler completed on the SIGKILLed service `killed` and whose request was in flight
 * when it died (sent before `killedAt`, answered after). Such a run can finish in the moment
 * before the kill, before its answer reaches the run-once store, and then run again elsewhere
 * (docs/messaging-transport.md, "Run once across instances"); any other id completed twice is a
 * run-once failure.
 */
export function completedOnKilled(world: ChaosWorld, load: LoadResult, killed: number, killedAt: number): Set<string> {
  const file = world.countFiles[killed];
  const there = file === undefined ? new Map<string, number>() : executions([`${file}.done`]);
  return new Set([...there.keys()].filter((id) => inFlightAt(load, id, killedAt)));
}

/**
 * Whether request `id` was in flight at `at`: sent no later than `at` and answered no earlier
 * than `answeredFromMs` before it.
 */
export function inFlightAt(load: LoadResult, id: string, at: number, answeredFromMs = 0): boolean {
  const span = load.spans.get(id);
  return span !== undefined && span.sent <= at && span.answered >= at - answeredFromMs;
}

/** What a run's counts say about `ids`: never executed, executions beyond one per id, and the ids run more than once. */
export function executionReport(ids: readonly string[], counts: ReadonlyMap<string, number>): { neverRun: string[]; beyondOne: number; runTwice: string[] } {
  let beyondOne = 0;
  const neverRun: string[] = [];
  const runTwice: string[] = [];
  for (const id of ids) {
    const n = counts.get(id) ?? 0;
    if (n === 0) neverRun.push(id);
    if (n > 1) {
      beyondOne += n - 1;
      runTwice.push(id);
    }
  }
  return { neverRun, beyondOne, runTwice };
}
