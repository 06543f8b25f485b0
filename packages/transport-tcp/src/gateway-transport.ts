/**
 * The gateway side of the TCP and TLS transports: a server instances connect to. Each connection
 * is one link (its address is the connection id); the instance sends HELLO and HEARTBEATs on it
 * and the gateway sends REQUEST, CANCEL, RESYNC, DRAIN and UNDRAIN back on it. See packages/transport-tcp/README.md.
 */
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import {
  hasCode,
  makeFrame,
  newFrameId,
  withReplyTo,
  RequestCancelledError,
  RequestNotSentError,
  TransportClosedError,
  TransportFailureError,
  TransportType,
  type DispatchOptions,
  type DispatchTarget,
  type DrainPayload,
  type UndrainPayload,
  type Frame,
  type GatewayTransport,
  type GatewayTransportEvents,
  type InstanceLink,
  type RequestPayload,
  type ResponsePayload,
  type StreamDispatchOptions,
  type StreamedResponse,
  type TransportDeps,
} from '@switchyard/core';
import { CertReloader, GatewayStream, PendingRequests, type PendingEntry, type PemMaterial } from '@switchyard/core/internal';
import { FrameConnection, type WriteStats } from './frame-connection.js';
import { readPemsSync } from './pem.js';
import type { TcpTransportOptions } from './options.js';

/** Counters for metrics; monotonic except `connections`, `instances` and `inFlight`. */
// A type, not an interface, so it is a Readonly<Record<string, number>> as GatewayTransport.metrics() promises.
export type TcpGatewayMetrics = {
  /** Open instance connections. */
  readonly connections: number;
  /** Instances bound to an open connection (sent HELLO or HEARTBEAT on it). */
  readonly instances: number;
  /** REQUESTs waiting for their RESPONSE. */
  readonly inFlight: number;
  readonly accepted: number;
  /** Connections refused because `maxConnections` were open. */
  readonly refused: number;
  /** Connections closed because no HELLO came within `helloTimeoutMs`. */
  readonly helloTimeouts: number;
  readonly dispatched: number;
  readonly responses: number;
  /** RESPONSEs for unknown or finished requests, or from another connection than the REQUEST's. */
  readonly droppedResponses: number;
  readonly cancels: number;
  /** In-flight requests failed because their connection closed. */
  readonly failedByConnectionLoss: number;
  /** Certificate reloads applied (TLS). */
  readonly certReloads: number;
  /** Frames written to instances, and the socket writes that carried them (batched per event-loop turn). */
  readonly framesWritten: number;
  readonly writes: number;
};

interface Link {
  readonly connection: FrameConnection;
  readonly acceptedAt: number;
  /** True once an instance identified itself (HELLO or HEARTBEAT) on this connection. */
  identified: boolean;
  readonly link: InstanceLink;
  /** Instances whose current connection this is. */
  readonly instanceIds: Set<string>;
}

/** A REQUEST waiting for its RESPONSE on the connection it went out on. */
interface Pending extends PendingEntry {
  readonly link: Link;
  readonly instanceId: string;
  /** The REQUEST's sequence number on its connection (FrameConnection.queued): above `written`, it never left. */
  seq: number;
  readonly resolve: (response: ResponsePayload) => void;
  readonly reject: (err: Error) => void;
}

export class TcpGatewayTransport implements GatewayTransport {
  readonly type: TransportType;
  private server: Server | TlsServer | undefined;
  private events: GatewayTransportEvents | undefined;
  private state: 'new' | 'starting' | 'started' | 'stopped' = 'new';
  private readonly links = new Map<string, Link>();
  private readonly instances = new Map<string, Link>();
  private readonly pending = new PendingRequests<Pending>((entry, reason) => {
    this.counters.cancels += 1;
    entry.link.connection.send(makeFrame('CANCEL', { reason }, { clock: this.deps.clock, id: entry.id })).catch(() => undefined);
    entry.reject(new RequestCancelledError(entry.id, reason));
  });
  /** Every accepted socket, including TLS ones still in their handshake (not yet links). */
  private readonly sockets = new Set<Socket>();
  /** Streamed exchanges by request id, with the connection they run on. */
  private readonly streams = new Map<string, { readonly stream: GatewayStream; readonly link: Link }>();
  private readonly connectionPrefix = randomBytes(3).toString('hex');
  private nextConnection = 0;
  private readonly pems: PemMaterial | undefined;
  private certReloader: CertReloader | undefined;
  private stopHelloSweep: (() => void) | undefined;
  private readonly writeStats: WriteStats = { framesWritten: 0, writes: 0 };
  private counters = { accepted: 0, refused: 0, helloTimeouts: 0, dispatched: 0, responses: 0, droppedResponses: 0, cancels: 0, failedByConnectionLoss: 0 };

