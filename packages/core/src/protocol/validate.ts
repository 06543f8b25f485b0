/**
 * Hand-written frame validators (docs/protocol.md, "Validation limits"). They run for every frame a transport receives, several
 * times per request, so there is no schema library here: plain type checks, one pass, and a
 * freshly built frame holding exactly the documented fields. A failure throws InvalidFrameError
 * whose `reason` names the field, the rule and the value received.
 */
import semver from 'semver';
import { InvalidFrameError } from '../errors.js';
import type {
  BodyChunkPayload,
  BodyEndPayload,
  BodyStream,
  CancelPayload,
  CreditPayload,
  CancelReason,
  ClaimRequirement,
  DrainPayload,
  EndpointDescriptor,
  Frame,
  FrameType,
  GoodbyePayload,
  HeartbeatPayload,
  HelloPayload,
  HttpMethod,
  Identity,
  InstanceDescriptor,
  InstanceStatus,
  RequestPayload,
  RequestStreamInfo,
  ResponsePayload,
  ResyncPayload,
} from './frames.js';
import { isFrameId } from './ids.js';
import { BINARY_WIRE_FORMAT, JSON_WIRE_FORMAT, PROTOCOL_LIMITS, type WireFormat } from './limits.js';
import { parsePathTemplate } from './path-template.js';
import { formatValue } from '../options/format-value.js';

type Json = Record<string, unknown>;

export const FRAME_TYPES: readonly FrameType[] = Object.freeze([
  'HELLO',
  'HEARTBEAT',
  'GOODBYE',
  'RESYNC',
  'REQUEST',
  'RESPONSE',
  'CANCEL',
  'DRAIN',
  'UNDRAIN',
  'BODY_CHUNK',
  'BODY_END',
  'CREDIT',
]);
export const HTTP_METHODS: readonly HttpMethod[] = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const INSTANCE_STATUSES: readonly InstanceStatus[] = Object.freeze(['healthy', 'degraded', 'draining']);
/** The reasons a CANCEL frame may carry (`lease-lost` is never sent). */
export const CANCEL_REASONS: readonly CancelReason[] = Object.freeze(['client-disconnected', 'timeout', 'payload-limit', 'shutdown']);

/** Frame types whose payload carries `body` (raw bytes after the JSON header on the wire). */
export const hasBody = (type: FrameType): type is 'REQUEST' | 'RESPONSE' | 'BODY_CHUNK' =>
  type === 'REQUEST' || type === 'RESPONSE' || type === 'BODY_CHUNK';
export const BODY_STREAMS: readonly BodyStream[] = Object.freeze(['request', 'response']);

const METHOD_SET = new Set<string>(HTTP_METHODS);
const STATUS_SET = new Set<string>(INSTANCE_STATUSES);
const REASON_SET = new Set<string>(CANCEL_REASONS);
// RFC 9110 token, lower case only: the gateway lower-cases names before they enter a frame.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;
// Names that passed HEADER_NAME: the same few dozen names arrive in every frame, and a Set lookup
// costs half the regex test. Bounded, so odd names cannot grow it without limit.
const VALID_HEADER_NAMES = new Set<string>();
const VALID_HEADER_NAMES_MAX = 1_024;
const INSTANCE_ID = /^[\x21-\x7e]+$/;
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Validates a frame object (as built in memory or parsed from JSON) and returns a clean copy. */
export function validateFrame(value: unknown): Frame {
  return validateFrameParts(value, undefined);
}

/**
 * Validates a frame whose body, when `wireBody` is given, arrived outside the header (the
 * codec's case): the header must then not carry `payload.body`, and only REQUEST, RESPONSE and
 * BODY_CHUNK may have body bytes. A REQUEST or RESPONSE read in `wireFormat` 2 says so in its
 * `wireFormat` field, so its answer can travel the same way.
 */
