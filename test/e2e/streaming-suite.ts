/**
 * Streamed bodies end to end (packages/gateway/README.md, "Streamed bodies"), transport-agnostic:
 * a real gateway process and a real service process (test/e2e/fixtures/stream-service.ts) over
 * the `transports` entries the caller hands in. Run over TCP (streaming-tcp.e2e.test.ts) and over
 * Messaging on Valkey (streaming-valkey.e2e.test.ts).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { eventually, within } from '../harness/wait.js';
import { echoBytesPattern } from '../../examples/echo/echo-streams.js';

export interface StreamingE2EOptions {
  /** `transports:` entries of the gateway and of the service. */
  readonly entries: () => { gateway: readonly Record<string, unknown>[]; service: readonly Record<string, unknown>[] };
  /** Valkey's used_memory now, when the transport runs on one. */
  readonly usedMemory?: () => Promise<number>;
  /** Called after the suite (closes what the caller opened). */
  readonly close?: () => Promise<void>;
}

const MiB = 1024 * 1024;
/** The gateway's and the instance's stream window (http.streamWindowBytes; the SDK's request window). */
const WINDOW = MiB;
const children = new Set<TsProcess>();
process.once('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
});

interface Pair {
  readonly gateway: TsProcess;
  readonly service: TsProcess;
  readonly base: string;
}

async function startPair(options: StreamingE2EOptions): Promise<Pair> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-stream-'));
  const entries = options.entries();
  const gatewayConfig = {
    node: { id: `gw-stream-${randomUUID().slice(0, 8)}`, region: 'e2e' },
    http: { host: '127.0.0.1', port: 0, maxBodyBytes: 65_536, bodyIdleTimeoutMs: 2_000, requestTimeoutMs: 600_000, streamWindowBytes: WINDOW },
    transports: entries.gateway,
    routing: { defaultTimeoutMs: 10_000 },
    auth: { anonymous: { subject: 'anonymous' } },
    log: { level: 'info' },
  };
  const gatewayFile = join(dir, 'gateway.json');
  writeFileSync(gatewayFile, JSON.stringify(gatewayConfig));
  const serviceFile = join(dir, 'service.json');
  writeFileSync(serviceFile, JSON.stringify({ service: { name: 'echo', version: '1.0.0', region: 'e2e' }, transports: entries.service }));
  const gateway = spawnTs('packages/gateway/src/cli.ts', ['--config', gatewayFile]);
  children.add(gateway);
  const base = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
  const service = spawnTs('test/e2e/fixtures/stream-service.ts', ['--config', serviceFile]);
  children.add(service);
  await service.waitFor(/stream-service listening/, 30_000);
  await eventually(async () => (await getJson(`${base}/echo/stats`)).status === 200, { within: 20_000, every: 100, what: 'the service to register' });
  return { gateway, service, base };
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

/** RSS of a process in bytes (Linux). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** A body of `size` pseudo-random bytes: a random 1 MiB block, each copy stamped with its index so a reordering shows. */
function* bodyBlocks(size: number): Generator<Buffer> {
  const block = randomBytes(MiB);
  for (let i = 0, left = size; left > 0; i++, left -= MiB) {
    const b = Buffer.from(block.subarray(0, Math.min(MiB, left)));
    b.writeUInt32BE(i, 0);
    yield b;
  }
}

interface Upload {
  readonly req: ClientRequest;
  /** Bytes handed to the kernel so far. */
  written(): number;
  /** sha256 of everything sent, once all of it is. */
  readonly sent: Promise<string>;
  readonly response: Promise<IncomingMessage>;
}

