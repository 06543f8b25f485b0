/**
 * The codec of a streams queue (stream-queues.ts): the queue's codec, and a received BODY_CHUNK's
 * envelope and head lent to its body as room for the next head (protocol/body-headroom.ts). A
 * streams queue has one reader, which decodes each payload once, and nobody reads the payload
 * after that: not the reader, not the backend (a tail read keeps nothing; the memory backend
 * holds the sender's buffer, which the sender does not read again once sent). So a chunk sent on
 * as it came (a handler that answers with its request body, a proxy) is encoded in place instead
 * of copied whole into a new buffer: over Valkey that copy was 7.7 % of the echo's busy time on a
 * streamed upload.
 */
import { lendHeadroom } from '../../protocol/body-headroom.js';
import type { Frame } from '../../protocol/frames.js';
import type { QueueCodec } from '../../queue/types.js';

export function streamsQueueCodec(codec: QueueCodec<Frame>): QueueCodec<Frame> {
  return {
    encode: (frame) => codec.encode(frame),
    decode(bytes) {
      const frame = codec.decode(bytes);
      if (frame.type !== 'BODY_CHUNK') return frame;
      const body = frame.payload.body;
      if (body.buffer !== bytes.buffer || body.byteOffset <= bytes.byteOffset) return frame;
      // As a Buffer: a Readable turns any other Uint8Array it is given into a new Buffer object,
      // which would not carry the room (a handler sees the body's chunks as Buffers either way).
      const lent = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      lendHeadroom(lent, body.byteOffset - bytes.byteOffset);
      return lent === body ? frame : { ...frame, payload: { ...frame.payload, body: lent } };
    },
    ...(codec.redactForDeadLetter === undefined ? {} : { redactForDeadLetter: (bytes: Uint8Array) => codec.redactForDeadLetter?.(bytes) }),
  };
}
