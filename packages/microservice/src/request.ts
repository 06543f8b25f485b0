/** Builds the handler's ServiceRequest from a REQUEST frame; text and JSON are decoded only when asked for. */
import type { RequestFrame } from '@switchyard/core';
import { InvalidJsonBodyError } from './errors.js';
import type { ServiceRequest } from './types.js';

const utf8 = new TextDecoder();

export function serviceRequest(frame: RequestFrame, params: Readonly<Record<string, string>>): ServiceRequest {
  const p = frame.payload;
  let query: URLSearchParams | undefined;
  return {
    method: p.method,
    path: p.path,
    params,
    get query(): URLSearchParams {
      query ??= new URLSearchParams(p.query);
      return query;
    },
    headers: p.headers,
    body: p.body,
    text: () => utf8.decode(p.body),
    json: <T>(): T => {
      try {
        return JSON.parse(utf8.decode(p.body)) as T;
      } catch (err) {
        throw new InvalidJsonBodyError(frame.id, { cause: err });
      }
    },
    identity: p.identity,
  };
}