/** POSTs `size` bytes to `url` with backpressure honoured (write callbacks count what left the process). */
function upload(url: string, size: number, headers: Record<string, string> = { 'content-length': String(size) }): Upload {
  const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers } });
  let written = 0;
  const hash = createHash('sha256');
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  response.catch(() => undefined);
  const sent = (async () => {
    for (const block of bodyBlocks(size)) {
      hash.update(block);
      const ok = req.write(block, () => (written += block.length));
      if (!ok) {
        await new Promise<void>((resolve, reject) => {
          const drained = (): void => {
            req.off('close', closed);
            resolve();
          };
          const closed = (): void => {
            req.off('drain', drained);
            reject(new Error('the request closed while sending'));
          };
          req.once('drain', drained);
          req.once('close', closed);
        });
      }
    }
    req.end();
    return hash.digest('hex');
  })();
  sent.catch(() => undefined);
  return { req, written: () => written, sent, response };
}

interface Received {
  readonly bytes: number;
  readonly sha256: string;
  /** 'end': the response completed; otherwise the error that cut it. */
  readonly outcome: string;
}

/** Reads a response to its end or its error; `onData` may pause it. */
function readAll(res: IncomingMessage, onData?: (received: number) => void): Promise<Received> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let settled = false;
    const settle = (outcome: string): void => {
      if (settled) return;
      settled = true;
      resolve({ bytes, sha256: hash.digest('hex'), outcome });
    };
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
      onData?.(bytes);
    });
    res.once('end', () => settle('end'));
    res.once('error', (err) => settle(`error: ${err.message}`));
    res.once('aborted', () => settle('aborted'));
    res.once('close', () => settle(res.complete ? 'end' : 'closed incomplete'));
  });
}

