/**
 * What a dead letter keeps of a frame (docs/messaging-transport.md, "Dead letters"): a REQUEST
 * loses its credentials (Authorization, Proxy-Authorization, Cookie) and a RESPONSE its
 * Set-Cookie before the copy is stored, since a dead letter lives until someone purges it. A
 * redacted copy is written unsigned: its MAC could not match any more, so replaying it from the
 * dead-letter queue into a signed deployment is refused as unauthenticated, on purpose (the
 * caller's credentials are gone). A frame with nothing to remove, and bytes that do not decode,
 * are stored as they are.
 */
import { unsealedBytes } from './frame-auth.js';
import { encodeFrame, frameCodec, tryDecodeFrame } from './frame-codec.js';
import type { Frame } from './frames.js';
import type { QueueCodec } from '../queue/types.js';

/** Header names (lower case) a dead letter never stores. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** The bytes a dead letter stores for `bytes`, or undefined to store them unchanged (nothing to remove). */
export function redactFrameBytes(bytes: Uint8Array): Uint8Array | undefined {
  const inner = unsealedBytes(bytes) ?? bytes;
  const decoded = tryDecodeFrame(inner);
  if (!decoded.ok) return undefined;
  const frame: Frame = decoded.frame;
  if (frame.type !== 'REQUEST' && frame.type !== 'RESPONSE') return undefined;
  const headers = frame.payload.headers;
  let kept: Record<string, string> | undefined;
  for (const name of Object.keys(headers)) {
    if (!CREDENTIAL_HEADERS.has(name.toLowerCase())) continue;
    kept ??= { ...headers };
    delete kept[name];
  }
  if (kept === undefined) return undefined;
  return encodeFrame({ ...frame, payload: { ...frame.payload, headers: kept } } as Frame);
}

/** The frame codec whose dead letters keep no credentials: what unsigned Messaging queues use. */
export const unsignedFrameCodec: QueueCodec<Frame> = Object.freeze({ ...frameCodec, redactForDeadLetter: redactFrameBytes });
