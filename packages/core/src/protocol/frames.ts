/**
 * Router protocol frames (docs/protocol.md). Every frame is `{ v: 1, type, id, sentAt, payload }`. `id` is
 * a 128-bit random correlation id (32 hex chars): a RESPONSE and a CANCEL carry the id of the
 * REQUEST they answer or cancel. Bodies are raw bytes end to end.
 */

import type { WireFormat } from './limits.js';

export const PROTOCOL_VERSION = 1 as const;

export type FrameType = 'HELLO' | 'HEARTBEAT' | 'GOODBYE' | 'RESYNC' | 'REQUEST' | 'RESPONSE' | 'CANCEL' | 'DRAIN' | 'UNDRAIN' | BodyFrameType;

/** Frames of a streamed body (docs/protocol.md, "Streamed bodies"); they carry the id of the REQUEST they belong to. */
export type BodyFrameType = 'BODY_CHUNK' | 'BODY_END' | 'CREDIT';

/** Which body of an exchange a body frame belongs to: the request's (gateway → instance) or the response's. */
export type BodyStream = 'request' | 'response';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export type InstanceStatus = 'healthy' | 'degraded' | 'draining';

/**
 * Why a request stops. The first four travel in a CANCEL frame; `lease-lost` never does: it is an
 * instance's own reason for a handler whose REQUEST lease was lost (another instance may now hold it).
 */
export type CancelReason = 'client-disconnected' | 'timeout' | 'payload-limit' | 'shutdown' | 'lease-lost';

/** A claim an endpoint requires of the caller: the claim must exist, and equal (or, for arrays, contain) `value` when given. */
export interface ClaimRequirement {
  readonly claim: string;
  readonly value?: string;
}

export interface EndpointDescriptor {
  readonly method: HttpMethod;
  /** Path template: `/items/{id}`, catch-all `/files/{path...}`. */
  readonly path: string;
  readonly timeoutMs?: number;
  readonly requiringClaims: readonly ClaimRequirement[];
  /**
   * True when the endpoint's bodies travel as streams of BODY_CHUNK frames with credit-based flow
   * control (docs/protocol.md, "Streamed bodies"); false keeps the single-frame exchange.
   */
  readonly streaming: boolean;
  /** With `streaming`: which bodies stream. Absent means both. */
  readonly streamingBodies?: 'request' | 'response';
  /** Largest request body the endpoint accepts, in bytes; the gateway's `http.maxBodyBytes` applies when absent. */
  readonly maxBodyBytes?: number;
}

export interface InstanceDescriptor {
  readonly service: string;
  /** Strict semver. */
  readonly version: string;
  readonly region: string;
  readonly instanceId: string;
  /** Transport-specific address, e.g. `messaging:service.billing.1.4.2.requests` or `tcp:10.0.0.5:49152`. */
  readonly address: string;
}

export interface HelloPayload {
  readonly instance: InstanceDescriptor;
  readonly endpoints: readonly EndpointDescriptor[];
  /** Stable hash of `endpoints`; lets a gateway notice a changed endpoint set from a HEARTBEAT. */
  readonly endpointsHash: string;
  /**
   * The wire formats the instance reads (docs/protocol.md, "Wire format 2"). A gateway writes
   * REQUESTs with the binary header (2) only to a service version whose every instance lists 2.
   * Absent (older SDKs) means 1 only.
   */
  readonly wireFormats?: readonly WireFormat[];
  /**
   * Hash of the instance's service description (see `protocol/description.ts`), when it has one.
   * A gateway fetches the description once per hash. Absent from instances that describe nothing
   * and from older SDKs.
   */
  readonly descriptionHash?: string;
}

export interface HeartbeatPayload {
  readonly instanceId: string;
  /** Increases by one per heartbeat; an older seq is ignored. */
  readonly seq: number;
  readonly status: InstanceStatus;
  readonly inFlight: number;
  readonly endpointsHash: string;
}

export interface GoodbyePayload {
  readonly instanceId: string;
}

export interface ResyncPayload {
  /** The instance asked to send HELLO again. */
  readonly instanceId: string;
}

/**
 * An operator asks one instance to drain: take no new REQUESTs, finish those it holds, and report
 * `draining` in its heartbeats so every gateway stops routing to it. It stays up until stopped.
 */
export interface DrainPayload {
  /** The instance asked to drain. */
  readonly instanceId: string;
  /** Why, as the operator wrote it (logged by the instance). */
  readonly reason?: string;
  /** Who asked (the admin principal), logged by the instance. */
  readonly requestedBy?: string;
}

/** An operator takes a drain back: the instance takes new REQUESTs again and reports `healthy`. Same fields as DRAIN. */
export type UndrainPayload = DrainPayload;