export function validateFrameParts(value: unknown, wireBody: Uint8Array | undefined, wireFormat: WireFormat = JSON_WIRE_FORMAT): Frame {
  const f = object(value, 'frame');
  if (f.v !== 1) fail(`v must be 1 (got ${formatValue(f.v)})`);
  const type = f.type;
  if (typeof type !== 'string' || !FRAME_TYPES.includes(type as FrameType)) {
    fail(`type must be one of ${FRAME_TYPES.join(', ')} (got ${formatValue(type)})`);
  }
  // Wire format 2 reads the id from 16 bytes as hex: it cannot be anything else.
  if (wireFormat !== BINARY_WIRE_FORMAT && !isFrameId(f.id)) fail(`id must be 32 lower-case hex characters (got ${formatValue(f.id)})`);
  const id = f.id as string;
  const sentAt = finite(f.sentAt, 'sentAt');
  const p = object(f.payload, 'payload');
  let body: Uint8Array | undefined;
  if (wireBody !== undefined) {
    if (p.body !== undefined) fail('payload.body must not appear in the JSON header (it travels as raw bytes after it)');
    if (!hasBody(type as FrameType) && wireBody.length > 0) {
      fail(`a ${type as string} frame has no body, but ${wireBody.length} bytes follow its header`);
    }
    body = wireBody;
  } else if (hasBody(type as FrameType)) {
    if (!(p.body instanceof Uint8Array)) fail(`payload.body must be a Uint8Array (got ${formatValue(p.body)})`);
    body = p.body;
  }
  // Plain literals, not `{ ...common, type, payload }`: that spread was the most expensive line of
  // decoding (V8 clones the object, then adds two properties), and it runs for every frame.
  switch (type as FrameType) {
    case 'HELLO':
      return { v: 1, id, sentAt, type: 'HELLO', payload: hello(p) };
    case 'HEARTBEAT':
      return { v: 1, id, sentAt, type: 'HEARTBEAT', payload: heartbeat(p) };
    case 'GOODBYE':
      return { v: 1, id, sentAt, type: 'GOODBYE', payload: goodbye(p) };
    case 'RESYNC':
      return { v: 1, id, sentAt, type: 'RESYNC', payload: resync(p) };
    case 'REQUEST':
      if (wireFormat === BINARY_WIRE_FORMAT) return { v: 1, id, sentAt, type: 'REQUEST', payload: request(p, body as Uint8Array), wireFormat };
      return { v: 1, id, sentAt, type: 'REQUEST', payload: request(p, body as Uint8Array) };
    case 'RESPONSE':
      if (wireFormat === BINARY_WIRE_FORMAT) return { v: 1, id, sentAt, type: 'RESPONSE', payload: response(p, body as Uint8Array), wireFormat };
      return { v: 1, id, sentAt, type: 'RESPONSE', payload: response(p, body as Uint8Array) };
    case 'CANCEL':
      return { v: 1, id, sentAt, type: 'CANCEL', payload: cancel(p) };
    case 'DRAIN':
      return { v: 1, id, sentAt, type: 'DRAIN', payload: drain(p) };
    case 'UNDRAIN':
      return { v: 1, id, sentAt, type: 'UNDRAIN', payload: drain(p) };
    case 'BODY_CHUNK':
      return { v: 1, id, sentAt, type: 'BODY_CHUNK', payload: bodyChunk(p, body as Uint8Array) };
    case 'BODY_END':
      return { v: 1, id, sentAt, type: 'BODY_END', payload: bodyEnd(p) };
    case 'CREDIT':
      return { v: 1, id, sentAt, type: 'CREDIT', payload: credit(p) };
  }
}

function hello(p: Json): HelloPayload {
  const endpointsValue = p.endpoints;
  if (!Array.isArray(endpointsValue)) fail(`payload.endpoints must be an array (got ${formatValue(endpointsValue)})`);
  if (endpointsValue.length > PROTOCOL_LIMITS.maxEndpoints) {
    fail(`payload.endpoints may hold at most ${PROTOCOL_LIMITS.maxEndpoints} entries (got ${endpointsValue.length})`);
  }
  const endpoints: EndpointDescriptor[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < endpointsValue.length; i++) {
    const e = endpoint(endpointsValue[i], `payload.endpoints[${i}]`);
    const key = `${e.method} ${e.path}`;
    if (seen.has(key)) fail(`payload.endpoints[${i}] repeats ${key}`);
    seen.add(key);
    endpoints.push(e);
  }
  const out: HelloPayload = {
    instance: instance(p.instance),
    endpoints,
    endpointsHash: shortString(p.endpointsHash, 'payload.endpointsHash', 1),
  };
  const withFormats = p.wireFormats === undefined ? out : { ...out, wireFormats: wireFormats(p.wireFormats) };
  return p.descriptionHash === undefined ? withFormats : { ...withFormats, descriptionHash: shortString(p.descriptionHash, 'payload.descriptionHash', 1) };
}