function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, (res) => resolve(res));
    req.once('error', reject);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function registerStreamingE2E(name: string, options: StreamingE2EOptions): void {
  const test = suite(`streamed bodies over ${name}`);
  let pair: Pair;

  test.before(async () => {
    pair = await startPair(options);
  });
  test.after(async () => {
    await Promise.all([pair?.gateway.stop(), pair?.service.stop()]);
    await options.close?.();
  });

  test('256 MiB through POST /echo/stream comes back byte for byte (sha256), in bounded memory', async () => {
    const size = 256 * MiB;
    const memoryBefore = await options.usedMemory?.();
    let peakMemory = memoryBefore ?? 0;
    const rssBefore = { gateway: rssOf(pair.gateway.pid), service: rssOf(pair.service.pid) };
    let peakRss = { ...rssBefore };
    const sampler = setInterval(() => {
      peakRss = { gateway: Math.max(peakRss.gateway, rssOf(pair.gateway.pid)), service: Math.max(peakRss.service, rssOf(pair.service.pid)) };
      void options.usedMemory?.().then((m) => (peakMemory = Math.max(peakMemory, m)), () => undefined);
    }, 200);
    try {
      const up = upload(`${pair.base}/echo/stream`, size);
      const res = await within(up.response, 30_000, 'the response head');
      assert.is(res.statusCode, 200);
      const [sent, received] = await within(Promise.all([up.sent, readAll(res)]), 240_000, 'the echo of 256 MiB');
      assert.is(received.outcome, 'end');
      assert.is(received.bytes, size);
      assert.is(received.sha256, sent, 'the echoed body is the body sent');
    } finally {
      clearInterval(sampler);
    }
    // A buffered body would add 256 MiB (twice, for the request and its echo); the processes hold
    // windows, and what their garbage collectors have not returned yet. (The benchmark,
    // `npm run bench:stream`, reports peak RSS of built processes; tsx adds to these.)
    const grew = { gateway: peakRss.gateway - rssBefore.gateway, service: peakRss.service - rssBefore.service };
    assert.ok(grew.gateway < 160 * MiB, `gateway RSS grew by ${(grew.gateway / MiB).toFixed(0)} MiB`);
    assert.ok(grew.service < 160 * MiB, `service RSS grew by ${(grew.service / MiB).toFixed(0)} MiB`);
    if (memoryBefore !== undefined) {
      assert.ok(peakMemory - memoryBefore < 64 * MiB, `Valkey used_memory grew by ${((peakMemory - memoryBefore) / MiB).toFixed(1)} MiB`);
    }
  });

  test('GET /echo/bytes streams 256 MiB with its Content-Length, and the bytes are the pattern', async () => {
    const size = 256 * MiB;
    const res = await get(`${pair.base}/echo/bytes?n=${size}`);
    assert.is(res.statusCode, 200);
    assert.is(res.headers['content-length'], String(size), "the instance's Content-Length is relayed");
    const received = await within(readAll(res), 240_000, 'the 256 MiB download');
    const expected = createHash('sha256');
    const block = echoBytesPattern();
    for (let left = size; left > 0; left -= block.length) expected.update(left >= block.length ? block : block.subarray(0, left));
    assert.equal({ outcome: received.outcome, bytes: received.bytes }, { outcome: 'end', bytes: size });
    assert.is(received.sha256, expected.digest('hex'));
  });

  test('a slow handler holds the client back: the instance buffers at most the window, the client stalls', async () => {
    const tag = randomUUID();
    const size = 96 * MiB;
    const pausedAt = 8 * MiB;
    const up = upload(`${pair.base}/t/sink?tag=${tag}&pauseAfter=${pausedAt}&pauseMs=3000`, size);
    await eventually(async () => ((await getJson(`${pair.base}/t/report?tag=${tag}`)).body as { pausedAt?: number } | null)?.pausedAt !== undefined, {
      within: 30_000,
      every: 100,
      what: 'the handler to pause',
    });
    await sleep(1_500);
    const ahead = up.written() - pausedAt;
    const res = await within(up.response, 60_000, 'the answer');
    const report = JSON.parse(await new Response(res as unknown as ReadableStream).text()) as { bytes: number; maxBuffered: number; sha256: string; ended: string };
    assert.is(report.ended, 'complete');
    assert.is(report.bytes, size);
    assert.is(report.sha256, await up.sent);
    assert.ok(report.maxBuffered <= WINDOW, `the handler's request buffer held ${report.maxBuffered} bytes; the window is ${WINDOW}`);
    // What the client got ahead of the paused handler: the windows plus socket buffers, never the body.
    assert.ok(ahead < 48 * MiB, `the client got ${(ahead / MiB).toFixed(1)} MiB ahead of a paused handler`);
  });

  test('a slow client holds the handler back: the handler produces at most the windows ahead of the client', async () => {
    const tag = randomUUID();
    const size = 512 * MiB;
    const res = await get(`${pair.base}/t/produce?tag=${tag}&n=${size}`);
    assert.is(res.statusCode, 200);
    assert.is(res.headers['transfer-encoding'], 'chunked', 'no Content-Length from the instance: chunked');
    let received = 0;
    await new Promise<void>((resolve) => {
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= 4 * MiB) {
          res.pause();
          resolve();
        }
      });
    });
    res.removeAllListeners('data');
    await sleep(2_000);
    const produced = ((await getJson(`${pair.base}/t/report?tag=${tag}`)).body as { produced: number }).produced;
    assert.ok(produced - received < 48 * MiB, `the handler got ${((produced - received) / MiB).toFixed(1)} MiB ahead of a paused client`);
    assert.ok(produced < size / 2, `the handler produced ${(produced / MiB).toFixed(0)} MiB of ${size / MiB} MiB for a paused client`);
    res.destroy();
    // The client went away: the handler's stream is ended (CANCEL reached it).
    await eventually(async () => ((await getJson(`${pair.base}/t/report?tag=${tag}`)).body as { closed?: boolean }).closed === true, {
      within: 15_000,
      every: 100,
      what: "the handler's stream to close after the client left",
    });
  });

  test('a client that disconnects mid-upload reaches the handler as an abort', async () => {
    const tag = randomUUID();
    const up = upload(`${pair.base}/t/sink?tag=${tag}`, 64 * MiB, { 'transfer-encoding': 'chunked' });
    await eventually(async () => (((await getJson(`${pair.base}/t/report?tag=${tag}`)).body as { bytes?: number } | null)?.bytes ?? 0) > 2 * MiB, {
      within: 30_000,
      every: 100,
      what: 'the handler to read 2 MiB',
    });
    up.req.destroy();
    const report = await eventually(
      async () => {
        const r = (await getJson(`${pair.base}/t/report?tag=${tag}`)).body as { ended: string; code?: string; reason?: string };
        return r.ended === 'aborted' ? r : undefined;
      },
      { within: 15_000, every: 100, what: 'the handler to see the abort' },
    );
    assert.is(report.code, 'SY_TRANSPORT_BODY_ABORTED');
    assert.is(report.reason, 'client-disconnected');
  });

  test('a body over the endpoint limit: 413 at once when declared, 413 mid-way when not', async () => {
    const declared = await fetch(`${pair.base}/t/small-sink`, { method: 'POST', body: Buffer.alloc(2 * MiB) });
    assert.is(declared.status, 413);
    assert.is(((await declared.json()) as { error: { code: string } }).error.code, 'SY_GATEWAY_PAYLOAD_TOO_LARGE');
    const up = upload(`${pair.base}/t/small-sink`, 4 * MiB, { 'transfer-encoding': 'chunked' });
    const res = await within(up.response, 15_000, 'the 413');
    assert.is(res.statusCode, 413);
    // A body within the limit passes.
    const small = await fetch(`${pair.base}/t/small-sink`, { method: 'POST', body: Buffer.alloc(MiB - 10) });
    assert.equal(await small.json(), { bytes: MiB - 10 });
  });

  test('server-sent events arrive one by one', async () => {
    const res = await get(`${pair.base}/echo/events?n=4&ms=400`);
    assert.is(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), 'text/event-stream');
    const arrivals: Array<{ at: number; i: number }> = [];
    let text = '';
    await new Promise<void>((resolve, reject) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const event = text.slice(0, end);
          text = text.slice(end + 2);
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (data !== undefined) arrivals.push({ at: performance.now(), i: (JSON.parse(data) as { i: number }).i });
        }
      });
      res.once('end', resolve);
      res.once('error', reject);
    });
    assert.equal(arrivals.map((a) => a.i), [1, 2, 3, 4]);
    for (let k = 1; k < arrivals.length; k++) {
      const gap = (arrivals[k] as { at: number }).at - (arrivals[k - 1] as { at: number }).at;
      assert.ok(gap > 250, `event ${k + 1} came ${gap.toFixed(0)} ms after the one before: events are relayed as they are sent, not batched`);
    }
  });

  test('a handler whose stream fails half-way: the client sees an aborted response, never a complete one', async () => {
    const res = await get(`${pair.base}/t/fail-midway`);
    assert.is(res.statusCode, 200);
    const received = await within(readAll(res), 15_000, 'the failed stream');
    assert.is.not(received.outcome, 'end');
    assert.is(received.bytes, 256 * 1024);
  });

  test('the instance killed mid-download: the client sees an aborted response, never a complete one', async () => {
    const size = 1024 * MiB;
    const sized = await get(`${pair.base}/echo/bytes?n=${size}`);
    const chunked = await get(`${pair.base}/t/produce?tag=${randomUUID()}&n=${size}`);
    let sizedBytes = 0;
    let chunkedBytes = 0;
    const reading = Promise.all([readAll(sized, (n) => (sizedBytes = n)), readAll(chunked, (n) => (chunkedBytes = n))]);
    await eventually(async () => sizedBytes > 4 * MiB && chunkedBytes > 4 * MiB, { within: 30_000, every: 100, what: 'both downloads to be under way' });
    await pair.service.kill();
    const [a, b] = await within(reading, 30_000, 'both downloads to end');
    assert.is.not(a.outcome, 'end', 'a Content-Length response cut short is not complete');
    assert.ok(a.bytes < size);
    assert.is.not(b.outcome, 'end', 'a chunked response cut short has no final chunk');
    assert.ok(b.bytes < size);
  });

  test.run();
}