/** The verified caller, written by the gateway only. */
export interface Identity {
  readonly anonymous: boolean;
  readonly subject?: string;
  readonly tenant?: string;
  readonly scopes?: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface RequestPayload {
  readonly method: HttpMethod;
  readonly path: string;
  /**
   * Raw query string without the leading `?` ('' when none), exactly as the client sent it: a
   * repeated parameter (`tag=a&tag=b`) keeps every value, in order (the SDK's `req.query.getAll`).
   */
  readonly query: string;
  /** Lower-case names; multiple values joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** Epoch ms after which the request must not run. */
  readonly deadline: number;
  /** Where the RESPONSE goes (e.g. the gateway node's responses queue); transport-specific. */
  readonly replyTo: string;
  readonly identity: Identity | null;
  /** Present on a REQUEST to a streaming endpoint: the exchange streams (docs/protocol.md, "Streamed bodies"). */
  readonly stream?: RequestStreamInfo;
}

/** How a streamed exchange runs, as the gateway opens it. */
export interface RequestStreamInfo {
  /** True when the request body follows as BODY_CHUNK frames (then `body` is empty). */
  readonly body: boolean;
  /** Bytes of response body the gateway accepts before its first CREDIT. */
  readonly window: number;
  /** A body that receives nothing for this long while its reader waits is aborted. */
  readonly idleMs: number;
}

export interface ResponsePayload {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly instanceId: string;
  /**
   * Present when the response body follows as BODY_CHUNK frames (then `body` is empty): `replyTo`
   * is where the gateway sends its CREDITs ('' on a connection transport).
   */
  readonly stream?: { readonly replyTo: string };
}

export interface CancelPayload {
  readonly reason: CancelReason;
}

/** One piece of a streamed body; the bytes travel as the frame's body. */
export interface BodyChunkPayload {
  readonly stream: BodyStream;
  /** 0 for the first chunk of the body, then one more per chunk. */
  readonly seq: number;
  readonly body: Uint8Array;
}

/** The end of a streamed body: complete after `chunks` chunks, or aborted with `error`. */
export interface BodyEndPayload {
  readonly stream: BodyStream;
  /** How many BODY_CHUNK frames the body had; the receiver checks it has them all. */
  readonly chunks: number;
  /** Set when the sender aborted the body: a short machine-readable reason (e.g. `handler-failed`). */
  readonly error?: string;
}

/** The receiver of a streamed body lets the sender send `bytes` more bytes of it. */
export interface CreditPayload {
  readonly stream: BodyStream;
  readonly bytes: number;
  /** Where the receiver takes that body's frames ('' on a connection transport). */
  readonly replyTo: string;
}

interface FrameOf<TType extends FrameType, TPayload> {
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: TType;
  readonly id: string;
  readonly sentAt: number;
  readonly payload: TPayload;
  /**
   * How a REQUEST or RESPONSE travels: 2 for the binary header (docs/protocol.md, "Wire format
   * 2"), absent or 1 for JSON. Not part of the header: the decoder sets it to the format the frame
   * arrived in, and a sender sets it to choose the format for a peer that reads it.
   */
  readonly wireFormat?: WireFormat;
}

export type HelloFrame = FrameOf<'HELLO', HelloPayload>;
export type HeartbeatFrame = FrameOf<'HEARTBEAT', HeartbeatPayload>;
export type GoodbyeFrame = FrameOf<'GOODBYE', GoodbyePayload>;
export type ResyncFrame = FrameOf<'RESYNC', ResyncPayload>;
export type RequestFrame = FrameOf<'REQUEST', RequestPayload>;
export type ResponseFrame = FrameOf<'RESPONSE', ResponsePayload>;
export type CancelFrame = FrameOf<'CANCEL', CancelPayload>;
export type DrainFrame = FrameOf<'DRAIN', DrainPayload>;
export type UndrainFrame = FrameOf<'UNDRAIN', UndrainPayload>;
export type BodyChunkFrame = FrameOf<'BODY_CHUNK', BodyChunkPayload>;
export type BodyEndFrame = FrameOf<'BODY_END', BodyEndPayload>;
export type CreditFrame = FrameOf<'CREDIT', CreditPayload>;

export type Frame =
  | HelloFrame
  | HeartbeatFrame
  | GoodbyeFrame
  | ResyncFrame
  | RequestFrame
  | ResponseFrame
  | CancelFrame
  | DrainFrame
  | UndrainFrame
  | BodyChunkFrame
  | BodyEndFrame
  | CreditFrame;

/** The frames of a streamed body. */
export type BodyFrame = BodyChunkFrame | BodyEndFrame | CreditFrame;

/** Frames an instance sends to every gateway about itself. */
export type ControlFrame = HelloFrame | HeartbeatFrame | GoodbyeFrame;