  constructor(private readonly options: TcpTransportOptions, private readonly deps: TransportDeps) {
    this.type = options.type === 'tls' ? TransportType.Tls : TransportType.Tcp;
    // Certificates are read here so a missing file fails at config time, naming the key.
    this.pems = options.tls === undefined ? undefined : readPemsSync(options.tls, options.type);
  }

  async start(events: GatewayTransportEvents): Promise<void> {
    if (this.state !== 'new') throw new TransportClosedError(this.type, 'start (already started or stopped)');
    this.state = 'starting';
    this.events = events;
    const server = this.createServer();
    this.server = server;
    server.maxConnections = this.options.maxConnections;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
      this.counters.refused += 1;
      this.deps.logger.warn(
        { transport: this.type, remote: `${data?.remoteAddress ?? '?'}:${data?.remotePort ?? '?'}`, maxConnections: this.options.maxConnections },
        'connection refused: maxConnections reached',
      );
    });
    server.on('error', (err: Error) => this.deps.logger.error({ transport: this.type, err: err.message }, 'server error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new TransportFailureError(this.type, `cannot listen on ${this.options.host ?? '*'}:${this.options.port}: ${err.message}`, { cause: err }));
      };
      server.once('error', onError);
      server.listen({ port: this.options.port, host: this.options.host }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    if (this.options.tls !== undefined) {
      const tlsServer = server as TlsServer;
      this.certReloader = new CertReloader(
        this.options.tls,
        (pems) => tlsServer.setSecureContext({ ...pems }),
        this.deps.clock,
        this.deps.logger,
      );
      await this.certReloader.start();
    }
    if ((this.state as string) === 'stopped') return;
    this.state = 'started';
    // One sweep for all connections rather than a timer per connection.
    this.stopHelloSweep = this.deps.clock.every(Math.min(1_000, this.options.helloTimeoutMs), () => this.sweepUnidentified());
    const { port } = this.address() ?? { port: this.options.port };
    this.deps.logger.info({ transport: this.type, host: this.options.host ?? '*', port }, `${this.type} transport listening`);
  }

  /** Where the server listens (the real port when configured with port 0); undefined before start. */
  address(): { host: string; port: number } | undefined {
    const addr = this.server?.address();
    if (addr === null || addr === undefined || typeof addr === 'string') return undefined;
    return { host: (addr as AddressInfo).address, port: (addr as AddressInfo).port };
  }

  dispatch(target: DispatchTarget, request: Omit<RequestPayload, 'replyTo'>, options: DispatchOptions): Promise<ResponsePayload> {
    if (this.state === 'stopped') return Promise.reject(new TransportClosedError(this.type, 'dispatch'));
    const { cancellation } = options;
    if (cancellation?.reason !== undefined) return Promise.reject(new RequestCancelledError(options.requestId ?? '(new)', cancellation.reason));
    const link = this.links.get(target.link.address);
    if (link === undefined || !link.connection.isOpen()) {
      return Promise.reject(
        new RequestNotSentError(this.type, options.requestId ?? '(new)', `instance ${target.instanceId} is not connected (connection ${target.link.address} is closed)`),
      );
    }
    if (options.requestId !== undefined && this.pending.has(options.requestId)) {
      return Promise.reject(new TransportFailureError(this.type, `request id ${options.requestId} is already in flight`));
    }
    return new Promise<ResponsePayload>((resolve, reject) => {
      // The pending table makes the id (it names the entry's slot) unless the caller chose one.
      const entry: Pending = { id: '', link, instanceId: target.instanceId, resolve, reject, cancellation, seq: Infinity };
      const id = this.pending.add(entry, options.requestId);
      const frame = makeFrame('REQUEST', withReplyTo(request, link.connection.id), { clock: this.deps.clock, id, wireFormat: target.wireFormat });
      this.counters.dispatched += 1;
      const before = link.connection.queued;
      link.connection.send(frame).catch((err: unknown) => {
        if (!this.finish(id)) return;
        // Never written because the connection closed: another path may carry it. (A frame over
        // maxFrameBytes is refused as such: sending it elsewhere would not help.)
        if (entry.seq > link.connection.written && !hasCode(err, 'SY_TCP_FRAME_TOO_LARGE')) {
          reject(new RequestNotSentError(this.type, id, (err as Error).message, { cause: err }));
          return;
        }
        reject(
          hasCode(err, 'SY_TRANSPORT_FAILURE')
            ? (err as Error)
            : new TransportFailureError(this.type, `cannot send REQUEST ${id}: ${(err as Error).message}`, { cause: err }),
        );
      });
      // send() queues the frame at once unless it refused it (closed, too large): its number is the count now.
      if (link.connection.queued > before) entry.seq = link.connection.queued;
    });
  }

  /** A streamed exchange on the instance's connection (docs/protocol.md, "Streamed bodies"). */
  async dispatchStream(
    target: DispatchTarget,
    request: Omit<RequestPayload, 'replyTo' | 'stream' | 'body'>,
    body: AsyncIterable<Uint8Array> | undefined,
    options: StreamDispatchOptions,
  ): Promise<StreamedResponse> {
    const link = this.links.get(target.link.address);
    // A closed connection: dispatch() gives the usual SY_TRANSPORT_FAILURE.
    if (link === undefined || !link.connection.isOpen()) return this.dispatch(target, { ...request, body: new Uint8Array(0) }, options);
    const id = options.requestId ?? newFrameId();
    const stream = new GatewayStream(
      {
        id,
        clock: this.deps.clock,
        window: options.window,
        idleMs: options.idleMs,
        replyTo: '',
        cancellation: options.cancellation,
        requestSent: options.requestSent,
        closed: () => this.streams.delete(id),
      },
      {
        send: (frame) => link.connection.send(frame),
        cancel: (reason) => {
          this.counters.cancels += 1;
          link.connection.send(makeFrame('CANCEL', { reason }, { clock: this.deps.clock, id })).catch(() => undefined);
        },
      },
      body,
    );
    this.streams.set(id, { stream, link });
    const info = { body: stream.streamsRequestBody, window: options.window, idleMs: options.idleMs };
    try {
      const head = await this.dispatch(target, { ...request, body: new Uint8Array(0), stream: info }, { requestId: id, cancellation: options.cancellation });
      return stream.head(head);
    } catch (err) {
      stream.fail('dispatch-failed', (err as Error).message);
      throw err;
    }
  }

  async resync(target: DispatchTarget): Promise<void> {
    await this.openLink(target, 'resync').send(makeFrame('RESYNC', { instanceId: target.instanceId }, { clock: this.deps.clock }));
  }

  /** Sends DRAIN on the instance's connection, as RESYNC. */
  async drain(target: DispatchTarget, payload: DrainPayload): Promise<void> {
    await this.openLink(target, 'drain').send(makeFrame('DRAIN', payload, { clock: this.deps.clock }));
  }

  /** Sends UNDRAIN on the instance's connection, as RESYNC. */
  async undrain(target: DispatchTarget, payload: UndrainPayload): Promise<void> {
    await this.openLink(target, 'undrain').send(makeFrame('UNDRAIN', payload, { clock: this.deps.clock }));
  }

  /** The open connection `target` is reached on, for a frame addressed to that instance. */
  private openLink(target: DispatchTarget, what: string): FrameConnection {
    if (this.state === 'stopped') throw new TransportClosedError(this.type, what);
    const link = this.links.get(target.link.address);
    if (link === undefined || !link.connection.isOpen()) {
      throw new TransportFailureError(this.type, `cannot ${what} instance ${target.instanceId}: connection ${target.link.address} is closed`);
    }
    return link.connection;
  }

  isReady(): boolean {
    return this.state === 'started' && this.server?.listening === true;
  }

  metrics(): TcpGatewayMetrics {
    return {
      connections: this.links.size,
      instances: this.instances.size,
      inFlight: this.pending.size,
      ...this.counters,
      certReloads: this.certReloader?.reloadCount ?? 0,
      framesWritten: this.writeStats.framesWritten,
      writes: this.writeStats.writes,
    };
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.stopHelloSweep?.();
    await this.certReloader?.stop();
    for (const entry of this.pending.takeAll()) {
      entry.reject(new TransportClosedError(this.type, `wait for the RESPONSE to ${entry.id}`));
    }
    const server = this.server;
    const closed = server === undefined || !server.listening ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    const links = [...this.links.values()];
    for (const link of links) link.connection.close('gateway transport stopped');
    // Sockets still in a TLS handshake are not links yet, but would keep server.close() waiting.
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(links.map((l) => l.connection.closed));
    await closed;
  }

  private createServer(): Server | TlsServer {
    if (this.options.tls === undefined) {
      return createNetServer({ noDelay: this.options.noDelay }, (socket) => this.accept(socket));
    }
    const { requireClientCert } = this.options.tls;
    const server = createTlsServer(
      { ...this.pems, requestCert: requireClientCert, rejectUnauthorized: requireClientCert, handshakeTimeout: this.options.helloTimeoutMs },
      (socket: TLSSocket) => this.accept(socket),
    );
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      // A client certificate that fails verification surfaces as a reset; the real reason
      // (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE) is on the socket.
      const authorizationError = (socket as TLSSocket & { authorizationError?: unknown }).authorizationError;
      const reason = authorizationError === undefined || authorizationError === null ? err.message : `${String(authorizationError)} (${err.message})`;
      this.deps.logger.warn(
        { transport: this.type, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, err: reason },
        'tls handshake refused',
      );
    });
    return server;
  }

  private accept(socket: Socket): void {
    if (this.state === 'stopped') {
      socket.destroy();
      return;
    }
    socket.setNoDelay(this.options.noDelay);
    if (this.options.keepAliveMs > 0) socket.setKeepAlive(true, this.options.keepAliveMs);
    this.counters.accepted += 1;
    const id = `${this.type}-${this.connectionPrefix}-${++this.nextConnection}`;
    const connection = new FrameConnection(
      id,
      socket,
      { maxFrameBytes: this.options.maxFrameBytes, maxWriteBufferBytes: this.options.maxWriteBufferBytes, transport: this.type, stats: this.writeStats },
      { frame: (frame) => this.onFrame(link, frame), closed: (reason) => this.onClosed(link, reason) },
      this.deps.logger,
      this.deps.clock,
    );
    const link: Link = {
      connection,
      acceptedAt: this.deps.clock.now(),
      identified: false,
      link: Object.freeze({ transport: this.type, address: id }),
      instanceIds: new Set(),
    };
    this.links.set(id, link);
    this.deps.logger.debug({ transport: this.type, connection: id, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` }, 'instance connected');
  }

  private onFrame(link: Link, frame: Frame): void {
    switch (frame.type) {
      case 'RESPONSE': {
        const entry = this.pending.get(frame.id);
        // A RESPONSE only counts on the connection its REQUEST went out on.
        if (entry === undefined || entry.link !== link) {
          this.counters.droppedResponses += 1;
          this.deps.logger.debug({ transport: this.type, connection: link.connection.id, requestId: frame.id }, 'RESPONSE for an unknown or finished request dropped');
          return;
        }
        this.finish(frame.id);
        this.counters.responses += 1;
        entry.resolve(frame.payload);
        return;
      }
      case 'BODY_CHUNK':
      case 'BODY_END':
      case 'CREDIT': {
        const open = this.streams.get(frame.id);
        if (open !== undefined && open.link === link) open.stream.onFrame(frame);
        return;
      }
      case 'HELLO':
        this.bind(link, frame.payload.instance.instanceId);
        this.events?.control(frame, link.link);
        return;
      case 'HEARTBEAT':
        this.bind(link, frame.payload.instanceId);
        this.events?.control(frame, link.link);
        return;
      case 'GOODBYE':
        this.events?.control(frame, link.link);
        return;
      default:
        this.deps.logger.warn({ transport: this.type, connection: link.connection.id, frameType: frame.type }, 'frame type not expected from an instance; dropped');
    }
  }

  /** Makes `link` the current connection of `instanceId` (a reconnect supersedes the old connection). */
  private bind(link: Link, instanceId: string): void {
    link.identified = true;
    const previous = this.instances.get(instanceId);
    if (previous === link) return;
    previous?.instanceIds.delete(instanceId);
    this.instances.set(instanceId, link);
    link.instanceIds.add(instanceId);
  }

  private onClosed(link: Link, reason: string): void {
    this.links.delete(link.connection.id);
    // A connection closing is rare: a scan of the pending table is cheaper than a per-connection
    // set touched on every request.
    const written = link.connection.written;
    for (const entry of this.pending.takeWhere((p) => p.link === link)) {
      this.counters.failedByConnectionLoss += 1;
      // A REQUEST still in the unwritten batch never left: another instance may take it.
      if (entry.seq > written) entry.reject(new RequestNotSentError(this.type, entry.id, `connection to instance ${entry.instanceId} closed before the REQUEST was written: ${reason}`));
      else entry.reject(new TransportFailureError(this.type, `connection to instance ${entry.instanceId} was lost while request ${entry.id} was in flight: ${reason}`));
    }
    for (const open of [...this.streams.values()]) {
      if (open.link === link) open.stream.fail('connection-lost', reason);
    }
    for (const instanceId of link.instanceIds) {
      if (this.instances.get(instanceId) !== link) continue;
      this.instances.delete(instanceId);
      if (this.state !== 'stopped') this.events?.lost(instanceId, `${this.type} connection ${link.connection.id} closed: ${reason}`);
    }
    this.deps.logger.debug({ transport: this.type, connection: link.connection.id, reason }, 'instance connection closed');
  }

  private sweepUnidentified(): void {
    const cutoff = this.deps.clock.now() - this.options.helloTimeoutMs;
    for (const link of this.links.values()) {
      if (link.identified || link.acceptedAt > cutoff) continue;
      this.counters.helloTimeouts += 1;
      link.connection.close(`no HELLO within helloTimeoutMs (${this.options.helloTimeoutMs} ms)`, 'warn');
    }
  }

  /** Forgets a pending request; false when it already finished (answered, cancelled or failed). */
  private finish(id: string): boolean {
    return this.pending.take(id) !== undefined;
  }
}
