/**
 * Router transport contracts: how frames move between gateway and instances. Every transport
 * (Messaging over any queue backend, TCP, TLS) implements both sides; the gateway and the SDK
 * see only these interfaces, so a service moves between transports by changing config.
 */
import type { Readable } from 'node:stream';
import type {
  CancelReason,
  ControlFrame,
  DrainPayload,
  UndrainPayload,
  HeartbeatPayload,
  HelloPayload,
  RequestFrame,
  RequestPayload,
  ResponsePayload,
} from '../protocol/frames.js';
import type { WireFormat } from '../protocol/limits.js';
import type { OptionProblem } from '../options/problems.js';
import type { RateLimitStore } from '../queue/rate-limit-store.js';
import type { QueueStats } from '../queue/types.js';
import type { Cancellation } from './cancellation.js';
import type { StreamDispatchOptions, StreamedResponse, InstanceAnswer } from './streaming/types.js';

export enum TransportType {
  /** Gateway and instance in one process, frames passed by reference (tests, embedding). */
  InMemory = 'inmemory',
  Tcp = 'tcp',
  Tls = 'tls',
  /** Frames carried by a durable message queue (memory, valkey, or a plugin backend). */
  Messaging = 'messaging',
}

/** Where an instance can be reached, as the transport it registered on knows it. */
export interface InstanceLink {
  readonly transport: TransportType;
  /** Opaque to the gateway; meaningful to the transport (queue name, connection id). */
  readonly address: string;
}

/** The instance a request is sent to. */
export interface DispatchTarget {
  readonly instanceId: string;
  readonly service: string;
  readonly version: string;
  readonly link: InstanceLink;
  /** The wire format the REQUEST travels in (InstanceView.wireFormat). @default 1 */
  readonly wireFormat?: WireFormat;
}

/**
 * What a gateway-side transport reports to the gateway's routing state. A transport only
 * reports; the routing state decides what follows (e.g. a RESYNC, which the gateway then asks
 * of the transport through `resync()`).
 */
export interface GatewayTransportEvents {
  /** HELLO, HEARTBEAT or GOODBYE from an instance, already validated. */
  control(frame: ControlFrame, link: InstanceLink): void;
  /** The transport knows the instance is gone (connection closed): make it stale at once. */
  lost(instanceId: string, reason: string): void;
  /**
   * The transport's backend came back after a loss, or lost its data (a queue server restarted
   * empty): control frames, HELLOs among them, may have been missed. `reason` names the event.
   * Optional for a receiver that keeps no state across such a loss.
   */
  recovered?(reason: string): void;
}

export interface DispatchOptions {
  /** Correlation id of the REQUEST (generated if absent). */
  readonly requestId?: string;
  /**
   * Cancelling it sends CANCEL with its reason and rejects the dispatch with
   * SY_TRANSPORT_REQUEST_CANCELLED. Without one the request can only end by its RESPONSE, a
   * transport failure, or stop().
   */
  readonly cancellation?: Cancellation;
}

