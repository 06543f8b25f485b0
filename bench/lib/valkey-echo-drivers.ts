/**
 * The gateway's side of Messaging over Valkey for one echo process, for bench:service: REQUESTs
 * written straight into the process's requests stream, RESPONSEs read from a responses stream
 * with XREAD. `switchyardValkeyDriver` is the echo service (REQUESTs in wire format 2, the queue
 * keys of a region's requests queue); `referenceValkeyDriver` is bench/reference/valkey-worker.mjs
 * with the reference gateway's fields (`i` and a JSON `f`), replies batched per read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BINARY_WIRE_FORMAT, encodeFrame, makeFrame, newFrameId, systemClock } from '@switchyard/core';
import { gatewayResponsesQueue, regionRequestsQueue } from '@switchyard/core/internal';
import { queueKeys } from '@switchyard/transport-valkey';
import { spawnNode } from '../../test/harness/process.js';
import type { ValkeyServer } from '../../test/harness/valkey.js';
import type { EchoDriver, EchoRequestShape } from './echo-driver.js';
import { elapsedMs } from './stats.js';
import { valkeyCpuMicros } from './valkey-cpu.js';

/** Queued REQUESTs are written in pipelines of this many XADDs. */
const PIPELINE = 500;
/** The field of a packed entry's messages (transport-valkey README): `XADD … b <payload> b <payload> …`. */
const PACKED_FIELD = 'b';

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

/** A driver writing `request()` entries to `requests` and reading replies from `replies`. */
async function streamDriver(
  name: string,
  pid: number,
  url: string,
  requests: string,
  replies: string,
  request: () => Array<string | Buffer>,
  stop: () => Promise<unknown>,
): Promise<EchoDriver> {
  const client = new Redis(url);
  const reader = new Redis(url);
  // Each serial round reads the replies stream from its current end.
  const end = async (): Promise<string> => {
    const last = (await client.xrevrange(replies, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    return last[0]?.[0] ?? '0';
  };
  // Reads `replies` after `from` until `n` replies were read.
  const readReplies = async (from: string, n: number): Promise<void> => {
    let lastRead = from;
    let read = 0;
    while (read < n) {
      const reply = (await reader.xread('COUNT', 1000, 'BLOCK', 10_000, 'STREAMS', replies, lastRead)) as XReadReply;
      if (reply === null) throw new Error(`${name}: ${n - read} replies missing after 10 s`);
      for (const [id, fields] of reply[0]![1]) {
        read += fields[0] === PACKED_FIELD ? fields.length / 2 : 1;
        lastRead = id;
      }
    }
  };
  return {
    name,
    pid,
    valkeyCpuUs: () => valkeyCpuMicros(client),
    serial: async (n) => {
      let lastRead = await end();
      const latencies: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = process.hrtime.bigint();
        await client.xadd(requests, '*', ...request());
        const reply = (await reader.xread('COUNT', 16, 'BLOCK', 10_000, 'STREAMS', replies, lastRead)) as XReadReply;
        if (reply === null) throw new Error(`${name}: no reply within 10 s`);
        latencies.push(elapsedMs(start) * 1_000);
        lastRead = reply[0]![1].at(-1)![0];
      }
      return latencies;
    },
    // All queued first, then drained; resolves once every reply was read back with XREAD, read
    // while the REQUESTs are still being written, as a gateway reads its responses stream (a
    // reply stream capped by length keeps what is read in time; a packed entry, `b` fields only,
    // holds several replies).
    queued: async (n) => {
      const reading = readReplies(await end(), n);
      for (let i = 0; i < n; i += PIPELINE) {
        const pipeline = client.pipeline();
        for (let j = i; j < Math.min(n, i + PIPELINE); j++) pipeline.xadd(requests, '*', ...request());
        await pipeline.exec();
      }
      await reading;
    },
    stop: async () => {
      client.disconnect();
      reader.disconnect();
      await stop();
    },
  };
}

/**
 * The echo service (examples/echo, built) over Messaging on `valkey`, frames unsigned; `base`, when
 * given, names another checkout whose build runs instead (bench:service's `--base`).
 */
export async function switchyardValkeyDriver(valkey: ValkeyServer, dir: string, nodeArgs: readonly string[], shape: EchoRequestShape, base?: string): Promise<EchoDriver> {
  const prefix = `bench-svc-${newFrameId().slice(0, 8)}`;
  const config = join(dir, `echo-valkey-${prefix}.json`);
  const service = { name: 'echo', version: '1.0.0', region: 'bench' };
  writeFileSync(config, JSON.stringify({ service, transports: [{ type: 'messaging', backend: 'valkey', valkey: { url: valkey.url }, queues: { prefix }, auth: { insecure: true } }] }));
  const replyTo = gatewayResponsesQueue('bench-service');
  const responsesKeys = queueKeys(prefix, replyTo, ':dlq');
  const responses = responsesKeys.stream;
  // Marked as a gateway's tail consumer marks the queue it reads, so the echo packs a turn's
  // RESPONSEs into one entry, as it does behind a gateway.
  const marker = new Redis(valkey.url);
  await marker.set(responsesKeys.tailReader, '1', 'PX', 24 * 3_600_000);
  marker.disconnect();
  const echo = spawnNode(nodeArgs, 'examples/echo/dist/main.js', ['--config', config], {}, base);
  await echo.waitFor(/echo listening/, 20_000);
  const requests = queueKeys(prefix, regionRequestsQueue(service.name, service.version, service.region), ':dlq').stream;
  const request = (): Array<string | Buffer> => {
    const now = Date.now();
    // In wire format 2, as a gateway sends REQUESTs to an instance whose HELLO lists it.
    const frame = makeFrame(
      'REQUEST',
      { method: 'POST', path: shape.path, query: '', headers: shape.headers, body: shape.body, deadline: now + 60_000, replyTo, identity: shape.identity },
      { clock: systemClock, wireFormat: BINARY_WIRE_FORMAT },
    );
    return ['p', Buffer.from(encodeFrame(frame))];
  };
  return streamDriver(base === undefined ? 'switchyard/valkey' : 'base/valkey', echo.pid, valkey.url, requests, responses, request, () => echo.stop());
}

/** bench/reference/valkey-worker.mjs on `valkey`. */
export async function referenceValkeyDriver(valkey: ValkeyServer, shape: EchoRequestShape): Promise<EchoDriver> {
  const prefix = `bench-ref-${newFrameId().slice(0, 8)}`;
  const worker = spawnNode([], 'bench/reference/valkey-worker.mjs', [valkey.url, prefix]);
  await worker.waitFor(/echo listening/, 20_000);
  const body = shape.body.toString('utf8');
  let nextId = 0;
  const request = (): string[] => ['i', String(++nextId), 'f', JSON.stringify({ m: 'POST', u: shape.path, h: shape.headers, b: body })];
  return streamDriver('reference/valkey', worker.pid, valkey.url, `${prefix}:requests`, `${prefix}:replies`, request, () => worker.stop());
}
