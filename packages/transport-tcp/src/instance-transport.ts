/**
 * The instance side of the TCP and TLS transports: one connection to the gateway, HELLO on
 * connect, HEARTBEATs on it, REQUEST/CANCEL/RESYNC/DRAIN/UNDRAIN received on it. A lost connection is re-opened
 * with capped, jittered backoff and HELLO is sent again. See packages/transport-tcp/README.md.
 */
import { connect as connectNet, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import {
  makeFrame,
  TransportClosedError,
  TransportFailureError,
  TransportType,
  Cancellation,
  type Frame,
  type HeartbeatPayload,
  type HelloPayload,
  type InstanceRequestHandler,
  type InstanceTransport,
  type InstanceTransportEvents,
  type RequestFrame,
  type ResponsePayload,
  type TransportDeps,
} from '@switchyard/core';
import { DeadlineAlarm, InstanceStream } from '@switchyard/core/internal';
import { reconnectDelayMs } from './backoff.js';
import { FrameConnection, type WriteStats } from './frame-connection.js';
import { readPemsSync } from './pem.js';
import type { TcpTransportOptions } from './options.js';

/** Counters for metrics and tests. */
export interface TcpInstanceMetrics {
  readonly connected: boolean;
  /** Successful connections so far (1 + reconnects). */
  readonly connects: number;
  readonly failedConnects: number;
  readonly requests: number;
  /** REQUESTs dropped unrun because their deadline had passed. */
  readonly expired: number;
  readonly cancelled: number;
  readonly inFlight: number;
  /** Frames written to the gateway, and the socket writes that carried them. */
  readonly framesWritten: number;
  readonly writes: number;
}

interface Running {
  readonly cancellation: Cancellation;
  /** Epoch ms; infinite for a streamed exchange, which the gateway bounds (idle limit, CANCEL). */
  readonly deadline: number;
  readonly connection: FrameConnection;
  /** The streamed exchange's bodies, for a REQUEST with `stream`. */
  readonly stream?: InstanceStream;
}

/** A connection that lived this long resets the reconnect backoff. */
const STABLE_CONNECTION_MS = 1_000;

export class TcpInstanceTransport implements InstanceTransport {
  readonly type: TransportType;
  private state: 'new' | 'running' | 'leaving' | 'closed' = 'new';
  private hello: HelloPayload | undefined;
  private handle: InstanceRequestHandler | undefined;
  private events: InstanceTransportEvents | undefined;
  /** Set by drain(): every HELLO is followed by the last HEARTBEAT (saying `draining`), since a HELLO alone registers the instance healthy. */
  private drained = false;
  private lastHeartbeat: HeartbeatPayload | undefined;
  private connection: FrameConnection | undefined;
  private helloSent = false;
  private readonly inFlight = new Map<string, Running>();
  private readonly closing = new AbortController();
  private loop: Promise<void> | undefined;
  /** Cancels running requests at their deadline: one timer, set for the earliest. */
  private readonly deadlines: DeadlineAlarm;
  private nextConnection = 0;
  private readonly writeStats: WriteStats = { framesWritten: 0, writes: 0 };
  private counters = { connects: 0, failedConnects: 0, requests: 0, expired: 0, cancelled: 0 };

  constructor(private readonly options: TcpTransportOptions, private readonly deps: TransportDeps) {
    this.type = options.type === 'tls' ? TransportType.Tls : TransportType.Tcp;
    this.deadlines = new DeadlineAlarm(deps.clock, (now) => this.cancelOverdue(now));
    // Fail at config time on unreadable certificate files (they are read again on every connect).
    if (options.tls !== undefined) readPemsSync(options.tls, options.type);
  }

  /**
   * Starts connecting and resolves after the first attempt: connected with HELLO sent, or failed
   * (logged; retries continue in the background, so instances may start before the gateway).
   */
  async start(hello: HelloPayload, handle: InstanceRequestHandler, events?: InstanceTransportEvents): Promise<void> {
    if (this.state !== 'new') throw new TransportClosedError(this.type, 'start (already started or closed)');
    this.state = 'running';
    this.hello = hello;
    this.handle = handle;
    this.events = events;
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
    this.loop = this.connectLoop(firstAttempt);
    await attempted;
  }

  async heartbeat(payload: HeartbeatPayload): Promise<void> {
    this.lastHeartbeat = payload;
    const connection = this.connection;
    // Not connected: the heartbeat is moot (the gateway already saw the connection drop); the
    // HELLO after reconnecting re-registers the instance.
    if (connection === undefined || !this.helloSent || !connection.isOpen()) return;
    await connection.send(makeFrame('HEARTBEAT', payload, { clock: this.deps.clock })).catch(() => undefined);
  }

  /**
   * Over a connection the gateway decides where REQUESTs go, so intake stops when the gateways see
   * `draining` in this instance's heartbeats; REQUESTs that cross that heartbeat still run. From
   * now on every HELLO (reconnect, RESYNC) is followed at once by the last heartbeat, so no gateway
   * takes a re-registered drained instance for a healthy one.
   */
  async drain(): Promise<void> {
    this.drained = true;
  }

  async undrain(): Promise<void> {
    this.drained = false;
  }

  async goodbye(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'leaving';
    const connection = this.connection;
    if (connection === undefined || !connection.isOpen() || this.hello === undefined) return;
    await connection
      .send(makeFrame('GOODBYE', { instanceId: this.hello.instance.instanceId }, { clock: this.deps.clock }))
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') {
      await this.loop;
      return;
    }
    this.state = 'closed';
    this.closing.abort();
    this.deadlines.stop();
    for (const running of this.inFlight.values()) running.cancellation.cancel('shutdown');
    await this.connection?.end();
    await this.loop;
  }

  isReady(): boolean {
    return this.state === 'running' && this.helloSent && this.connection?.isOpen() === true;
  }

  metrics(): TcpInstanceMetrics {
    return { connected: this.connection?.isOpen() === true, inFlight: this.inFlight.size, ...this.counters, ...this.writeStats };
  }

  private async connectLoop(firstAttempt: () => void): Promise<void> {
    let attempt = 0;
    while (this.state === 'running') {
      let connectedAt: number | undefined;
      try {
        const socket = await this.connect();
        connectedAt = this.deps.clock.now();
        const connection = this.adopt(socket);
        await this.sendHello(connection);
        this.helloSent = true;
        this.counters.connects += 1;
        this.deps.logger.info({ transport: this.type, connection: connection.id, gateway: this.target() }, 'connected to gateway; HELLO sent');
        firstAttempt();
        const reason = await connection.closed;
        this.helloSent = false;
        this.connection = undefined;
        if (this.state === 'running') this.deps.logger.warn({ transport: this.type, gateway: this.target(), reason }, 'connection to gateway lost; reconnecting');
      } catch (err) {
        this.connection = undefined;
        this.helloSent = false;
        this.counters.failedConnects += 1;
        if (this.state === 'running') {
          this.deps.logger.warn({ transport: this.type, gateway: this.target(), attempt: attempt + 1, err: (err as Error).message }, 'cannot connect to gateway; retrying');
        }
        firstAttempt();
      }
      if (this.state !== 'running') return;
      if (connectedAt !== undefined && this.deps.clock.now() - connectedAt >= STABLE_CONNECTION_MS) attempt = 0;
      const delay = reconnectDelayMs(attempt, this.options.reconnectMinMs, this.options.reconnectMaxMs);
      attempt += 1;
      await this.deps.clock.sleep(delay, this.closing.signal).catch(() => undefined);
    }
  }

  private target(): string {
    return `${this.options.host ?? '127.0.0.1'}:${this.options.port}`;
  }

  /** Opens one connection (TLS handshake included), bounded by `connectTimeoutMs`. */
  private connect(): Promise<Socket> {
    const host = this.options.host ?? '127.0.0.1';
    const { port } = this.options;
    const tls = this.options.tls;
    const socket =
      tls === undefined
        ? connectNet({ host, port, noDelay: this.options.noDelay })
        : connectTls({ host, port, ...readPemsSync(tls, this.options.type), servername: tls.servername });
    const readyEvent = tls === undefined ? 'connect' : 'secureConnect';
    return new Promise<Socket>((resolve, reject) => {
      const timeout = new AbortController();
      const cleanup = (): void => {
        timeout.abort();
        socket.off(readyEvent, onReady);
        socket.off('error', onError);
        this.closing.signal.removeEventListener('abort', onClosing);
      };
      const onReady = (): void => {
        cleanup();
        resolve(socket);
      };
      const onError = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const onClosing = (): void => onError(new TransportClosedError(this.type, 'connect'));
      socket.once(readyEvent, onReady);
      socket.once('error', onError);
      this.closing.signal.addEventListener('abort', onClosing, { once: true });
      this.deps.clock
        .sleep(this.options.connectTimeoutMs, timeout.signal)
        .then(() => onError(new TransportFailureError(this.type, `connect to ${host}:${port} timed out after ${this.options.connectTimeoutMs} ms`)))
        .catch(() => undefined);
    });
  }

  private adopt(socket: Socket): FrameConnection {
    socket.setNoDelay(this.options.noDelay);
    if (this.options.keepAliveMs > 0) socket.setKeepAlive(true, this.options.keepAliveMs);
    const connection = new FrameConnection(
      `${this.type}-out-${++this.nextConnection}`,
      socket,
      { maxFrameBytes: this.options.maxFrameBytes, maxWriteBufferBytes: this.options.maxWriteBufferBytes, transport: this.type, stats: this.writeStats },
      { frame: (frame, conn) => this.onFrame(frame, conn), closed: (reason, conn) => this.onClosed(reason, conn) },
      this.deps.logger,
      this.deps.clock,
    );
    this.connection = connection;
    return connection;
  }

  private async sendHello(connection: FrameConnection): Promise<void> {
    const hello = connection.send(this.helloFrame(connection.socket));
    const beat = this.lastHeartbeat;
    if (!this.drained || beat === undefined) return hello;
    await Promise.all([hello, connection.send(makeFrame('HEARTBEAT', beat, { clock: this.deps.clock }))]);
  }

  private helloFrame(socket: Socket): Frame {
    const hello = this.hello!;
    const address = `${this.type}:${socket.localAddress ?? '?'}:${socket.localPort ?? '?'}`;
    return makeFrame('HELLO', { ...hello, instance: { ...hello.instance, address } }, { clock: this.deps.clock });
  }

  private onFrame(frame: Frame, connection: FrameConnection): void {
    switch (frame.type) {
      case 'REQUEST':
        this.onRequest(frame, connection);
        return;
      case 'CANCEL': {
        const running = this.inFlight.get(frame.id);
        if (running !== undefined) {
          this.counters.cancelled += 1;
          running.cancellation.cancel(frame.payload.reason);
        }
        return;
      }
      case 'BODY_CHUNK':
      case 'BODY_END':
      case 'CREDIT':
        this.inFlight.get(frame.id)?.stream?.onFrame(frame);
        return;
      case 'RESYNC':
        if (this.hello !== undefined && this.state !== 'closed') this.sendHello(connection).catch(() => undefined);
        return;
      case 'DRAIN':
      case 'UNDRAIN':
        if (this.hello === undefined || frame.payload.instanceId !== this.hello.instance.instanceId || this.state !== 'running') return;
        if (frame.type === 'DRAIN') this.events?.drain(frame.payload);
        else this.events?.undrain(frame.payload);
        return;
      default:
        this.deps.logger.warn({ transport: this.type, frameType: frame.type }, 'frame type not expected from a gateway; dropped');
    }
  }

  private onRequest(frame: RequestFrame, connection: FrameConnection): void {
    if (this.state !== 'running') {
      // GOODBYE already sent and a REQUEST crossed it: answer at once rather than let it time out.
      this.respond(connection, frame, draining(this.hello?.instance.instanceId ?? '', frame.id));
      return;
    }
    if (this.deps.clock.now() > frame.payload.deadline) {
      this.counters.expired += 1;
      this.deps.logger.debug({ transport: this.type, requestId: frame.id }, 'REQUEST past its deadline dropped unrun');
      return;
    }
    // No redelivery on a stream connection; a repeated id while the first runs is ignored.
    if (this.inFlight.has(frame.id)) return;
    this.counters.requests += 1;
    if (frame.payload.stream !== undefined) {
      void this.runStream(frame, connection);
      return;
    }
    const running: Running = { cancellation: new Cancellation(), deadline: frame.payload.deadline, connection };
    this.inFlight.set(frame.id, running);
    this.deadlines.watch(running.deadline);
    void this.run(frame, running);
  }

  /** A streamed exchange: its bodies flow on this connection under credit (docs/protocol.md, "Streamed bodies"). */
  private async runStream(frame: RequestFrame, connection: FrameConnection): Promise<void> {
    const instanceId = this.hello!.instance.instanceId;
    const cancellation = new Cancellation();
    const stream = new InstanceStream(
      frame,
      { clock: this.deps.clock, instanceId, replyTo: '', gateway: '' },
      {
        send: (f) => connection.send(f),
        respond: (payload) => connection.send(makeFrame('RESPONSE', payload, { clock: this.deps.clock, id: frame.id })),
      },
      cancellation,
    );
    this.inFlight.set(frame.id, { cancellation, deadline: Number.POSITIVE_INFINITY, connection, stream });
    try {
      let answer;
      try {
        answer = await this.handle!(frame, cancellation, stream.requestBody);
      } catch (err) {
        if (cancellation.cancelled) return;
        this.deps.logger.error({ transport: this.type, requestId: frame.id, err: (err as Error).message }, 'request handler threw');
        answer = internalError(instanceId, frame.id);
      }
      if (cancellation.cancelled || !connection.isOpen()) return;
      await stream.answer(answer);
    } catch (err) {
      this.deps.logger.warn({ transport: this.type, requestId: frame.id, err: (err as Error).message }, 'cannot send streamed RESPONSE');
    } finally {
      this.inFlight.delete(frame.id);
    }
  }

  private async run(frame: RequestFrame, running: Running): Promise<void> {
    const instanceId = this.hello!.instance.instanceId;
    let response: ResponsePayload | undefined;
    try {
      const result = await this.handle!(frame, running.cancellation);
      // Field by field: `{ ...result, instanceId }` (a spread that adds a property) costs V8
      // ~0.3 us per response, and the payload has exactly these fields.
      response = { status: result.status, headers: result.headers, body: result.body, instanceId };
    } catch (err) {
      if (!running.cancellation.cancelled) {
        this.deps.logger.error({ transport: this.type, requestId: frame.id, err: (err as Error).message }, 'request handler threw');
        response = internalError(instanceId, frame.id);
      }
    } finally {
      this.inFlight.delete(frame.id);
    }
    if (response !== undefined) this.respond(running.connection, frame, response);
  }

  private respond(connection: FrameConnection, request: RequestFrame, response: ResponsePayload): void {
    // The RESPONSE goes back on the connection the REQUEST came on; if that closed, the gateway
    // has already failed the request (502), so there is nobody to answer. It travels in the
    // REQUEST's wire format: a gateway that wrote the binary header reads it.
    if (!connection.isOpen()) return;
    const id = request.id;
    connection.send(makeFrame('RESPONSE', response, { clock: this.deps.clock, id, wireFormat: request.wireFormat })).catch((err: unknown) => {
      this.deps.logger.warn({ transport: this.type, requestId: id, err: (err as Error).message }, 'cannot send RESPONSE');
    });
  }

  private onClosed(_reason: string, connection: FrameConnection): void {
    // Whoever waited for these answers is gone with the connection; stop the work.
    for (const running of this.inFlight.values()) {
      if (running.connection === connection) running.cancellation.cancel('client-disconnected');
    }
  }

  /** Cancels the running requests past their deadline at `now`; returns the earliest deadline of the others. */
  private cancelOverdue(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const running of this.inFlight.values()) {
      if (now > running.deadline) running.cancellation.cancel('timeout');
      else if (running.deadline < next) next = running.deadline;
    }
    return next;
  }
}

function errorBody(code: string, message: string, requestId: string): Uint8Array {
  return Buffer.from(JSON.stringify({ error: { code, message, requestId } }));
}

function internalError(instanceId: string, requestId: string): ResponsePayload {
  return {
    status: 500,
    headers: { 'content-type': 'application/json' },
    body: errorBody('SY_INSTANCE_HANDLER_FAILED', 'the request handler failed', requestId),
    instanceId,
  };
}

function draining(instanceId: string, requestId: string): ResponsePayload {
  return {
    status: 503,
    headers: { 'content-type': 'application/json', 'retry-after': '1' },
    body: errorBody('SY_INSTANCE_DRAINING', 'the instance is shutting down and takes no new requests', requestId),
    instanceId,
  };
}