/** The gateway side of a router transport. */
export interface GatewayTransport {
  readonly type: TransportType;
  /** Starts listening/consuming; control frames flow to `events` from then on. */
  start(events: GatewayTransportEvents): Promise<void>;
  /**
   * Sends a REQUEST (the transport fills `replyTo`) and resolves with the RESPONSE payload.
   * Rejects with SY_TRANSPORT_REQUEST_CANCELLED on abort, SY_TRANSPORT_FAILURE when the
   * request cannot be carried or the RESPONSE is invalid.
   */
  dispatch(target: DispatchTarget, request: Omit<RequestPayload, 'replyTo'>, options: DispatchOptions): Promise<ResponsePayload>;
  /**
   * Opens a streamed exchange with an endpoint declared `streaming` (docs/protocol.md, "Streamed
   * bodies"): sends the REQUEST at once, then `body` (when given) as it is granted credit, and
   * resolves with the RESPONSE head, whose `bodyStream` (when the instance streams) yields the
   * response body under the same flow control. Rejects as dispatch() does before the head.
   * Optional: a transport without it carries streaming endpoints with dispatch() (bodies buffered).
   */
  dispatchStream?(
    target: DispatchTarget,
    request: Omit<RequestPayload, 'replyTo' | 'stream' | 'body'>,
    body: AsyncIterable<Uint8Array> | undefined,
    options: StreamDispatchOptions,
  ): Promise<StreamedResponse>;
  /**
   * Sends RESYNC (asks one instance to send HELLO again) now; the caller decides when, and how
   * often. An instance the gateway has no HELLO from has empty `service` and `version`: the
   * transport reaches it through `target.link`.
   */
  resync(target: DispatchTarget): Promise<void>;
  /**
   * Sends DRAIN to one instance (docs/protocol.md, DRAIN) the way RESYNC is sent: the instance
   * stops taking new REQUESTs, finishes what it holds and reports `draining` to every gateway.
   * Optional: a transport without it cannot tell the instance, and a drain then stays local to
   * the gateway that was asked.
   */
  drain?(target: DispatchTarget, payload: DrainPayload): Promise<void>;
  /** Sends UNDRAIN (takes a drain back), as `drain`. Optional with it. */
  undrain?(target: DispatchTarget, payload: UndrainPayload): Promise<void>;
  /** True while the transport can carry requests (connected, consuming). */
  isReady(): boolean;
  /**
   * Counters for `/metrics` (`switchyard_gateway_transport_events_total`), by event name; a `pending`
   * entry, if any, is a gauge and is not exported as a counter. Optional.
   */
  metrics?(): Readonly<Record<string, number>>;
  /**
   * Depth and dead letters of the queues this transport reads or writes, by queue name, for
   * `/metrics`. Only transports over a queue backend have them. Optional.
   */
  queueStats?(): Promise<Readonly<Record<string, QueueStats>>>;
  /** The rate-limit store of this transport's backend, shared with the other gateway replicas (gateway `rateLimit.shared`). Optional. */
  rateLimitStore?(): RateLimitStore | undefined;
  /** Stops intake, fails what is still waiting with SY_TRANSPORT_CLOSED, closes connections. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs one REQUEST on the instance. `cancellation` is cancelled on CANCEL or when the deadline
 * passes; its `signal` (made on first read) is what a handler hands to APIs that take an AbortSignal.
 * For a streamed REQUEST (`request.payload.stream`) `body` is the request body when it streams,
 * and the answer may carry `bodyStream`; for any other REQUEST the answer must not.
 */
export type InstanceRequestHandler = (request: RequestFrame, cancellation: Cancellation, body?: Readable) => Promise<InstanceAnswer>;

/** What an instance-side transport reports to its service, besides REQUESTs. */
export interface InstanceTransportEvents {
  /** A gateway asked this instance to drain (a DRAIN addressed to it, authenticated where frames are signed). */
  drain(payload: DrainPayload): void;
  /** A gateway took the drain back (an UNDRAIN addressed to it). */
  undrain(payload: UndrainPayload): void;
}

/** The instance side of a router transport. */
export interface InstanceTransport {
  readonly type: TransportType;
  /**
   * Connects, sends HELLO, and starts taking REQUESTs. The transport re-sends HELLO on RESYNC and
   * after a reconnect; it drops REQUESTs past their deadline, and runs a redelivered REQUEST at
   * most once (replaying the stored RESPONSE). A DRAIN addressed to this instance goes to
   * `events.drain` (an UNDRAIN to `events.undrain`); the service then decides, and calls `drain()` or `undrain()`.
   */
  start(hello: HelloPayload, handle: InstanceRequestHandler, events?: InstanceTransportEvents): Promise<void>;
  /**
   * Stops taking new REQUESTs while staying registered: heartbeats still go (the service reports
   * `draining` in them), REQUESTs already taken still answer. Over a queue the instance stops
   * pulling, so nothing new is leased to it; over a connection the gateways stop dispatching once
   * they see `draining`. Idempotent. Optional: without it, only the heartbeats say `draining`.
   */
  drain?(): Promise<void>;
  /** Takes new REQUESTs again after drain(). Idempotent; optional with drain(). */
  undrain?(): Promise<void>;
  heartbeat(payload: HeartbeatPayload): Promise<void>;
  /** Sends GOODBYE and stops taking new REQUESTs; in-flight ones still answer. */
  goodbye(): Promise<void>;
  /** Closes connections. Call after in-flight requests have answered. Idempotent. */
  close(): Promise<void>;
  isReady(): boolean;
}

export type { CancelReason };

/** What a router transport gets from its host. */
export interface TransportDeps {
  readonly clock: import('../clock.js').Clock;
  readonly logger: import('../logger.js').Logger;
  /** The gateway node (gateway side only): its responses queue is `gateway.<id>.responses`. */
  readonly node?: { readonly id: string; readonly region: string };
}

/**
 * What a router transport package exports as `routerTransportPlugin`, so the gateway and the SDK
 * build transports from the same `transports:` config entries. `entry` is one config entry
 * (e.g. `{ type: 'tcp', host, port }`): the gateway listens where the instance connects. The
 * plugin validates it and throws naming the bad key (`transports[<index>].<key>` is added by the caller).
 */
export interface RouterTransportPlugin {
  readonly types: readonly TransportType[];
  /** semver range of @switchyard/core this plugin was built for. */
  readonly coreVersion: string;
  createGatewayTransport(entry: Readonly<Record<string, unknown>>, deps: TransportDeps): GatewayTransport;
  createInstanceTransport(entry: Readonly<Record<string, unknown>>, deps: TransportDeps): InstanceTransport;
  /** Every problem of `entry` for `side`, paths relative to the entry, without building anything. Optional. */
  checkEntry?(entry: Readonly<Record<string, unknown>>, side: 'gateway' | 'instance'): readonly OptionProblem[];
}
