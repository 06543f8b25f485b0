/**
 * Wire format negotiation (docs/protocol.md, "Wire format 2"), seen on a real Valkey server with
 * MONITOR: a gateway process writes REQUESTs with the binary header to a service version whose
 * instances all list format 2 in their HELLO, and the instance answers in the REQUEST's format.
 * While an instance that lists only format 1 (as an older SDK does) is registered in the same
 * version, every REQUEST and RESPONSE travels as JSON; once it leaves, format 2 again.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import { computeEndpointsHash, silentLogger, systemClock, type EndpointDescriptor, type HelloPayload } from '@switchyard/core';
import { createInstanceTransport } from '@switchyard/core/internal';
import { createMicroservice } from '@switchyard/microservice';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { eventually } from '../harness/wait.js';

const server = await requireValkeyOrSkip('wire format negotiation over Valkey');
const test = suite<{ procs: TsProcess[]; stops: Array<() => Promise<void>> }>('wire format 2 over Messaging: negotiated per service version', { procs: [], stops: [] });
test.after.each(async (ctx) => {
  for (const stop of ctx.stops.reverse()) await stop().catch(() => undefined);
  await Promise.all(ctx.procs.map((p) => p.kill().catch(() => undefined)));
});
test.after(async () => {
  await server?.stop();
});

/**
 * The wire format of each frame XADDed to the server, read from MONITOR over a plain socket
 * (MONITOR prints each command as a line of quoted arguments, binary bytes as \xHH).
 */
class WireFormatsSeen {
  private readonly seen: Array<{ key: string; format: number; payload: string }> = [];
  private buffered = '';

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let end: number;
      while ((end = this.buffered.indexOf('\r\n')) >= 0) {
        this.line(this.buffered.slice(0, end));
        this.buffered = this.buffered.slice(end + 2);
      }
    });
  }

  static async start(host: string, port: number): Promise<WireFormatsSeen> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write('MONITOR\r\n');
    return new WireFormatsSeen(socket);
  }

  private line(text: string): void {
    const args = /^\+[0-9.]+ \[[^\]]*\] "(.*)"$/.exec(text)?.[1]?.split('" "');
    if (args === undefined || args[0]?.toLowerCase() !== 'xadd') return;
    const p = args.indexOf('p');
    const payload = p < 0 ? undefined : args[p + 1];
    // The frame follows the 42-byte signing envelope: magic 'S', the format byte, then a u32 header length under 64 KiB.
    const match = payload === undefined ? null : /S\\x0([12])\\x00\\x00/.exec(payload);
    if (match !== null && payload !== undefined) this.seen.push({ key: args[1] as string, format: Number(match[1]), payload });
  }

  /**
   * Formats of the frames XADDed to keys containing `part` whose bytes contain `marker` (the echoed
   * body, which the REQUEST and its RESPONSE both carry): other traffic of the same queues, such
   * as the gateway fetching the service description, is left out.
   */
  formats(part: string, marker = ''): number[] {
    return this.seen.filter((s) => s.key.includes(part) && s.payload.includes(marker)).map((s) => s.format);
  }

  clear(): void {
    this.seen.length = 0;
  }

  stop(): void {
    this.socket.destroy();
  }
}

