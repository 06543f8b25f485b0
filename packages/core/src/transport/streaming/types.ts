/** The transport contract's additions for streamed bodies (docs/protocol.md, "Streamed bodies"). */
import type { Readable } from 'node:stream';
import type { ResponsePayload } from '../../protocol/frames.js';
import type { DispatchOptions } from '../types.js';

export interface StreamDispatchOptions extends DispatchOptions {
  /** Bytes of each body buffered and in flight at once, per direction. */
  readonly window: number;
  /** A body that receives nothing for this long while its reader waits is aborted. */
  readonly idleMs: number;
  /** Called once the request body was sent whole (at once when there is none). */
  readonly requestSent?: () => void;
}

/** The RESPONSE head of a streamed exchange; `bodyStream` is the body when the instance streams it (then `body` is empty). */
export interface StreamedResponse extends Omit<ResponsePayload, 'stream'> {
  readonly bodyStream?: Readable;
}

/** What an instance's request handler answers: a RESPONSE without its instanceId, and for a streamed REQUEST, maybe a body stream. */
export interface InstanceAnswer extends Omit<ResponsePayload, 'instanceId' | 'stream'> {
  /** The response body as it is produced (then `body` is empty); only for a REQUEST that has `stream`. */
  readonly bodyStream?: AsyncIterable<Uint8Array | string>;
}

/** Defaults of streamed exchanges. */
export const STREAM_DEFAULTS = Object.freeze({
  /** Largest BODY_CHUNK payload a sender makes. @default 262144 */
  maxChunkBytes: 256 * 1024,
  /** Window of a request body, granted by the instance. @default 1048576 */
  requestWindowBytes: 1024 * 1024,
});
