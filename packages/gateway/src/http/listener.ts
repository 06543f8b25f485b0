/**
 * The client-facing listener: plain HTTP/1.1, HTTPS (`http.tls`), or HTTP/2 (`http.http2`) —
 * over TLS with ALPN and HTTP/1.1 fallback on the same port, or cleartext h2c with prior
 * knowledge when TLS is off. Certificates are read at creation (a missing file fails start-up
 * naming the key) and reloaded when the files change, for new connections, without a restart or a
 * dropped connection (core's CertReloader, shared with the TLS router transport). HTTP/2 gets the
 * limits of http.http2Limits (docs/configuration.md#http). Every request goes to the one request
 * listener, whatever the protocol. Every kind gets the edge settings: the header and request
 * deadlines, keep-alive and header size of server-options.ts (HTTP/1.1, over TLS too, and the
 * HTTP/1.1 fallback of an HTTP/2 server), the JSON answer to parser refusals, and the cap on
 * connections per client address.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import {
  createSecureServer,
  createServer as createH2cServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type SecureServerOptions,
  type ServerOptions as Http2ServerOptions,
} from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock, Logger } from '@switchyard/core';
import { CertReloader, pemSource, readPemSourcesSync, type PemSources } from '@switchyard/core/internal';
import type { GatewayConfig } from '../config/schema.js';
import { GatewayConfigError } from '../errors.js';
import { answerClientError } from './client-error.js';
import { capConnectionsPerClient } from './connection-cap.js';
import { Http2Sessions } from './http2-sessions.js';
import { httpServerOptions } from './server-options.js';

/** The request path's entry point. HTTP/2 requests arrive as Node's compatible Http2ServerRequest/Response (see http2-compat.ts). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Which protocols a listener speaks. */
export type ListenerProtocols = 'http/1.1' | 'h2,http/1.1' | 'h2c';

export interface ClientListener {
  readonly scheme: 'http' | 'https';
  readonly protocols: ListenerProtocols;
  /** Listens on `host:port` and resolves with the bound address. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting connections and stops certificate reloading; resolves once every connection has closed. */
  close(): Promise<void>;
  /** Closes connections with no request in progress; HTTP/2 sessions get GOAWAY and close once their streams end. */
  closeIdleConnections(): void;
  /** Destroys every connection now. */
  closeAllConnections(): void;
  /** Times rotated certificates were applied. */
  readonly certReloads: number;
  /** HTTP/2 sessions closed for resetting streams faster than `http2Limits.maxResetsPerSecond`. */
  readonly sessionsRefusedForResets: number;
}

export interface ListenerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
}

type HttpConfig = GatewayConfig['http'];
type AnyServer = HttpServer | HttpsServer | Http2SecureServer | Http2Server;

/** Builds the listener `http` config describes; nothing listens until `listen()`. */
export function createClientListener(http: HttpConfig, handle: RequestListener, deps: ListenerDeps): ClientListener {
  const tls = http.tls;
  const sources: PemSources | undefined =
    tls === undefined
      ? undefined
      : { cert: pemSource('cert', tls.cert), key: pemSource('key', tls.key), ...(tls.ca === undefined ? {} : { ca: pemSource('ca', tls.ca) }) };
  let secure: SecureServerOptions | undefined;
  if (tls !== undefined && sources !== undefined) {
    const { material, problems } = readPemSourcesSync(sources);
    if (problems.length > 0) throw new GatewayConfigError(problems.map((p) => `http.tls.${p}`), 'http.tls');
    secure = {
      ...material,
      // A client certificate is asked for when there is a CA to verify it; required only on request.
      requestCert: tls.ca !== undefined,
      rejectUnauthorized: tls.requireClientCert,
    };
  }

  const limits = http.http2Limits;
  const sessions = http.http2 ? new Http2Sessions(limits.maxResetsPerSecond, deps.clock, deps.logger) : undefined;
  const h2Options: Http2ServerOptions = {
    settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderListBytes },
    maxSessionMemory: limits.maxSessionMemoryMiB,
    maxSessionRejectedStreams: limits.maxSessionRejectedStreams,
    maxSessionInvalidFrames: limits.maxSessionInvalidFrames,
  };

  const h1Options = httpServerOptions(http);
  let server: AnyServer;
  let protocols: ListenerProtocols;
  if (http.http2) {
    if (secure === undefined) {
      server = createH2cServer(h2Options);
    } else {
      server = createSecureServer({ ...secure, ...h2Options, allowHTTP1: true });
      // The HTTP/1.1 fallback reads these from the server (Node's HTTP/1.1 connection listener
      // runs with the HTTP/2 server as its server); they must be set before listen().
      Object.assign(server, h1Options);
    }
    protocols = secure === undefined ? 'h2c' : 'h2,http/1.1';
    server.on('session', (sessions as Http2Sessions).add);
  } else {
    server = secure === undefined ? createHttpServer(h1Options) : createHttpsServer({ ...secure, ...h1Options });
    protocols = 'http/1.1';
  }
  // Parser refusals (431, 408, 400) get the JSON error body. Only HTTP/1.1 connections emit
  // 'clientError'; h2c has none.
  server.on('clientError', answerClientError);
  // 'connection' is the accepted TCP socket for every kind, before TLS or any protocol.
  capConnectionsPerClient(server, http.maxConnectionsPerClient);
  // Every connection of an HTTP/2 server, destroyed at the end of shutdown: the HTTP/1.1 ones of
  // the ALPN fallback, and HTTP/2 ones whose session closed gracefully but whose client never
  // closed its end of the socket (the session is gone, the socket is not).
  const sockets = new Set<Socket>();
  if (http.http2) {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  }

  const onRequest = handle as unknown as (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;
  server.on('request', onRequest);
  // `Expect: 100-continue` with a declared body over the limit gets its 413 without "100 Continue",
  // so the client need not send the body at all.
  server.on('checkContinue', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    if (!(Number(req.headers['content-length']) > http.maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  server.on('tlsClientError', (err: Error) => deps.logger.debug({ err: err.message }, 'tls handshake with a client failed'));

  const reloader =
    secure === undefined || tls === undefined || sources === undefined
      ? undefined
      : new CertReloader(
          { ...sources, certReloadMs: tls.certReloadMs },
          (pems) => (server as HttpsServer | Http2SecureServer).setSecureContext({ ...pems }),
          deps.clock,
          deps.logger,
        );

  let closed: Promise<void> | undefined;
  return {
    scheme: secure === undefined ? 'http' : 'https',
    protocols,
    get certReloads() {
      return reloader?.reloadCount ?? 0;
    },
    get sessionsRefusedForResets() {
      return sessions?.refusedForResets ?? 0;
    },
    async listen(port, host) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      await reloader?.start();
      return server.address() as AddressInfo;
    },
    close() {
      closed ??= Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        reloader?.stop(),
      ]).then(() => undefined);
      return closed;
    },
    closeIdleConnections() {
      if (sessions === undefined) (server as HttpServer | HttpsServer).closeIdleConnections();
      else sessions.closeGracefully();
    },
    closeAllConnections() {
      if (sessions === undefined) {
        (server as HttpServer | HttpsServer).closeAllConnections();
        return;
      }
      sessions.destroyAll();
      for (const socket of sockets) socket.destroy();
    },
  };
}