/** The wire formats a HELLO lists, keeping those this release knows (a newer SDK may list more). */
function wireFormats(value: unknown): WireFormat[] {
  if (!Array.isArray(value) || value.length > 16 || !value.every((f) => Number.isInteger(f) && (f as number) >= 1 && (f as number) <= 255)) {
    fail(`payload.wireFormats must be an array of at most 16 integers 1–255 when given (got ${formatValue(value)})`);
  }
  return value.filter((f): f is WireFormat => f === JSON_WIRE_FORMAT || f === BINARY_WIRE_FORMAT);
}

function instance(value: unknown): InstanceDescriptor {
  const i = object(value, 'payload.instance');
  const service = i.service;
  if (typeof service !== 'string' || service.length > PROTOCOL_LIMITS.maxServiceNameLength || !SERVICE_NAME.test(service)) {
    fail(
      `payload.instance.service must be 1–${PROTOCOL_LIMITS.maxServiceNameLength} characters of [A-Za-z0-9_-], ` +
        `starting with a letter or digit (got ${formatValue(service)})`,
    );
  }
  const version = i.version;
  if (typeof version !== 'string' || semver.valid(version) !== version) {
    fail(`payload.instance.version must be a strict semver version like 1.4.2 (got ${formatValue(version)})`);
  }
  return {
    service,
    version,
    region: shortString(i.region, 'payload.instance.region', 0),
    instanceId: instanceId(i.instanceId, 'payload.instance.instanceId'),
    address: shortString(i.address, 'payload.instance.address', 1),
  };
}

function endpoint(value: unknown, at: string): EndpointDescriptor {
  const e = object(value, at);
  const method = httpMethod(e.method, `${at}.method`);
  const path = e.path;
  if (typeof path !== 'string' || path.length > PROTOCOL_LIMITS.maxPathLength) {
    fail(`${at}.path must be a path template of at most ${PROTOCOL_LIMITS.maxPathLength} characters (got ${formatValue(path)})`);
  }
  const parsed = parsePathTemplate(path);
  if (typeof parsed === 'string') fail(`${at}.path ${formatValue(path)} ${parsed}`);
  const timeoutMs = e.timeoutMs;
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1 || (timeoutMs as number) > PROTOCOL_LIMITS.maxTimeoutMs)) {
    fail(`${at}.timeoutMs must be an integer 1–${PROTOCOL_LIMITS.maxTimeoutMs} when given (got ${formatValue(timeoutMs)})`);
  }
  const claimsValue = e.requiringClaims;
  if (!Array.isArray(claimsValue)) fail(`${at}.requiringClaims must be an array (got ${formatValue(claimsValue)})`);
  const requiringClaims: ClaimRequirement[] = [];
  for (let i = 0; i < claimsValue.length; i++) {
    const c = object(claimsValue[i], `${at}.requiringClaims[${i}]`);
    const claim = shortString(c.claim, `${at}.requiringClaims[${i}].claim`, 1);
    if (c.value === undefined) requiringClaims.push({ claim });
    else requiringClaims.push({ claim, value: shortString(c.value, `${at}.requiringClaims[${i}].value`, 0) });
  }
  if (typeof e.streaming !== 'boolean') fail(`${at}.streaming must be a boolean (got ${formatValue(e.streaming)})`);
  let out: EndpointDescriptor = { method, path, requiringClaims, streaming: e.streaming };
  if (timeoutMs !== undefined) out = { ...out, timeoutMs: timeoutMs as number };
  if (e.streamingBodies !== undefined) {
    if (e.streamingBodies !== 'request' && e.streamingBodies !== 'response') {
      fail(`${at}.streamingBodies must be "request" or "response" when given (got ${formatValue(e.streamingBodies)})`);
    }
    out = { ...out, streamingBodies: e.streamingBodies };
  }
  if (e.maxBodyBytes !== undefined) out = { ...out, maxBodyBytes: positiveInteger(e.maxBodyBytes, `${at}.maxBodyBytes`) };
  return out;
}

