/** Turns a handler's ServiceResponse into RESPONSE payload bytes, and builds the SDK's own error answers. */
import type { ResponsePayload } from '@switchyard/core';
import type { ServiceResponse } from './types.js';

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

export type Answer = Omit<ResponsePayload, 'instanceId'>;

/** Validates and encodes a handler's answer; an unusable answer becomes a 500 naming the problem. */
export function encodeResponse(response: ServiceResponse, where: string): Answer {
  if (typeof response !== 'object' || response === null) return errorAnswer(500, 'SY_SERVICE_BAD_RESPONSE', `${where} returned no response object`);
  const { status, headers = {}, json, text, body } = response;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return errorAnswer(500, 'SY_SERVICE_BAD_RESPONSE', `${where} returned status ${String(status)}; use an integer 100-599`);
  }
  const given = [json !== undefined, text !== undefined, body !== undefined].filter(Boolean).length;
  if (given > 1) return errorAnswer(500, 'SY_SERVICE_BAD_RESPONSE', `${where} returned more than one of json, text, body`);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = String(value);
  if (json !== undefined) {
    out['content-type'] ??= 'application/json';
    return { status, headers: out, body: utf8.encode(JSON.stringify(json)) };
  }
  if (text !== undefined) {
    out['content-type'] ??= 'text/plain; charset=utf-8';
    return { status, headers: out, body: utf8.encode(text) };
  }
  return { status, headers: out, body: body ?? EMPTY };
}

/** The SDK's own error answers use the gateway's error body shape (SPEC §6): `{"error": {"code", "message", "requestId"}}`. */
export function errorAnswer(status: number, code: string, message: string, requestId?: string, headers: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { ...headers, 'content-type': 'application/json' },
    body: utf8.encode(JSON.stringify({ error: { code, message, ...(requestId === undefined ? {} : { requestId }) } })),
  };
}
