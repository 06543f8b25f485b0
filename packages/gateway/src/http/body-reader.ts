/**
 * Reads a request body with a byte limit: a declared Content-Length over the limit is refused
 * before a byte is read; otherwise chunks are counted as they arrive and reading stops at the
 * first byte past the limit, so an oversized body is never buffered whole: a client that sends an
 * endless body must cost the gateway at most `maxBodyBytes` of memory. A body still arriving is
 * read under the idle limit (`idleMs`, body-idle.ts).
 */
import type { IncomingMessage } from 'node:http';
import { bodyWithinIdleLimit } from './body-idle.js';
import { mayHaveUnsizedBody } from './http2-compat.js';

export type BodyResult =
  | { readonly kind: 'ok'; readonly body: Uint8Array }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'aborted' };

const EMPTY = new Uint8Array(0);
const OK_EMPTY: BodyResult = Object.freeze({ kind: 'ok', body: EMPTY });
const TOO_LARGE: BodyResult = Object.freeze({ kind: 'too-large' });
const ABORTED: BodyResult = Object.freeze({ kind: 'aborted' });

/**
 * Returns the result directly when the whole body is already buffered, else a promise. The
 * request path calls this from the 'request' event, and there Node's parser has not pushed the
 * body yet: it does so after the listener returns, in the same socket read. So a body that is not
 * buffered yet is looked for again one microtask later, which for a small request finds all of
 * it; only then are listeners attached. Taking the buffered bytes with one `read()` saves
 * attaching and removing four listeners and allocating closures per request.
 */
export function readBody(req: IncomingMessage, maxBodyBytes: number, idleMs: number): BodyResult | Promise<BodyResult> {
  const declared = req.headers['content-length'];
  let length = -1;
  if (declared !== undefined) {
    length = Number(declared);
    if (length > maxBodyBytes) return TOO_LARGE;
    if (length === 0) return OK_EMPTY;
  } else if (!mayHaveUnsizedBody(req)) {
    // No Content-Length and not chunked (HTTP/1.1), or a stream ended with its headers (HTTP/2): no body.
    return OK_EMPTY;
  }
  return takeBuffered(req, length, maxBodyBytes) ?? afterParse(req, length, maxBodyBytes, idleMs);
}

/**
 * One microtask later: the body the parser pushed in the same socket read, or else the body read
 * as it arrives under the idle limit (body-idle.ts). Only that wait arms the socket timeout, so a
 * small body costs no timer.
 */
async function afterParse(req: IncomingMessage, length: number, maxBodyBytes: number, idleMs: number): Promise<BodyResult> {
  await undefined;
  return takeBuffered(req, length, maxBodyBytes) ?? bodyWithinIdleLimit(req, readStreaming(req, maxBodyBytes), idleMs);
}

/** The whole body when it is buffered and nobody has started reading the stream, else undefined. */
function takeBuffered(req: IncomingMessage, length: number, maxBodyBytes: number): BodyResult | undefined {
  if (req.readableEnded) return OK_EMPTY;
  // All of it is buffered when the parser has seen the message end (complete) or, with a
  // Content-Length, once that many bytes are buffered (the parser never delivers more). The
  // end-of-message itself may still be pending: nothing here waits for 'end'.
  // readableFlowing === null: nobody has started consuming the stream.
  if (req.readableFlowing === null && (req.complete || req.readableLength === length)) {
    if (req.readableLength > maxBodyBytes) return TOO_LARGE;
    const chunk = req.read() as Buffer | null;
    return chunk === null || chunk.length === 0 ? OK_EMPTY : { kind: 'ok', body: chunk };
  }
  return undefined;
}

/** Reads a body that is still arriving, stopping at the first byte past the limit. */
function readStreaming(req: IncomingMessage, maxBodyBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onAborted);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        // Stop reading: the caller answers 413 and closes the connection.
        req.pause();
        finish(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (chunks.length === 0) finish(OK_EMPTY);
      else if (chunks.length === 1) finish({ kind: 'ok', body: chunks[0] as Buffer });
      else finish({ kind: 'ok', body: Buffer.concat(chunks, size) });
    };
    const onAborted = (): void => finish(ABORTED);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onAborted);
  });
}
