/**
 * The request path, in order: strip reserved identity headers → match (404/405) → version →
 * authenticate and authorize (401/403) → identity headers from the verified principal → rate
 * limits (429) → eligible instance over the route's transport order (503, fast) → admission:
 * concurrency limits and queue backlog (503 SY_GATEWAY_OVERLOADED, fast) → body within maxBodyBytes (413) → schema
 * validation when configured (400) → dispatch with a deadline (504 + CANCEL; client gone →
 * CANCEL; a REQUEST the transport never sent goes to the next transport of the order) →
 * response (502 on transport failure). The order and each answer are in
 * packages/gateway/README.md and docs/operations.md.
 * This is the throughput-critical path: validation only through its hook, one Exchange per request (see
 * exchange.ts), no per-request closures beyond its client-disconnect hook and the routing
 * state's dispatch counter, one writeHead + end per answer (answers.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  hasCode,
  ERROR_CODES,
  TransportType as TransportTypes,
  type Clock,
  type DispatchTarget,
  type EndpointDescriptor,
  type GatewayTransport,
  type HttpMethod,
  type Identity,
  type Logger,
  type RequestPayload,
  type ResponsePayload,
  type TransportType,
} from '@switchyard/core';
import { type RoutingState } from '@switchyard/core/internal';
import type { GatewayConfig } from '../config/schema.js';
import type { GatewayMetrics } from '../operations/metrics.js';
import { meetsClaims, type Authenticator } from '../policy/authenticator.js';
import { forwardableHeaders, writeIdentityHeaders, type ReservedHeaders } from '../policy/identity-headers.js';
import type { ClientCertificates } from '../policy/client-certificate.js';
import type { RequestLimiter } from '../policy/rate-limiter.js';
import type { DepartedRoutes } from '../departed-routes.js';
import type { Admission, RouteAdmission } from '../admission/admission.js';
import type { TransportPaths } from '../transport-paths.js';
import { readBody } from './body-reader.js';
import type { RequestValidation } from '../openapi/openapi-feature.js';
import { Answers } from './answers.js';
import { Exchange, RETRY_SOON } from './exchange.js';
import { endStreamAfterAnswer, isHttp2, isResponseGone } from './http2-compat.js';
import { InFlightRequests } from './in-flight.js';
import { newRequestId, readRequestId } from './request-id.js';
import { readRequestTarget } from './request-target.js';
import { StreamPath, streamsOn } from './stream-path.js';

export interface RequestPathDeps {
  readonly config: Readonly<GatewayConfig>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The one line per answered request (`log.requests`); the GatewayLog's request logger, or `logger` when one was given. */
  readonly requestLogger: Logger;
  readonly routing: RoutingState;
  /** Routes whose instances all left recently: 503 instead of 404. */
  readonly departed: DepartedRoutes;
  readonly transports: ReadonlyMap<TransportType, GatewayTransport>;
  readonly authenticator: Authenticator;
  readonly reserved: ReservedHeaders;
  readonly metrics: GatewayMetrics;
  readonly clientLimiter: RequestLimiter | undefined;
  readonly routeLimiter: RequestLimiter | undefined;
  /** Verified client certificates as principals (mTLS at the edge, `http.tls.ca` set). */
  readonly certificates?: ClientCertificates;
  /** Operations endpoints (health, metrics, routes); returns true when it answered. */
  readonly operations: (path: string, req: IncomingMessage, res: ServerResponse) => boolean;
  /** Schema validation before dispatch (and of responses, when configured); undefined when `validation: off`. */
  readonly validation?: RequestValidation | undefined;
  /** Concurrency limits and backlog check before dispatch; undefined when `admission.enabled` is false. */
  readonly admission?: Admission | undefined;
  /** Transport order and failover of routes and services that name one (`routing.transportOrder`). */
  readonly paths?: TransportPaths | undefined;
}

/** How long the rest of an oversized body is drained before the connection is cut. */
const BODY_LINGER_MS = 5_000;

export class RequestPath {
  readonly inFlight: InFlightRequests;
  private draining = false;
  private readonly requestIdHeader: string;
  private readonly maxBodyBytes: number;
  private readonly defaultTimeoutMs: number;
  private readonly region: string;
  private readonly answers: Answers;
  /**
   * Route labels by endpoint descriptor. Building `${method} ${path}` per request made a fresh
   * string that each metrics lookup then had to flatten and hash again.
   */
  private readonly routeLabels = new WeakMap<EndpointDescriptor, string>();
  /** Endpoints declared `streaming`, on a transport that streams (stream-path.ts). */
  private readonly streams: StreamPath;

