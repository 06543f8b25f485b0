/**
 * A handler's streamed answer (`ServiceResponse.stream`): a Node Readable, an async iterable of
 * chunks, or a web ReadableStream, turned into the one shape the transport sends (an async
 * iterable of bytes or strings), or collected into one body where the exchange does not stream.
 */
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { STREAM_DEFAULTS } from '@switchyard/core';
import { streamPieces } from '@switchyard/core/internal';
import type { ResponseBodyStream } from './types.js';

/**
 * The async iterable the transport reads, or undefined when `value` is none of the accepted
 * shapes. A Node Readable is read piece by piece (core's streamPieces): its own iterator joins
 * what is buffered into a new buffer, a copy per chunk before the frame's own.
 */
export function toBodyStream(value: unknown): AsyncIterable<Uint8Array | string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (value instanceof Readable) return streamPieces(value, STREAM_DEFAULTS.maxChunkBytes);
  if (typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return value as AsyncIterable<Uint8Array | string>;
  if (typeof (value as ReadableStream).getReader === 'function') return streamPieces(Readable.fromWeb(value as ReadableStream<Uint8Array>), STREAM_DEFAULTS.maxChunkBytes);
  return undefined;
}

/** Reads a body stream whole (an exchange that does not stream its response). */
export async function collectBodyStream(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(parts);
}

/**
 * Calls `done` once when `stream` has been read to its end, failed, or was given up on (its
 * iterator's return()): the handler's work is over only when its body is sent, so the instance's
 * in-flight count (and its drain on shutdown) covers it.
 */
export function untilDone(stream: AsyncIterable<Uint8Array | string>, done: () => void): AsyncIterable<Uint8Array | string> {
  let called = false;
  const finish = (): void => {
    if (called) return;
    called = true;
    done();
  };
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array | string> {
      const it = stream[Symbol.asyncIterator]();
      return {
        async next(): Promise<IteratorResult<Uint8Array | string>> {
          try {
            const r = await it.next();
            if (r.done === true) finish();
            return r;
          } catch (err) {
            finish();
            throw err;
          }
        },
        async return(): Promise<IteratorResult<Uint8Array | string>> {
          finish();
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

export type { ResponseBodyStream };