if (server === null) {
  test.skip('every case (SKIPPED: no server)', () => undefined);
} else {
  test('format 2 between a gateway and SDK instances; format 1 while an instance that lists only 1 is registered', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-wire-'));
    const prefix = `wire-${randomUUID().slice(0, 8)}`;
    const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix, blockMs: 200 }, auth: authSection(newKeys()) };
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({ node: { id: `gw-wire-${randomUUID().slice(0, 6)}`, region: 'e2e' }, http: { host: '127.0.0.1', port: 0 }, transports: [entry] }));
    const gateway = spawnTs('packages/gateway/src/cli.ts', ['--config', config]);
    ctx.procs.push(gateway);
    const url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;

    const sdkTransport = await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger });
    const svc = createMicroservice({ name: 'wire', version: '1.0.0', instanceId: `wire-new-${randomUUID().slice(0, 6)}`, transport: sdkTransport, heartbeatIntervalMs: 500 });
    svc.post('/wire/echo', async (req) => ({ status: 200, body: req.body, headers: { 'content-type': 'application/octet-stream', 'x-seen': 'é' } }));
    await svc.start();
    ctx.stops.push(() => svc.stop());

    const { hostname, port } = new URL(server.url);
    const seen = await WireFormatsSeen.start(hostname, Number(port));
    ctx.stops.push(async () => seen.stop());
    const call = async (body: string): Promise<Response> => fetch(`${url}/wire/echo`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    /** Sends probes until one's REQUEST is seen in `format` (the gateway changes format when it applies a HELLO or GOODBYE). */
    const requestsTravelIn = (format: number, what: string): Promise<boolean> =>
      eventually(
        async () => {
          seen.clear();
          assert.is((await call('probe')).status, 200);
          await new Promise((r) => setTimeout(r, 100));
          return seen.formats('service.wire.1.0.0.requests', 'probe')[0] === format;
        },
        { within: 15_000, every: 100, what },
      );

    const first = await eventually(async () => ((await call('hello')).status === 200 ? true : undefined), { within: 20_000, every: 100, what: 'the gateway to route to the SDK instance' });
    assert.ok(first);
    seen.clear();
    for (let i = 0; i < 5; i++) {
      const res = await call(`round ${i}`);
      assert.is(res.status, 200);
      assert.is(await res.text(), `round ${i}`);
      assert.is(res.headers.get('x-seen'), 'é', 'a non-ASCII response header value survives');
    }
    await eventually(() => seen.formats('.responses', 'round ').length >= 5, { within: 5_000, every: 50, what: 'MONITOR to show the responses' });
    assert.equal(seen.formats('service.wire.1.0.0.requests', 'round '), [2, 2, 2, 2, 2], 'REQUESTs carry the binary header');
    assert.equal(seen.formats('.responses', 'round '), [2, 2, 2, 2, 2], 'RESPONSEs come back in the REQUEST format');

    // An instance of the same version whose HELLO lists no wireFormats, as an older SDK sends it.
    const oldTransport = await createInstanceTransport(entry, { clock: systemClock, logger: silentLogger });
    const endpoints: EndpointDescriptor[] = [{ method: 'POST', path: '/wire/echo', requiringClaims: [], streaming: false }];
    const oldHello: HelloPayload = { instance: { service: 'wire', version: '1.0.0', region: '', instanceId: `wire-old-${randomUUID().slice(0, 6)}`, address: '' }, endpoints, endpointsHash: computeEndpointsHash(endpoints) };
    let oldFormats: Array<number | undefined> = [];
    await oldTransport.start(oldHello, async (frame) => {
      oldFormats.push(frame.wireFormat);
      return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: frame.payload.body };
    });
    let oldStopped = false;
    ctx.stops.push(async () => {
      if (!oldStopped) await oldTransport.close();
    });
    // Once the gateway has its HELLO, every REQUEST to the version is JSON, whichever instance takes it.
    await requestsTravelIn(1, 'REQUESTs to switch to format 1 once the older instance registered');
    seen.clear();
    oldFormats = [];
    for (let i = 0; i < 20; i++) assert.is(await (await call(`mixed ${i}`)).text(), `mixed ${i}`);
    await eventually(() => seen.formats('.responses', 'mixed ').length >= 20, { within: 5_000, every: 50, what: 'MONITOR to show the responses' });
    assert.equal(seen.formats('service.wire.1.0.0.requests', 'mixed ').length, 20);
    assert.equal([...new Set(seen.formats('service.wire.1.0.0.requests', 'mixed '))], [1]);
    assert.equal([...new Set(seen.formats('.responses', 'mixed '))], [1], 'both instances answer a format-1 REQUEST in format 1');
    assert.ok(oldFormats.every((f) => f === undefined), 'the older instance only ever read format 1');

    // It leaves (GOODBYE): format 2 again.
    await oldTransport.goodbye();
    await oldTransport.close();
    oldStopped = true;
    await requestsTravelIn(2, 'REQUESTs to return to format 2 once the older instance left');
  });
}

test.run();