function heartbeat(p: Json): HeartbeatPayload {
  const seq = p.seq;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) fail(`payload.seq must be an integer ≥ 0 (got ${formatValue(seq)})`);
  const status = p.status;
  if (typeof status !== 'string' || !STATUS_SET.has(status)) {
    fail(`payload.status must be one of ${INSTANCE_STATUSES.join(', ')} (got ${formatValue(status)})`);
  }
  const inFlight = p.inFlight;
  if (!Number.isSafeInteger(inFlight) || (inFlight as number) < 0) fail(`payload.inFlight must be an integer ≥ 0 (got ${formatValue(inFlight)})`);
  return {
    instanceId: instanceId(p.instanceId, 'payload.instanceId'),
    seq: seq as number,
    status: status as InstanceStatus,
    inFlight: inFlight as number,
    endpointsHash: shortString(p.endpointsHash, 'payload.endpointsHash', 1),
  };
}

function goodbye(p: Json): GoodbyePayload {
  return { instanceId: instanceId(p.instanceId, 'payload.instanceId') };
}

function resync(p: Json): ResyncPayload {
  return { instanceId: instanceId(p.instanceId, 'payload.instanceId') };
}

function request(p: Json, body: Uint8Array): RequestPayload {
  const path = p.path;
  if (typeof path !== 'string' || path.length === 0 || path.charCodeAt(0) !== 0x2f || path.length > PROTOCOL_LIMITS.maxPathLength) {
    fail(`payload.path must be a string starting with "/" of at most ${PROTOCOL_LIMITS.maxPathLength} characters (got ${formatValue(path)})`);
  }
  const query = p.query;
  if (typeof query !== 'string' || query.length > PROTOCOL_LIMITS.maxQueryLength) {
    fail(`payload.query must be a string of at most ${PROTOCOL_LIMITS.maxQueryLength} characters (got ${formatValue(query)})`);
  }
  const deadline = finite(p.deadline, 'payload.deadline');
  const out: RequestPayload = {
    method: httpMethod(p.method, 'payload.method'),
    path,
    query,
    headers: headers(p.headers),
    body,
    deadline,
    replyTo: shortString(p.replyTo, 'payload.replyTo', 0),
    identity: identity(p.identity),
  };
  return p.stream === undefined ? out : { ...out, stream: requestStream(p.stream, body) };
}

function requestStream(value: unknown, body: Uint8Array): RequestStreamInfo {
  const s = object(value, 'payload.stream');
  if (typeof s.body !== 'boolean') fail(`payload.stream.body must be a boolean (got ${formatValue(s.body)})`);
  if (s.body && body.length > 0) fail(`payload.stream.body is true, so the REQUEST must carry no body bytes (got ${body.length})`);
  return { body: s.body, window: positiveInteger(s.window, 'payload.stream.window'), idleMs: positiveInteger(s.idleMs, 'payload.stream.idleMs') };
}

function response(p: Json, body: Uint8Array): ResponsePayload {
  const status = p.status;
  if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) {
    fail(`payload.status must be an integer 100–599 (got ${formatValue(status)})`);
  }
  const out: ResponsePayload = {
    status: status as number,
    headers: headers(p.headers),
    body,
    instanceId: instanceId(p.instanceId, 'payload.instanceId'),
  };
  if (p.stream === undefined) return out;
  const s = object(p.stream, 'payload.stream');
  if (body.length > 0) fail(`a RESPONSE with payload.stream must carry no body bytes (got ${body.length})`);
  return { ...out, stream: { replyTo: shortString(s.replyTo, 'payload.stream.replyTo', 0) } };
}

function bodyChunk(p: Json, body: Uint8Array): BodyChunkPayload {
  return { stream: bodyStream(p.stream), seq: count(p.seq, 'payload.seq'), body };
}

function bodyEnd(p: Json): BodyEndPayload {
  const out: BodyEndPayload = { stream: bodyStream(p.stream), chunks: count(p.chunks, 'payload.chunks') };
  return p.error === undefined ? out : { ...out, error: shortString(p.error, 'payload.error', 1) };
}

function credit(p: Json): CreditPayload {
  return { stream: bodyStream(p.stream), bytes: positiveInteger(p.bytes, 'payload.bytes'), replyTo: shortString(p.replyTo, 'payload.replyTo', 0) };
}

function bodyStream(value: unknown): BodyStream {
  if (value !== 'request' && value !== 'response') fail(`payload.stream must be "request" or "response" (got ${formatValue(value)})`);
  return value;
}

function count(value: unknown, at: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(`${at} must be an integer ≥ 0 (got ${formatValue(value)})`);
  return value as number;
}

