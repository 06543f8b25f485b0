/**
 * The request path of SPEC §6, in order: strip reserved identity headers → match (404/405) →
 * version → authenticate and authorize (401/403) → identity headers from the verified principal
 * → rate limits (429) → eligible instance (503, fast) → body within maxBodyBytes (413) → dispatch
 * with a deadline (504 + CANCEL; client gone → CANCEL) → response (502 on transport failure).
 * This is the throughput-critical path: no schema validation, no per-request closures beyond
 * the deadline and disconnect hooks, one writeHead + end per answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  hasCode,
  ERROR_CODES,
  Cancellation,
  type Clock,
  type DispatchTarget,
  type EndpointDescriptor,
  type GatewayTransport,
  type HttpMethod,
  type Identity,
  type Logger,
  type RequestPayload,
  type ResponsePayload,
  type RoutingState,
  type TransportType,
} from '@switchyard/core';
import type { GatewayConfig } from '../config/schema.js';
import { errorBody, GATEWAY_HTTP_ERRORS, type GatewayHttpErrorCode } from '../errors.js';
import type { GatewayMetrics } from '../operations/metrics.js';
import { meetsClaims, type Authenticator } from '../policy/authenticator.js';
import { forwardableHeaders, writeIdentityHeaders, type ReservedHeaders } from '../policy/identity-headers.js';
import type { ClientCertificates } from '../policy/client-certificate.js';
import type { RateLimiter } from '../policy/rate-limiter.js';
import type { DepartedRoutes } from '../departed-routes.js';
import { readBody } from './body-reader.js';
import { endStreamAfterAnswer, isHttp2, isResponseGone } from './http2-compat.js';
import { InFlightRequests, type InFlightEntry } from './in-flight.js';
import { newRequestId, readRequestId } from './request-id.js';

export interface RequestPathDeps {
  readonly config: Readonly<GatewayConfig>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly routing: RoutingState;
  /** Routes whose instances all left recently: 503 instead of 404. */
  readonly departed: DepartedRoutes;
  readonly transports: ReadonlyMap<TransportType, GatewayTransport>;
  readonly authenticator: Authenticator;
  readonly reserved: ReservedHeaders;
  readonly metrics: GatewayMetrics;
  readonly clientLimiter: RateLimiter | undefined;
  readonly routeLimiter: RateLimiter | undefined;
  /** Verified client certificates as principals (mTLS at the edge, `http.tls.ca` set). */
  readonly certificates?: ClientCertificates;
  /** Operations endpoints (health, metrics, routes); returns true when it answered. */
  readonly operations: (path: string, req: IncomingMessage, res: ServerResponse) => boolean;
}

/** `Retry-After` for the 503s that a moment fixes (no instance yet, shutting down). */
const RETRY_SOON: Readonly<Record<string, string>> = Object.freeze({ 'retry-after': '1' });

/** How long the rest of an oversized body is drained before the connection is cut. */
const BODY_LINGER_MS = 5_000;

// Connection-specific headers; HTTP/2 refuses to send any of them (RFC 9113 §8.2.2).
const SKIP_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer', 'http2-settings']);

export class RequestPath {
  readonly inFlight: InFlightRequests;
  private draining = false;
  private readonly requestIdHeader: string;
  private readonly maxBodyBytes: number;
  private readonly defaultTimeoutMs: number;
  private readonly region: string;
  private readonly logRequests: boolean;
  /**
   * Route labels by endpoint descriptor. Building `${method} ${path}` per request made a fresh
   * string that each metrics lookup then had to flatten and hash again.
   */
  private readonly routeLabels = new WeakMap<EndpointDescriptor, string>();

  constructor(private readonly deps: RequestPathDeps) {
    this.requestIdHeader = deps.config.http.requestIdHeader;
    this.maxBodyBytes = deps.config.http.maxBodyBytes;
    this.defaultTimeoutMs = deps.config.routing.defaultTimeoutMs;
    this.region = deps.config.node.region;
    this.logRequests = deps.config.log.requests;
    this.inFlight = new InFlightRequests(deps.clock);
  }

  /** Stops the deadline tick (after in-flight requests have settled). */
  close(): void {
    this.inFlight.stop();
  }

