/**
 * Frame correlation ids: 128 random bits as 32 lower-case hex characters. Ids are drawn from a
 * pooled random buffer, because one `randomBytes(16)` per frame costs a call into the OS per
 * request and ids are made several times per request.
 */
import { randomFillSync } from 'node:crypto';

const POOL_IDS = 256;
const ID_BYTES = 16;
const pool = Buffer.allocUnsafe(POOL_IDS * ID_BYTES);
let offset = pool.length;

const FRAME_ID = /^[0-9a-f]{32}$/;

/** A fresh correlation id: 128-bit random, 32 lower-case hex characters. */
export function newFrameId(): string {
  if (offset >= pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

/** True when `value` has the shape of a frame id (32 lower-case hex characters). */
export function isFrameId(value: unknown): value is string {
  return typeof value === 'string' && value.length === 32 && FRAME_ID.test(value);
}
