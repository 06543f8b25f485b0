/**
 * Signed-frame benchmark: the CPU cost of signing and verifying one frame, beside the
 * plain codec in the same run. Each row runs one operation N times and reports CPU-µs per frame
 * (process.cpuUsage, user + system); "signing" and "verifying" are the differences to the plain
 * encode and decode of the same frame. Target: under 3 µs per frame for REQUEST-sized frames.
 * Frames of GMAC_MIN_FRAME_BYTES or more (the 256 KiB BODY_CHUNK row) are signed with
 * AES-256-GMAC, the others with HMAC-SHA256; the "bare MAC" column is node:crypto's own cost for
 * the envelope's algorithm over the same bytes.
 * Writes bench/results/frame-auth-<timestamp>.json and frame-auth-latest.json. Not a test.
 *
 *   npm run bench:frame-auth                     (SWITCHYARD_BENCH_QUICK=1 for a short run)
 *   npm run bench:frame-auth -- --wire-format 2  REQUEST and RESPONSE with the binary header
 *
 * One wire format per run: a process that codes both keeps V8's code for either less specialised
 * than a gateway or an instance, which codes one.
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  BINARY_WIRE_FORMAT,
  FrameKeyRing,
  GMAC_MIN_FRAME_BYTES,
  JSON_WIRE_FORMAT,
  decodeFrame,
  encodeFrame,
  frameKey,
  frameScope,
  makeFrame,
  openFrame,
  sealFrame,
  systemClock,
  type Frame,
} from '@switchyard/core';
import { FrameAuthenticator } from '@switchyard/core/internal';
import { printTable, round, writeResults } from './lib/index.js';

const { values } = parseArgs({ options: { 'wire-format': { type: 'string', default: '1' } }, strict: true });
const wireFormat = values['wire-format'] === '2' ? BINARY_WIRE_FORMAT : JSON_WIRE_FORMAT;
const quick = process.env.SWITCHYARD_BENCH_QUICK === '1';
const N = quick ? 50_000 : 300_000;
const startedAt = new Date();
const ring = new FrameKeyRing({ gateway: [frameKey('gateway', randomBytes(32), 'bench')], instance: [frameKey('instance', randomBytes(32), 'bench')] });
const SCOPE = frameScope('service.echo.1.0.0.requests');

function request(bodyBytes: number): Frame {
  return makeFrame(
    'REQUEST',
    {
      method: 'POST',
      path: '/echo/items/42',
      query: 'a=1',
      headers: { 'content-type': 'application/json', 'x-request-id': 'r-1234567890', 'user-agent': 'bench/1.0', accept: '*/*' },
      body: randomBytes(bodyBytes),
      deadline: Date.now() + 3_600_000,
      replyTo: 'gateway.gw-1.responses',
      identity: { anonymous: false, subject: 'alice', tenant: 't-1', scopes: ['echo:read'], claims: { sub: 'alice', role: 'user' } },
    },
    { clock: systemClock, wireFormat },
  );
}

function response(bodyBytes: number, id: string): Frame {
  return makeFrame('RESPONSE', { status: 200, headers: { 'content-type': 'application/json' }, body: randomBytes(bodyBytes), instanceId: 'echo-1' }, { clock: systemClock, id, wireFormat });
}

/** CPU-µs per call of `run` over `n` calls (after a warm-up of n / 10). */
function cpuMicros(run: () => unknown, n = N): number {
  for (let i = 0; i < n / 10; i++) run();
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

interface Row {
  readonly frame: string;
  readonly bytes: number;
  readonly encodeUs: number;
  readonly sealUs: number;
  readonly signingUs: number;
  readonly decodeUs: number;
  readonly openUs: number;
  readonly verifyingUs: number;
  /** node:crypto's MAC alone over the same bytes (HMAC-SHA256, or AES-256-GMAC from GMAC_MIN_FRAME_BYTES): the floor under signing and verifying. */
  readonly bareMacUs: number;
}

const cases: Array<[string, Frame]> = [];
for (const size of [256, 16_384]) {
  const req = request(size);
  cases.push([`REQUEST ${size} B`, req], [`RESPONSE ${size} B`, response(size, req.id)]);
}
cases.push(['BODY_CHUNK 256 KiB', makeFrame('BODY_CHUNK', { stream: 'response', seq: 7, body: randomBytes(256 * 1024) }, { clock: systemClock })]);
cases.push(['HEARTBEAT', makeFrame('HEARTBEAT', { instanceId: 'echo-1', seq: 1, status: 'healthy', inFlight: 3, endpointsHash: 'a'.repeat(64) }, { clock: systemClock })]);

const rows: Row[] = [];
const bareKey = randomBytes(32);
const bareNonce = randomBytes(12);
const bareMac = (bytes: Uint8Array): unknown => {
  if (bytes.length < GMAC_MIN_FRAME_BYTES) return createHmac('sha256', bareKey).update(bytes).digest();
  const cipher = createCipheriv('aes-256-gcm', bareKey, bareNonce);
  cipher.setAAD(bytes);
  cipher.final();
  return cipher.getAuthTag();
};
for (const [name, frame] of cases) {
  const plain = encodeFrame(frame);
  const sealed = sealFrame(frame, SCOPE, ring);
  // Large frames run fewer times: the same bytes hashed again tell nothing more.
  const n = Math.max(1_000, Math.min(N, Math.floor((N * 1024) / plain.length)));
  const encodeUs = cpuMicros(() => encodeFrame(frame), n);
  const sealUs = cpuMicros(() => sealFrame(frame, SCOPE, ring), n);
  const decodeUs = cpuMicros(() => decodeFrame(plain), n);
  const openUs = cpuMicros(() => openFrame(sealed, SCOPE, ring), n);
  const bareMacUs = cpuMicros(() => bareMac(plain), n);
  rows.push({ frame: name, bytes: sealed.length, encodeUs, sealUs, signingUs: sealUs - encodeUs, decodeUs, openUs, verifyingUs: openUs - decodeUs, bareMacUs });
}

// The transport's whole read path for a control frame: MAC, window, replayed-id memory.
const auth = new FrameAuthenticator({ keys: ring }, systemClock);
const control = auth.codecFor('gateway.control');
const heartbeats = Array.from({ length: N + N / 10 }, (_, seq) =>
  control.encode(makeFrame('HEARTBEAT', { instanceId: 'echo-1', seq, status: 'healthy', inFlight: 3, endpointsHash: 'a'.repeat(64) }, { clock: systemClock })),
);
let next = 0;
const controlReadUs = cpuMicros(() => control.decode(heartbeats[next++] as Uint8Array));

printTable(rows, [
  { title: 'frame', value: (r) => r.frame },
  { title: 'signed bytes', value: (r) => r.bytes },
  { title: 'encode µs', value: (r) => r.encodeUs },
  { title: 'seal µs', value: (r) => r.sealUs },
  { title: 'signing µs', value: (r) => r.signingUs },
  { title: 'decode µs', value: (r) => r.decodeUs },
  { title: 'open µs', value: (r) => r.openUs },
  { title: 'verifying µs', value: (r) => r.verifyingUs },
  { title: 'bare MAC µs', value: (r) => r.bareMacUs },
]);
process.stdout.write(`wire format ${wireFormat} for REQUEST and RESPONSE\ncontrol-frame read (verify + replay window + id memory), HEARTBEAT: ${round(controlReadUs, 2)} CPU-µs\n`);
const { latest } = writeResults('frame-auth', { iterations: N, wireFormat, loadAverage: (await import('node:os')).loadavg(), rows, controlReadUs }, startedAt);
process.stdout.write(`results: ${latest}\n`);
