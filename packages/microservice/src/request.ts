/**
 * The handler's ServiceRequest, built from a REQUEST frame. A class rather than an object of
 * closures: one allocation per request, with text, JSON and the query parsed only when asked for.
 */
import { Readable } from 'node:stream';
import type { HttpMethod, Identity, RequestFrame } from '@switchyard/core';
import { BodyIsStreamError, InvalidJsonBodyError } from './errors.js';
import type { ServiceRequest } from './types.js';

const utf8 = new TextDecoder();

export class FrameRequest implements ServiceRequest {
  private parsedQuery: URLSearchParams | undefined;

  private ownStream: Readable | undefined;

  constructor(
    private readonly frame: RequestFrame,
    readonly params: Readonly<Record<string, string>>,
    /** The request body when it streams (a streamed exchange whose REQUEST says so). */
    private readonly streamed?: Readable,
  ) {}

  get method(): HttpMethod {
    return this.frame.payload.method;
  }

  get path(): string {
    return this.frame.payload.path;
  }

  get query(): URLSearchParams {
    this.parsedQuery ??= new URLSearchParams(this.frame.payload.query);
    return this.parsedQuery;
  }

  get headers(): Readonly<Record<string, string>> {
    return this.frame.payload.headers;
  }

  get body(): Uint8Array {
    if (this.streamed !== undefined) throw new BodyIsStreamError(this.frame.id);
    return this.frame.payload.body;
  }

  get stream(): Readable {
    if (this.streamed !== undefined) return this.streamed;
    this.ownStream ??= Readable.from(this.frame.payload.body.length === 0 ? [] : [Buffer.from(this.frame.payload.body.buffer, this.frame.payload.body.byteOffset, this.frame.payload.body.byteLength)], { objectMode: false });
    return this.ownStream;
  }

  get identity(): Identity | null {
    return this.frame.payload.identity;
  }

  text(): string {
    return utf8.decode(this.body);
  }

  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text()) as T;
    } catch (err) {
      throw new InvalidJsonBodyError(this.frame.id, { cause: err });
    }
  }
}
