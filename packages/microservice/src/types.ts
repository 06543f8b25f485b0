/** What a handler sees and returns (packages/microservice/README.md). */
import type { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { ClaimRequirement, HttpMethod, Identity } from '@switchyard/core';
import type { EndpointDescriptionOptions, RequestFor } from './description/endpoint-description.js';

/** One HTTP request as the gateway forwarded it. */
export interface ServiceRequest {
  readonly method: HttpMethod;
  /** The request path (no query string). */
  readonly path: string;
  /** Values of the template's `{name}` / `{name...}` parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lower-case names. Identity headers come only from the gateway, which strips any a client sent (`auth.reservedHeaders`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body bytes. On an endpoint whose request body streams, throws SY_SERVICE_BODY_IS_STREAM: read `stream`. */
  readonly body: Uint8Array;
  /**
   * The body as a Node Readable (async-iterable), as it arrives. On a streaming endpoint it errors
   * with SY_TRANSPORT_BODY_ABORTED (its `reason`: client-disconnected, timeout, idle-timeout, ...)
   * when the body is cut off; on any other endpoint it yields the buffered body.
   */
  readonly stream: Readable;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON; throws SyntaxError on invalid JSON (the SDK answers 400 if the handler lets it escape). */
  json<T = unknown>(): T;
  /** The caller the gateway verified, or null when the gateway sent none. */
  readonly identity: Identity | null;
}

/** What a handler gets beside the request. */
export interface ServiceContext {
  /** Aborts on CANCEL (client gone, gateway timeout, shutdown), when the deadline passes, or when the instance lost the REQUEST's lease (`lease-lost`, Messaging only); `reason` is the CancelReason. */
  readonly signal: AbortSignal;
  /** The REQUEST's correlation id (also the gateway's request id). */
  readonly requestId: string;
  readonly instanceId: string;
  /** Epoch ms after which the answer is of no use. */
  readonly deadline: number;
  /**
   * Answers `202 Accepted` for long work: body `{ jobId, status: 'accepted', location }`
   * and a `Location` header. @default location `/jobs/<jobId>`
   */
  accepted(jobId: string, location?: string): ServiceResponse;
}

/** A handler's answer: a status and at most one of `json`, `text`, `body`. */
export interface ServiceResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialized as JSON; `content-type: application/json` is set unless given. */
  readonly json?: unknown;
  /** Sent as UTF-8; `content-type: text/plain; charset=utf-8` is set unless given. */
  readonly text?: string;
  readonly body?: Uint8Array;
  /**
   * The body as it is produced: a Node Readable, an async iterable of chunks, or a web
   * ReadableStream. Streams to the client on an endpoint declared `streaming` (true or
   * 'response'); is collected into one body elsewhere. Use at most one of json, text, body, stream.
   */
  readonly stream?: ResponseBodyStream;
}

/** What a handler may answer a streamed body with. */
export type ResponseBodyStream = Readable | AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>;

export type Handler<Req extends ServiceRequest = ServiceRequest> = (req: Req, ctx: ServiceContext) => Promise<ServiceResponse>;

/** A handler whose request is typed by the endpoint's schemas (see EndpointDescriptionOptions). */
export type HandlerFor<O extends EndpointOptions> = Handler<RequestFor<O>>;

/** Routing options, and the documentation and schemas the gateway publishes and validates with (docs in the package README). */
export interface EndpointOptions extends EndpointDescriptionOptions {
  /** Announced in HELLO; the gateway uses it as the request deadline. @default the gateway's route default */
  readonly timeoutMs?: number;
  /** Claims the gateway requires of the caller before dispatching (it answers 403 otherwise). @default [] */
  readonly requiringClaims?: readonly ClaimRequirement[];
  /**
   * Stream bodies instead of buffering them: `true` for both, `'request'` or `'response'` for one.
   * A streamed request body is `req.stream`; a streamed response is the handler's `stream`.
   * @default false
   */
  readonly streaming?: boolean | 'request' | 'response';
  /** Largest request body this endpoint accepts, in bytes (the gateway answers 413 above it). @default the gateway's http.maxBodyBytes */
  readonly maxBodyBytes?: number;
}

/** Lifecycle of a service. */
export type MicroserviceState = 'new' | 'starting' | 'running' | 'draining' | 'stopped';

export interface MicroserviceStatus {
  readonly state: MicroserviceState;
  /** Running, not drained, and its transport can take requests. */
  readonly ready: boolean;
  /** Drained by an operator (a DRAIN frame) or by drain(): takes no new requests until undrained or stopped. */
  readonly drained: boolean;
  readonly instanceId: string;
  /** Handlers running now. */
  readonly inFlight: number;
  /** Requests answered since start. */
  readonly handled: number;
}