function positiveInteger(value: unknown, at: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) fail(`${at} must be an integer ≥ 1 (got ${formatValue(value)})`);
  return value as number;
}

function cancel(p: Json): CancelPayload {
  const reason = p.reason;
  if (typeof reason !== 'string' || !REASON_SET.has(reason)) {
    fail(`payload.reason must be one of ${CANCEL_REASONS.join(', ')} (got ${formatValue(reason)})`);
  }
  return { reason: reason as CancelReason };
}

function drain(p: Json): DrainPayload {
  const out: { -readonly [K in keyof DrainPayload]: DrainPayload[K] } = { instanceId: instanceId(p.instanceId, 'payload.instanceId') };
  if (p.reason !== undefined) out.reason = shortString(p.reason, 'payload.reason', 0);
  if (p.requestedBy !== undefined) out.requestedBy = shortString(p.requestedBy, 'payload.requestedBy', 0);
  return out;
}

// Header maps are checked in place and returned as they are: copying them per frame would cost
// more than everything else here, and a parsed JSON object is already a fresh plain object.
function headers(value: unknown): Readonly<Record<string, string>> {
  const h = object(value, 'payload.headers');
  for (const name in h) {
    if (!VALID_HEADER_NAMES.has(name)) {
      if (!HEADER_NAME.test(name)) fail(`payload.headers has an invalid name ${formatValue(name)}: names must be lower-case HTTP tokens`);
      if (VALID_HEADER_NAMES.size >= VALID_HEADER_NAMES_MAX) VALID_HEADER_NAMES.clear();
      VALID_HEADER_NAMES.add(name);
    }
    const v = h[name];
    if (typeof v !== 'string') fail(`payload.headers[${formatValue(name)}] must be a string (got ${formatValue(v)})`);
    if (HEADER_VALUE_FORBIDDEN.test(v)) fail(`payload.headers[${formatValue(name)}] must not contain CR, LF or NUL`);
  }
  return h as Record<string, string>;
}

function identity(value: unknown): Identity | null {
  if (value === null) return null;
  const i = object(value, 'payload.identity');
  if (typeof i.anonymous !== 'boolean') fail(`payload.identity.anonymous must be a boolean (got ${formatValue(i.anonymous)})`);
  const claims = object(i.claims, 'payload.identity.claims');
  const out: { -readonly [K in keyof Identity]: Identity[K] } = { anonymous: i.anonymous, claims };
  if (i.subject !== undefined) out.subject = shortString(i.subject, 'payload.identity.subject', 0);
  if (i.tenant !== undefined) out.tenant = shortString(i.tenant, 'payload.identity.tenant', 0);
  if (i.scopes !== undefined) {
    const scopes = i.scopes;
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
      fail(`payload.identity.scopes must be an array of strings when given (got ${formatValue(scopes)})`);
    }
    out.scopes = scopes as string[];
  }
  return out;
}

function httpMethod(value: unknown, at: string): HttpMethod {
  if (typeof value !== 'string' || !METHOD_SET.has(value)) fail(`${at} must be one of ${HTTP_METHODS.join(', ')} (got ${formatValue(value)})`);
  return value as HttpMethod;
}

function instanceId(value: unknown, at: string): string {
  if (typeof value !== 'string' || value.length > PROTOCOL_LIMITS.maxInstanceIdLength || !INSTANCE_ID.test(value)) {
    fail(`${at} must be 1–${PROTOCOL_LIMITS.maxInstanceIdLength} visible ASCII characters (got ${formatValue(value)})`);
  }
  return value;
}

function shortString(value: unknown, at: string, minLength: 0 | 1): string {
  if (typeof value !== 'string' || value.length < minLength || value.length > PROTOCOL_LIMITS.maxShortStringLength) {
    const range = minLength === 0 ? `at most ${PROTOCOL_LIMITS.maxShortStringLength}` : `1–${PROTOCOL_LIMITS.maxShortStringLength}`;
    fail(`${at} must be a string of ${range} characters (got ${formatValue(value)})`);
  }
  return value;
}

function finite(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${at} must be a finite number (got ${formatValue(value)})`);
  return value;
}

function object(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    fail(`${at} must be an object (got ${formatValue(value)})`);
  }
  return value as Json;
}

function fail(reason: string): never {
  throw new InvalidFrameError(reason);
}