  /** From now on every new request gets 503 SY_GATEWAY_SHUTTING_DOWN with `Connection: close`. */
  startDraining(): void {
    this.draining = true;
  }

  /** The `http.Server` request listener. Never rejects. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.run(req, res).catch((err: unknown) => {
      this.deps.logger.error({ err: errorFields(err), url: req.url }, 'gateway request path failed');
      if (!res.headersSent) this.fail(res, 'SY_GATEWAY_INTERNAL', 'unknown', 'unmatched', '', performance.now());
      else res.destroy();
    });
  };

  private async run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const deps = this.deps;
    // SPEC §6: reserved identity headers go before anything reads headers.
    deps.reserved.strip(req.headers);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);

    if (deps.operations(path, req, res)) return;

    const requestId = readRequestId(req.headers[this.requestIdHeader]) ?? newRequestId();
    deps.metrics.requestStarted();
    if (this.draining) {
      res.shouldKeepAlive = false;
      this.fail(res, 'SY_GATEWAY_SHUTTING_DOWN', requestId, 'unmatched', '', started, RETRY_SOON);
      return;
    }
    const method = req.method ?? 'GET';
    const match = deps.routing.match(method, path);
    if (match.kind === 'not-found') {
      if (deps.departed.wasServed(method, path)) {
        this.fail(res, 'SY_GATEWAY_NO_INSTANCE', requestId, 'departed', '', started, RETRY_SOON);
      } else {
        this.fail(res, 'SY_GATEWAY_NOT_FOUND', requestId, 'unmatched', '', started);
      }
      return;
    }
    if (match.kind === 'method-not-allowed') {
      this.fail(res, 'SY_GATEWAY_METHOD_NOT_ALLOWED', requestId, 'unmatched', '', started, { allow: match.allow.join(', ') });
      return;
    }
    const choice = deps.routing.chooseVersion(match, headerValue(req.headers['x-switchyard-version']));
    if (choice.kind === 'version-not-found') {
      this.fail(res, 'SY_GATEWAY_VERSION_NOT_FOUND', requestId, 'unmatched', '', started);
      return;
    }
    // With no eligible version, authenticate against the highest candidate's endpoint; the 503
    // comes at the instance step, after auth and rate limits (SPEC §6 order).
    const candidate = choice.kind === 'chosen' ? choice.candidate : (match.candidates[0] as (typeof match.candidates)[number]);
    const endpoint = candidate.endpoint;
    const route = this.routeOf(endpoint);

    // No promise to await when there is no token to verify (awaiting a plain value still costs a tick).
    const authenticating = deps.authenticator.authenticate(headerValue(req.headers.authorization));
    const auth = authenticating instanceof Promise ? await authenticating : authenticating;
    if (auth.kind === 'invalid') {
      this.fail(res, 'SY_GATEWAY_UNAUTHENTICATED', requestId, route, '', started, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    // A verified Bearer token wins; else a verified client certificate; else the anonymous identity.
    const identity: Identity | null =
      auth.kind === 'verified' ? auth.identity : (deps.certificates?.identityOf(req) ?? (auth.kind === 'none' ? null : auth.identity));
    if (endpoint.requiringClaims.length > 0 && !meetsClaims(identity, endpoint.requiringClaims)) {
      if (identity === null || identity.anonymous) this.fail(res, 'SY_GATEWAY_UNAUTHENTICATED', requestId, route, '', started, { 'www-authenticate': 'Bearer' });
      else this.fail(res, 'SY_GATEWAY_FORBIDDEN', requestId, route, '', started);
      return;
    }

    const headers = forwardableHeaders(req.headers);
    writeIdentityHeaders(headers, identity, deps.reserved);
    headers[this.requestIdHeader] = requestId;

    if (deps.clientLimiter !== undefined) {
      const key =
        deps.config.rateLimit.clientKey === 'subject-or-ip' && identity !== null && !identity.anonymous && identity.subject !== undefined
          ? `sub:${identity.subject}`
          : `ip:${this.clientIp(req)}`;
      const waitMs = deps.clientLimiter.take(key);
      if (waitMs > 0) {
        this.fail(res, 'SY_GATEWAY_RATE_LIMITED', requestId, route, '', started, { 'retry-after': String(Math.ceil(waitMs / 1000)) });
        return;
      }
    }
    if (deps.routeLimiter !== undefined) {
      const waitMs = deps.routeLimiter.take(`${match.service} ${candidate.routeKey}`);
      if (waitMs > 0) {
        this.fail(res, 'SY_GATEWAY_RATE_LIMITED', requestId, route, '', started, { 'retry-after': String(Math.ceil(waitMs / 1000)) });
        return;
      }
    }

    const instance = choice.kind === 'chosen' ? deps.routing.pick(choice.service, choice.version, this.region, candidate.routeKey) : undefined;
    const transport = instance === undefined ? undefined : deps.transports.get(instance.link.transport);
    if (instance === undefined || transport === undefined) {
      this.fail(res, 'SY_GATEWAY_NO_INSTANCE', requestId, route, '', started, RETRY_SOON);
      return;
    }
    const target: DispatchTarget = { instanceId: instance.instanceId, service: instance.service, version: instance.version, link: instance.link };

    const reading = readBody(req, this.maxBodyBytes);
    const body = reading instanceof Promise ? await reading : reading;
    if (body.kind === 'too-large') {
      this.fail(res, 'SY_GATEWAY_PAYLOAD_TOO_LARGE', requestId, route, target.link.transport, started);
      this.discardRest(req, res);
      return;
    }
    if (body.kind === 'aborted' || isResponseGone(res)) {
      this.finished(route, 499, target.link.transport, started, requestId, method, path);
      return;
    }

    const timeoutMs = endpoint.timeoutMs ?? this.defaultTimeoutMs;
    const payload: Omit<RequestPayload, 'replyTo'> = {
      method: method as HttpMethod,
      path,
      query,
      headers,
      body: body.body,
      deadline: deps.clock.now() + timeoutMs,
      identity,
    };
    const exchange = new Exchange(this, res, requestId, route, target.link.transport, started, payload.deadline);
    this.inFlight.add(exchange);
    const dispatched = deps.routing.beginDispatch(target.instanceId);
    res.on('close', exchange.onClose);
    let response: ResponsePayload;
    try {
      // The transport makes the REQUEST's correlation id: a pending table names its slot in it,
      // and a client's request id may repeat.
      response = await transport.dispatch(target, payload, { cancellation: exchange.cancellation });
    } catch (err) {
      if (!exchange.answered) this.dispatchFailed(err, exchange, target.instanceId);
      return;
    } finally {
      dispatched();
      this.inFlight.delete(exchange);
      res.off('close', exchange.onClose);
    }
    if (exchange.answered) return;
    // The instance also stops at the deadline and may answer (e.g. 499) a moment before our tick
    // fires: past the deadline the answer is 504, whatever arrived (SPEC §6).
    if (deps.clock.now() >= payload.deadline) {
      this.fail(res, 'SY_GATEWAY_TIMEOUT', requestId, route, target.link.transport, started);
      return;
    }
    if (isResponseGone(res)) {
      this.finished(route, 499, target.link.transport, started, requestId, method, path);
      return;
    }
    const out: Record<string, string> = {};
    for (const name in response.headers) {
      if (!SKIP_RESPONSE_HEADERS.has(name)) out[name] = response.headers[name] as string;
    }
    out[this.requestIdHeader] = requestId;
    out['content-length'] = String(response.body.byteLength);
    if (this.draining) res.shouldKeepAlive = false;
    res.writeHead(response.status, out);
    res.end(response.body);
    this.finished(route, response.status, target.link.transport, started, requestId, method, path, response.instanceId);
  }

  /**
   * After a 413 the rest of the body is read and thrown away (never buffered), for at most
   * BODY_LINGER_MS: closing a socket with unread input makes the kernel send RST, which can
   * destroy the 413 before the client reads it. A client still sending after that is cut off.
   */
  private discardRest(req: IncomingMessage, res: ServerResponse): void {
    // HTTP/2: the socket carries other streams; only this stream ends.
    if (isHttp2(req)) {
      endStreamAfterAnswer(req, res);
      return;
    }
    req.resume();
    if (req.complete) return;
    const linger = new AbortController();
    req.once('end', () => linger.abort());
    req.socket.once('close', () => linger.abort());
    res.once('finish', () => {
      this.deps.clock.sleep(BODY_LINGER_MS, linger.signal).then(
        () => req.socket.destroy(),
        () => undefined,
      );
    });
  }