  constructor(private readonly deps: RequestPathDeps) {
    this.requestIdHeader = deps.config.http.requestIdHeader;
    this.maxBodyBytes = deps.config.http.maxBodyBytes;
    this.defaultTimeoutMs = deps.config.routing.defaultTimeoutMs;
    this.region = deps.config.node.region;
    this.answers = new Answers(deps.metrics, deps.requestLogger, this.requestIdHeader, deps.config.log.requests);
    this.inFlight = new InFlightRequests(deps.clock);
    this.streams = new StreamPath({
      config: deps.config,
      logger: deps.logger,
      answers: this.answers,
      inFlight: this.inFlight,
      requestIdHeader: this.requestIdHeader,
      discardRest: (req, res) => this.discardRest(req, res),
      dispatchFailed: (err, ex) => this.dispatchFailed(err, ex),
    });
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
      if (!res.headersSent) this.answers.fail(new Exchange(this.answers, req, res, 'unknown', req.method ?? '', req.url ?? '', performance.now()), 'SY_GATEWAY_INTERNAL');
      else res.destroy();
    });
  };

  private async run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const deps = this.deps;
    // Reserved identity headers go before anything reads headers: only the gateway writes them.
    deps.reserved.strip(req.headers);
    // Edge: protocol limits and path normalisation before anything matches (request-target.ts).
    const requestTarget = readRequestTarget(req.url, deps.config.http);
    if (requestTarget.kind !== 'ok') {
      deps.metrics.requestStarted();
      // The refused target is not logged as the path: it may be kilobytes long or carry secrets.
      const refused = new Exchange(this.answers, req, res, newRequestId(), req.method ?? 'GET', '', started);
      this.answers.fail(refused, requestTarget.kind === 'too-long' ? 'SY_GATEWAY_URI_TOO_LONG' : 'SY_GATEWAY_BAD_REQUEST');
      return;
    }
    const { path, query } = requestTarget;

    if (deps.operations(path, req, res)) return;

    const requestId = readRequestId(req.headers[this.requestIdHeader]) ?? newRequestId();
    const method = req.method ?? 'GET';
    const ex = new Exchange(this.answers, req, res, requestId, method, path, started);
    deps.metrics.requestStarted();
    if (this.draining) {
      res.shouldKeepAlive = false;
      this.answers.fail(ex, 'SY_GATEWAY_SHUTTING_DOWN', RETRY_SOON);
      return;
    }
    const match = deps.routing.match(method, path);
    if (match.kind === 'not-found') {
      if (deps.departed.wasServed(method, path)) {
        ex.route = 'departed';
        this.answers.fail(ex, 'SY_GATEWAY_NO_INSTANCE', RETRY_SOON);
      } else {
        this.answers.fail(ex, 'SY_GATEWAY_NOT_FOUND');
      }
      return;
    }
    if (match.kind === 'method-not-allowed') {
      this.answers.fail(ex, 'SY_GATEWAY_METHOD_NOT_ALLOWED', { allow: match.allow.join(', ') });
      return;
    }
    const choice = deps.routing.chooseVersion(match, headerValue(req.headers['x-switchyard-version']));
    if (choice.kind === 'version-not-found') {
      this.answers.fail(ex, 'SY_GATEWAY_VERSION_NOT_FOUND');
      return;
    }
    // With no eligible version, authenticate against the highest candidate's endpoint; the 503
    // comes at the instance step, after auth and rate limits (the order above).
    const candidate = choice.kind === 'chosen' ? choice.candidate : (match.candidates[0] as (typeof match.candidates)[number]);
    const endpoint = candidate.endpoint;
    ex.route = this.routeOf(endpoint);

    // No promise to await when there is no token to verify (awaiting a plain value still costs a tick).
    const authenticating = deps.authenticator.authenticate(headerValue(req.headers.authorization));
    const auth = authenticating instanceof Promise ? await authenticating : authenticating;
    if (auth.kind === 'invalid') {
      this.answers.fail(ex, 'SY_GATEWAY_UNAUTHENTICATED', { 'www-authenticate': 'Bearer error="invalid_token"' });
      return;
    }
    // A verified Bearer token wins; else a verified client certificate; else the anonymous identity.
    const identity: Identity | null =
      auth.kind === 'verified' ? auth.identity : (deps.certificates?.identityOf(req) ?? (auth.kind === 'none' ? null : auth.identity));
    if (endpoint.requiringClaims.length > 0 && !meetsClaims(identity, endpoint.requiringClaims)) {
      if (identity === null || identity.anonymous) this.answers.fail(ex, 'SY_GATEWAY_UNAUTHENTICATED', { 'www-authenticate': 'Bearer' });
      else this.answers.fail(ex, 'SY_GATEWAY_FORBIDDEN');
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
      const decision = deps.clientLimiter.take(key);
      // A shared limit answers asynchronously; the local one stays synchronous.
      const waitMs = typeof decision === 'number' ? decision : await decision;
      if (waitMs > 0) {
        this.answers.fail(ex, 'SY_GATEWAY_RATE_LIMITED', { 'retry-after': String(Math.ceil(waitMs / 1000)) });
        return;
      }
    }
    if (deps.routeLimiter !== undefined) {
      const decision = deps.routeLimiter.take(`${match.service} ${candidate.routeKey}`);
      const waitMs = typeof decision === 'number' ? decision : await decision;
      if (waitMs > 0) {
        this.answers.fail(ex, 'SY_GATEWAY_RATE_LIMITED', { 'retry-after': String(Math.ceil(waitMs / 1000)) });
        return;
      }
    }

    const order = choice.kind === 'chosen' && deps.paths !== undefined ? deps.paths.orderOf(match.service, ex.route) : undefined;
    let instance =
      choice.kind !== 'chosen'
        ? undefined
        : order === undefined
          ? deps.routing.pick(choice.service, choice.version, this.region, candidate.routeKey)
          : (deps.paths as TransportPaths).pick(order, choice.service, choice.version, this.region, candidate.routeKey);
    let transport = instance === undefined ? undefined : deps.transports.get(instance.link.transport);
    if (instance === undefined || transport === undefined) {
      this.answers.fail(ex, 'SY_GATEWAY_NO_INSTANCE', RETRY_SOON);
      return;
    }
    let target: DispatchTarget = { instanceId: instance.instanceId, service: instance.service, version: instance.version, link: instance.link, wireFormat: instance.wireFormat };
    ex.transport = target.link.transport;

    // Admission: decided from counters in memory, before the body is read (docs/operations.md, "Overload").
    const timeoutMs = endpoint.timeoutMs ?? this.defaultTimeoutMs;
    let admitted: RouteAdmission | undefined;
    if (deps.admission !== undefined) {
      const queue = target.link.transport === TransportTypes.Messaging ? target.link.address : undefined;
      const decision = deps.admission.admit(match.service, ex.route, timeoutMs, queue);
      if (typeof decision === 'string') {
        this.answers.fail(ex, 'SY_GATEWAY_OVERLOADED', { 'retry-after': String(deps.admission.retryAfterSeconds), 'x-switchyard-shed-reason': decision });
        return;
      }
      admitted = decision;
    }

    if (streamsOn(endpoint, transport)) {
      const request = { method: method as HttpMethod, path, query, headers, identity };
      try {
        await this.streams.run(ex, transport, target, endpoint, request, () => deps.routing.beginDispatch(target.instanceId));
      } finally {
        // A streamed exchange holds its slot while it runs; how long it streams says nothing of the service's latency.
        if (admitted !== undefined) deps.admission?.release(admitted, undefined, timeoutMs);
      }
      return;
    }
    // An endpoint's own limit may lower http.maxBodyBytes for a buffered body, never raise it.
    // Edge: a body that stops arriving is cut after http.bodyIdleTimeoutMs.
    const reading = readBody(req, endpoint.maxBodyBytes === undefined ? this.maxBodyBytes : Math.min(endpoint.maxBodyBytes, this.maxBodyBytes), deps.config.http.bodyIdleTimeoutMs);
    const body = reading instanceof Promise ? await reading : reading;
    if (body.kind !== 'ok' && admitted !== undefined) deps.admission?.release(admitted, undefined, timeoutMs);
    if (body.kind === 'too-large') {
      this.answers.fail(ex, 'SY_GATEWAY_PAYLOAD_TOO_LARGE');
      this.discardRest(req, res);
      return;
    }
    if (body.kind === 'aborted' || isResponseGone(res)) {
      if (body.kind === 'ok' && admitted !== undefined) deps.admission?.release(admitted, undefined, timeoutMs);
      this.answers.finished(ex, 499);
      return;
    }

    if (deps.validation !== undefined) {
      const invalid = deps.validation.validateRequest(target.instanceId, endpoint, { params: candidate.params, query, headers: req.headers, body: body.body });
      if (invalid.length > 0) {
        if (admitted !== undefined) deps.admission?.release(admitted, undefined, timeoutMs);
        deps.validation.reject(res, this.requestIdHeader, requestId, invalid);
        this.answers.finished(ex, 400, 'SY_GATEWAY_INVALID_REQUEST');
        return;
      }
    }

    ex.deadline = this.inFlight.deadlineAfter(timeoutMs);
    const payload: Omit<RequestPayload, 'replyTo'> = {
      method: method as HttpMethod,
      path,
      query,
      headers,
      body: body.body,
      deadline: ex.deadline,
      identity,
    };
    ex.instanceId = target.instanceId;
    this.inFlight.add(ex);
    ex.watchClient();
    let response: ResponsePayload | undefined;
    // The admission limit learns the latency of the dispatch (the client's upload is not the service's).
    let measured = false;
    const dispatchedAt = performance.now();
    try {
      for (;;) {
        const dispatched = deps.routing.beginDispatch(target.instanceId);
        try {
          // The transport makes the REQUEST's correlation id: a pending table names its slot in it,
          // and a client's request id may repeat.
          response = await transport.dispatch(target, payload, { cancellation: ex.cancellation });
          break;
        } catch (err) {
          // Never sent (no handler can have run it): the next transport of the route's order takes it.
          const next = order !== undefined && hasCode(err, ERROR_CODES.RequestNotSent) && !ex.answered ? this.failover(order, target, choice, candidate.routeKey) : undefined;
          if (next === undefined) {
            measured = !ex.cancellation.cancelled || this.inFlight.timedOut(ex);
            if (!ex.answered) this.dispatchFailed(err, ex);
            return;
          }
          deps.logger.info({ requestId: ex.requestId, route: ex.route, from: target.link.transport, to: next.instance.link.transport, err: errorFields(err) }, 'request not sent; failing over');
          [instance, transport] = [next.instance, next.transport];
          target = { instanceId: instance.instanceId, service: instance.service, version: instance.version, link: instance.link, wireFormat: instance.wireFormat };
          ex.transport = target.link.transport;
          ex.instanceId = target.instanceId;
        } finally {
          dispatched();
        }
      }
      measured = true;
    } finally {
      if (admitted !== undefined) deps.admission?.release(admitted, measured ? performance.now() - dispatchedAt : undefined, timeoutMs);
      this.inFlight.delete(ex);
      ex.unwatchClient();
    }
    if (order !== undefined) deps.paths?.served(target.service, target.link.transport);
    if (ex.answered) return;
    if (this.inFlight.timedOut(ex)) {
      this.answers.fail(ex, 'SY_GATEWAY_TIMEOUT');
      return;
    }
    if (isResponseGone(res)) {
      this.answers.finished(ex, 499);
      return;
    }
    const flagged = deps.validation?.checkResponse(target.instanceId, endpoint, response, requestId);
    if (this.draining) res.shouldKeepAlive = false;
    this.answers.respond(ex, response, flagged);
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

  /**
   * After `failed`'s transport reported a REQUEST not sent: the instance over the next transport
   * of `order` that has one, or undefined (the request is answered 502).
   */
  private failover(
    order: readonly TransportType[],
    failed: DispatchTarget,
    choice: ReturnType<RoutingState['chooseVersion']>,
    routeKey: string,
  ): { instance: NonNullable<ReturnType<RoutingState['pick']>>; transport: GatewayTransport } | undefined {
    const paths = this.deps.paths;
    if (paths === undefined || choice.kind !== 'chosen') return undefined;
    const instance = paths.pick(order, choice.service, choice.version, this.region, routeKey, failed.link.transport);
    const transport = instance === undefined ? undefined : this.deps.transports.get(instance.link.transport);
    paths.notSent(failed.service, failed.link.transport, transport !== undefined);
    return instance === undefined || transport === undefined ? undefined : { instance, transport };
  }

  private dispatchFailed(err: unknown, ex: Exchange): void {
    if (ex.cancellation.cancelled || hasCode(err, ERROR_CODES.RequestCancelled)) {
      if (this.inFlight.timedOut(ex)) this.answers.fail(ex, 'SY_GATEWAY_TIMEOUT');
      else this.answers.finished(ex, 499);
      return;
    }
    this.deps.logger.warn({ requestId: ex.requestId, route: ex.route, instanceId: ex.instanceId, transport: ex.transport, err: errorFields(err) }, 'dispatch failed');
    this.answers.fail(ex, 'SY_GATEWAY_BAD_GATEWAY');
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
