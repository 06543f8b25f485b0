/** Turns a handler's ServiceResponse into RESPONSE payload bytes, and builds the SDK's own error answers. */
import type { InstanceAnswer } from '@switchyard/core';
import { toBodyStream } from './response-stream.js';
import type { ServiceResponse } from './types.js';

const EMPTY = new Uint8Array(0);

/**
 * UTF-8 bytes of `text` as a plain Uint8Array. Buffer.from encodes into Node's shared pool, about
 * 4x faster than TextEncoder.encode (which allocates an ArrayBuffer per call) for a typical JSON
 * answer; the result is re-viewed as a Uint8Array so callers see the same type as before.
 */
function utf8(text: string | undefined): Uint8Array {
  // TextEncoder.encode(undefined) gave no bytes (JSON.stringify of a function is undefined).
  if (text === undefined) return EMPTY;
  const b = Buffer.from(String(text), 'utf8');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export type Answer = InstanceAnswer;

/** Validates and encodes a handler's answer; an unusable answer becomes a 500 naming the problem. */
export function encodeResponse(response: ServiceResponse, where: string): Answer {
  if (typeof response !== 'object' || response === null) return errorAnswer(500, 'SY_SERVICE_BAD_RESPONSE', `${where} returned no response object`);
  const { status, headers = {}, json, text, body, stream } = response;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return errorAnswer(500, 'SY_SERVICE_BAD_RESPONSE', `${where} returned status ${String(status)}; use an integer 100-599`);
  }
  const given = (json !== undefined ? 1 : 0) + (text !== undefined ? 1 : 0) + (body !== undefined ? 1 : 0) + (stream !== undefined ? 1 : 0);
  if (given > 1) return errorAnswer(500, 'SY_SERVICE_BAD_RESPONSE', `${where} returned more than one of json, text, body, stream`);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = String(value);
  if (json !== undefined) {
    out['content-type'] ??= 'application/json';
    return { status, headers: out, body: utf8(JSON.stringify(json)) };
  }
  if (text !== undefined) {
    out['content-type'] ??= 'text/plain; charset=utf-8';
    return { status, headers: out, body: utf8(text) };
  }
  if (stream !== undefined) {
    const bodyStream = toBodyStream(stream);
    if (bodyStream === undefined) {
      return errorAnswer(500, 'SY_SERVICE_BAD_RESPONSE', `${where} returned a stream that is not a Readable, an async iterable or a web ReadableStream`);
    }
    out['content-type'] ??= 'application/octet-stream';
    return { status, headers: out, body: EMPTY, bodyStream };
  }
  return { status, headers: out, body: body ?? EMPTY };
}

/** The SDK's own error answers use the gateway's error body shape (packages/gateway/README.md, "Errors"): `{"error": {"code", "message", "requestId"}}`. */
export function errorAnswer(status: number, code: string, message: string, requestId?: string, headers: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { ...headers, 'content-type': 'application/json' },
    body: utf8(JSON.stringify({ error: { code, message, ...(requestId === undefined ? {} : { requestId }) } })),
  };
}
