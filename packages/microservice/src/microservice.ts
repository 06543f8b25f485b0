/**
 * A running copy of a service (packages/microservice/README.md): endpoints, the request handler the
 * transport calls, heartbeats, the shutdown order GOODBYE → drain in-flight → close, so no
 * gateway sends work to an instance that is about to stop, and an operator's drain (DRAIN frame or
 * drain()): no new work, in-flight finishes, heartbeats say `draining`, the instance stays up.
 */
import {
  computeDescriptionHash,
  computeEndpointsHash,
  DESCRIPTION_PATH,
  hasCode,
  READABLE_WIRE_FORMATS,
  type Cancellation,
  type DrainPayload,
  type HelloPayload,
  type HttpMethod,
  type InstanceStatus,
  type RequestFrame,
} from '@switchyard/core';
import { EndpointTable } from './endpoint-table.js';
import { MicroserviceStateError, SERVICE_ERROR_CODES } from './errors.js';
import type { ResolvedMicroserviceOptions } from './options.js';
import { RequestContext } from './context.js';
import { FrameRequest } from './request.js';
import { encodeResponse, errorAnswer, type Answer } from './response.js';
import { collectBodyStream, untilDone } from './response-stream.js';
import type { Readable } from 'node:stream';
import { descriptionAnswer, type DescribedService } from './description/service-description.js';
import type { EndpointOptions, Handler, HandlerFor, MicroserviceState, MicroserviceStatus, ServiceResponse } from './types.js';

export class Microservice {
  private readonly endpoints = new EndpointTable();
  private state: MicroserviceState = 'new';
  private inFlight = 0;
  private handled = 0;
  private seq = 0;
  private endpointsHash = '';
  private described: DescribedService | undefined;
  private stopHeartbeats: (() => void) | undefined;
  private drained: (() => void) | undefined;
  /** Signals handlers asked for (ctx.signal is made lazily), so a drain timeout can abort them. */
  private readonly exposed = new Set<AbortController>();
  private stopping: Promise<void> | undefined;
  /** Who drained this instance and why, while drained (drain() or a DRAIN frame, until undrain() or stop()). */
  private drainedBy: Omit<DrainPayload, 'instanceId'> | undefined;

  constructor(private readonly options: ResolvedMicroserviceOptions) {}

  get name(): string {
    return this.options.name;
  }