  private dispatchFailed(err: unknown, exchange: Exchange, instanceId: string): void {
    const { cancellation, res, requestId, route, transport, started } = exchange;
    if (cancellation.cancelled || hasCode(err, ERROR_CODES.RequestCancelled)) {
      const reason = cancellation.reason ?? 'cancelled';
      if (reason === 'timeout') {
        this.fail(res, 'SY_GATEWAY_TIMEOUT', requestId, route, transport, started);
      } else {
        this.finished(route, 499, transport, started, requestId, '', '', instanceId);
      }
      return;
    }
    this.deps.logger.warn({ requestId, route, instanceId, transport, err: errorFields(err) }, 'dispatch failed');
    this.fail(res, 'SY_GATEWAY_BAD_GATEWAY', requestId, route, transport, started);
  }

  /** @internal Exchange answers through this. */
  fail(
    res: ServerResponse,
    code: GatewayHttpErrorCode,
    requestId: string,
    route: string,
    transport: string,
    started: number,
    extra?: Readonly<Record<string, string>>,
  ): void {
    const status = GATEWAY_HTTP_ERRORS[code].status;
    if (!res.headersSent && !isResponseGone(res)) {
      const body = errorBody(code, requestId);
      res.writeHead(status, {
        ...extra,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        [this.requestIdHeader]: requestId,
      });
      res.end(body);
    }
    this.finished(route, status, transport, started, requestId, res.req?.method ?? '', res.req?.url ?? '', undefined, code);
  }

