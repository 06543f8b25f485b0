/**
 * The gateway's side of a TCP link to one echo process, for bench:service: no HTTP and no load
 * generator, so what is measured is the echo process alone. `switchyardTcpDriver` is Switchyard's
 * own TCP gateway transport (HELLO, REQUEST frames in wire format 2, its batching) in this
 * process, with the echo service connecting to it; `referenceTcpDriver` speaks the reference
 * pair's own framing (bench/reference/framing.mjs: u32 length, JSON) to
 * bench/reference/tcp-worker.mjs, the frames of one event-loop turn in one write, as the
 * reference gateway does.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARY_WIRE_FORMAT, silentLogger, systemClock, type DispatchTarget, type HelloPayload } from '@switchyard/core';
import { createTcpGatewayTransport } from '@switchyard/transport-tcp';
import { freePort, spawnNode, type TsProcess } from '../../test/harness/process.js';
import { sendingDriver, type EchoDriver, type EchoRequestShape } from './echo-driver.js';
import { frame, readFrames } from '../reference/framing.mjs';

/**
 * The echo service (examples/echo, built) over Switchyard's TCP transport, this process its
 * gateway; `base`, when given, names another checkout whose build runs instead (bench:service's
 * `--base`).
 */
export async function switchyardTcpDriver(dir: string, nodeArgs: readonly string[], shape: EchoRequestShape, base?: string): Promise<EchoDriver> {
  const port = await freePort();
  const entry = { type: 'tcp' as const, host: '127.0.0.1', port };
  const transport = createTcpGatewayTransport(entry, { clock: systemClock, logger: silentLogger });
  let hello: (value: DispatchTarget) => void = () => undefined;
  const helloSeen = new Promise<DispatchTarget>((resolve) => (hello = resolve));
  await transport.start({
    control(frame, link) {
      if (frame.type !== 'HELLO') return;
      const { instance } = frame.payload as HelloPayload;
      hello({ instanceId: instance.instanceId, service: instance.service, version: instance.version, link, wireFormat: BINARY_WIRE_FORMAT });
    },
    lost: () => undefined,
  });
  const config = join(dir, `echo-tcp-${port}.json`);
  writeFileSync(config, JSON.stringify({ service: { name: 'echo', version: '1.0.0' }, transports: [entry] }));
  const echo = spawnNode(nodeArgs, 'examples/echo/dist/main.js', ['--config', config], {}, base);
  const target = await Promise.race([helloSeen, echo.waitFor(/(?!)/, 20_000).then(() => undefined as never)]);
  const send = (): Promise<unknown> =>
    transport.dispatch(target, { method: 'POST', path: shape.path, query: '', headers: shape.headers, body: shape.body, deadline: Date.now() + 60_000, identity: shape.identity }, {});
  return sendingDriver(base === undefined ? 'switchyard/tcp' : 'base/tcp', echo.pid, send, async () => {
    await echo.stop();
    await transport.stop();
  });
}

/** bench/reference/tcp-worker.mjs, this process the reference gateway's link end. */
export async function referenceTcpDriver(shape: EchoRequestShape): Promise<EchoDriver> {
  const port = await freePort();
  const waiting = new Map<number, () => void>();
  let worker: Socket | undefined;
  let connected: () => void = () => undefined;
  const connectedSeen = new Promise<void>((resolve) => (connected = resolve));
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    worker = socket;
    readFrames(socket, (value) => {
      const reply = value as { i: number };
      const done = waiting.get(reply.i);
      waiting.delete(reply.i);
      done?.();
    });
    connected();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const echo: TsProcess = spawnNode([], 'bench/reference/tcp-worker.mjs', [String(port)]);
  await Promise.race([connectedSeen, echo.waitFor(/(?!)/, 20_000)]);
  const bodyText = shape.body.toString('utf8');
  let nextId = 0;
  let outgoing: Buffer[] = [];
  const flush = (): void => {
    worker?.write(Buffer.concat(outgoing));
    outgoing = [];
  };
  const send = (): Promise<void> =>
    new Promise((resolve) => {
      const id = ++nextId;
      waiting.set(id, resolve);
      if (outgoing.push(frame({ i: id, m: 'POST', u: shape.path, h: shape.headers, b: bodyText })) === 1) setImmediate(flush);
    });
  return sendingDriver('reference/tcp', echo.pid, send, async () => {
    await echo.stop();
    worker?.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
}