  get version(): string {
    return this.options.version;
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /** The router transport this instance registered on (`messaging`, `tcp`, ...). */
  get transportType(): string {
    return this.options.transport.type;
  }

  get<O extends EndpointOptions>(path: string, handler: HandlerFor<O>, options?: O): this {
    return this.route('GET', path, handler, options);
  }

  post<O extends EndpointOptions>(path: string, handler: HandlerFor<O>, options?: O): this {
    return this.route('POST', path, handler, options);
  }

  put<O extends EndpointOptions>(path: string, handler: HandlerFor<O>, options?: O): this {
    return this.route('PUT', path, handler, options);
  }

  patch<O extends EndpointOptions>(path: string, handler: HandlerFor<O>, options?: O): this {
    return this.route('PATCH', path, handler, options);
  }

  delete<O extends EndpointOptions>(path: string, handler: HandlerFor<O>, options?: O): this {
    return this.route('DELETE', path, handler, options);
  }

  /** Registers an endpoint for any method; all endpoints are declared before start() (HELLO carries them). */
  route<O extends EndpointOptions>(method: HttpMethod, path: string, handler: HandlerFor<O>, options?: O): this {
    if (this.state !== 'new') throw new MicroserviceStateError(`add endpoint ${method} ${path}`, this.state);
    // The request is a FrameRequest at run time whatever the options; the type only narrows what the handler sees.
    this.endpoints.add(method, path, handler as Handler, options);
    return this;
  }

  /** Sends HELLO, starts heartbeats and starts taking REQUESTs. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new MicroserviceStateError('start', this.state);
    this.state = 'starting';
    const { name, version, region, instanceId, transport, clock, logger } = this.options;
    const endpoints = this.endpoints.descriptors();
    this.endpointsHash = computeEndpointsHash(endpoints);
    const description = { service: name, version, operations: this.endpoints.operationDescriptions() };
    this.described = { description, hash: computeDescriptionHash(description) };
    const hello: HelloPayload = {
      instance: { service: name, version, region, instanceId, address: '' },
      endpoints,
      endpointsHash: this.endpointsHash,
      wireFormats: READABLE_WIRE_FORMATS,
      descriptionHash: this.described.hash,
    };
    try {
      await transport.start(hello, (frame, cancellation, body) => this.handle(frame, cancellation, body), {
        drain: (payload) => {
          this.drain({ reason: payload.reason, requestedBy: payload.requestedBy }).catch((err: unknown) => logger.warn({ err }, 'drain failed'));
        },
        undrain: (payload) => {
          this.undrain({ reason: payload.reason, requestedBy: payload.requestedBy }).catch((err: unknown) => logger.warn({ err }, 'undrain failed'));
        },
      });
    } catch (err) {
      this.state = 'stopped';
      throw err;
    }
    this.state = 'running';
    this.beat();
    this.stopHeartbeats = clock.every(this.options.heartbeatIntervalMs, () => this.beat());
    logger.info({ service: name, version, instanceId, transport: transport.type, endpoints: endpoints.length }, 'service started');
  }

  /** GOODBYE (no new work), then waits for in-flight handlers (up to drainTimeoutMs, then aborts them), then closes the transport. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /**
   * Takes no new requests from now on and stays up: the transport stops intake (over a queue it
   * stops pulling REQUESTs), running handlers finish, and a HEARTBEAT saying `draining` goes out at
   * once and at every interval after, so every gateway stops routing here. A gateway's DRAIN frame
   * calls this; undrain() (or an UNDRAIN frame) takes it back. Idempotent.
   */
  async drain(request: { readonly reason?: string | undefined; readonly requestedBy?: string | undefined } = {}): Promise<void> {
    if (this.state !== 'running' || this.drainedBy !== undefined) return;
    const by = asked(request);
    this.drainedBy = by;
    this.options.logger.info({ instanceId: this.options.instanceId, ...by, inFlight: this.inFlight }, 'draining: no new requests; in-flight ones finish');
    this.beat();
    await this.options.transport.drain?.();
  }

  /**
   * Takes a drain back: the transport takes new requests again and a HEARTBEAT saying `healthy`
   * goes out at once, so the gateways route here again. A gateway's UNDRAIN frame calls this. No-op
   * when not drained (or stopping: a stopping instance stays draining).
   */
  async undrain(request: { readonly reason?: string | undefined; readonly requestedBy?: string | undefined } = {}): Promise<void> {
    if (this.state !== 'running' || this.drainedBy === undefined) return;
    this.drainedBy = undefined;
    await this.options.transport.undrain?.();
    this.options.logger.info({ instanceId: this.options.instanceId, ...asked(request) }, 'undrained: taking new requests again');
    this.beat();
  }

  status(): MicroserviceStatus {
    return {
      state: this.state,
      ready: this.isReady(),
      drained: this.drainedBy !== undefined,
      instanceId: this.options.instanceId,
      inFlight: this.inFlight,
      handled: this.handled,
    };
  }

  /** Running, not drained, and the transport can take requests. */
  isReady(): boolean {
    return this.state === 'running' && this.drainedBy === undefined && this.options.transport.isReady();
  }

  private async doStop(): Promise<void> {
    const { transport, clock, logger, drainTimeoutMs } = this.options;
    const wasRunning = this.state === 'running';
    this.state = 'draining';
    this.stopHeartbeats?.();
    if (wasRunning) {
      try {
        await transport.goodbye();
      } catch (err) {
        logger.warn({ err }, 'GOODBYE could not be sent; draining anyway');
      }
      if (this.inFlight > 0) {
        const drained = new Promise<void>((resolve) => (this.drained = resolve));
        const timeout = new AbortController();
        const timedOut = await Promise.race([
          drained.then(() => false),
          clock.sleep(drainTimeoutMs, timeout.signal).then(() => true),
        ]);
        timeout.abort();
        if (timedOut) {
          logger.warn({ inFlight: this.inFlight, drainTimeoutMs }, 'drain timed out; aborting in-flight handlers');
          for (const controller of this.exposed) controller.abort('shutdown');
        }
      }
    }
    await transport.close();
    this.state = 'stopped';
    logger.info({ instanceId: this.options.instanceId, handled: this.handled }, 'service stopped');
  }

  private beat(): void {
    const status: InstanceStatus = this.state === 'running' && this.drainedBy === undefined ? 'healthy' : 'draining';
    this.seq += 1;
    this.options.transport
      .heartbeat({ instanceId: this.options.instanceId, seq: this.seq, status, inFlight: this.inFlight, endpointsHash: this.endpointsHash })
      .catch((err: unknown) => this.options.logger.warn({ err }, 'HEARTBEAT could not be sent'));
  }

  private async handle(frame: RequestFrame, cancellation: Cancellation, body?: Readable): Promise<Answer> {
    const { method, path } = frame.payload;
    if (path === DESCRIPTION_PATH && this.described !== undefined) return descriptionAnswer(this.described, method, frame.id);
    const match = this.endpoints.match(method, path);
    if (match.kind === 'not-found') return errorAnswer(404, 'SY_SERVICE_NO_ENDPOINT', `no endpoint matches ${method} ${path}`, frame.id);
    if (match.kind === 'method-not-allowed') {
      return errorAnswer(405, 'SY_SERVICE_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, frame.id, { allow: match.allow.join(', ') });
    }
    this.inFlight += 1;
    const ctx = new RequestContext(frame, cancellation, this.options.instanceId, this.exposed);
    // A streamed answer's handler is still at work until its body is sent: the in-flight count is
    // released when the stream ends, not when the handler returns.
    let streaming = false;
    try {
      const response: ServiceResponse = await match.handler(new FrameRequest(frame, match.params, body), ctx);
      this.handled += 1;
      const answer = encodeResponse(response, `handler of ${method} ${path}`);
      if (answer.bodyStream === undefined) return answer;
      // The response streams only in a streamed exchange to an endpoint whose response streams;
      // elsewhere (a transport without streams, streaming: 'request') it is collected.
      if (frame.payload.stream === undefined || match.endpoint.streamingBodies === 'request') {
        return { status: answer.status, headers: answer.headers, body: await collectBodyStream(answer.bodyStream) };
      }
      streaming = true;
      return { ...answer, bodyStream: untilDone(answer.bodyStream, () => this.settled(ctx)) };
    } catch (err) {
      // A handler that stopped on its signal has no answer: the transport drops the request (and,
      // for a lost lease, leaves it to the instance that holds it now) instead of sending a 500.
      if (cancellation.cancelled) throw err;
      if (hasCode(err, SERVICE_ERROR_CODES.InvalidJson)) return errorAnswer(400, SERVICE_ERROR_CODES.InvalidJson, 'the request body is not valid JSON', frame.id);
      this.options.logger.error({ err, requestId: frame.id, method, path }, 'handler threw');
      return errorAnswer(500, 'SY_SERVICE_HANDLER_FAILED', 'the handler failed', frame.id);
    } finally {
      if (!streaming) this.settled(ctx);
    }
  }

  /** A request's work is over: its handler returned, or its streamed answer was sent or given up on. */
  private settled(ctx: RequestContext): void {
    ctx.release();
    this.inFlight -= 1;
    if (this.inFlight === 0) this.drained?.();
  }
}

/** The reason and requester of a drain or undrain, without absent fields (for the log line). */
function asked(request: { readonly reason?: string | undefined; readonly requestedBy?: string | undefined }): Omit<DrainPayload, 'instanceId'> {
  return {
    ...(request.reason === undefined ? {} : { reason: request.reason }),
    ...(request.requestedBy === undefined ? {} : { requestedBy: request.requestedBy }),
  };
}