  private finished(
    route: string,
    status: number,
    transport: string,
    started: number,
    requestId: string,
    method: string,
    path: string,
    instanceId?: string,
    code?: string,
  ): void {
    const ms = performance.now() - started;
    this.deps.metrics.requestFinished(route, status, transport === '' ? 'none' : transport, ms / 1000);
    if (this.logRequests) {
      this.deps.logger.info(
        { requestId, method, path, route, status, durationMs: Math.round(ms * 100) / 100, transport, instanceId, code },
        'request',
      );
    }
  }

  private routeOf(endpoint: EndpointDescriptor): string {
    let route = this.routeLabels.get(endpoint);
    if (route === undefined) {
      route = `${endpoint.method} ${endpoint.path}`;
      this.routeLabels.set(endpoint, route);
    }
    return route;
  }

  private clientIp(req: IncomingMessage): string {
    if (this.deps.config.http.trustProxy) {
      const xff = headerValue(req.headers['x-forwarded-for']);
      if (xff !== undefined) return (xff.split(',')[0] as string).trim();
    }
    return req.socket.remoteAddress ?? 'unknown';
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { message: err.message, code: (err as { code?: unknown }).code, name: err.name };
  return { message: String(err) };
}

/**
 * One dispatched request while the gateway waits for its answer: its cancellation (cancelled by
 * the deadline tick, a client disconnect, or shutdown) and what the shutdown path needs to answer
 * the client itself. One object per request instead of a controller, a Map entry per tracker and
 * a closure per hook.
 */
class Exchange implements InFlightEntry {
  readonly cancellation = new Cancellation();
  /** True once the shutdown path answered the client; the dispatch's outcome is then ignored. */
  answered = false;
  listIndex = -1;

  constructor(
    private readonly path: RequestPath,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly route: string,
    readonly transport: string,
    readonly started: number,
    readonly deadline: number,
  ) {}

  /**
   * The response's 'close' listener: a client gone before its answer cancels the dispatch.
   * `writableEnded` (end() was called), not `writableFinished`: an HTTP/2 response whose stream
   * the client reset emits 'finish' and then 'close' without anything having been written.
   */
  readonly onClose = (): void => {
    if (!this.res.writableEnded) this.cancellation.cancel('client-disconnected');
  };

  answerShuttingDown(): void {
    if (this.answered) return;
    this.answered = true;
    this.res.shouldKeepAlive = false;
    this.path.fail(this.res, 'SY_GATEWAY_SHUTTING_DOWN', this.requestId, this.route, this.transport, this.started, RETRY_SOON);
  }
}
