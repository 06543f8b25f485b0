/**
 * Codecs turn messages into bytes and back. A `decode` that throws makes core dead-letter the
 * entry with reason `decode-error`; it never reaches a handler.
 */
import type { QueueCodec } from './types.js';

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is a decode error, not a silently mangled message.
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON over UTF-8. `undefined` cannot be encoded (JSON has no such value). */
export function jsonCodec<T>(): QueueCodec<T> {
  return {
    encode(message: T): Uint8Array {
      const text = JSON.stringify(message);
      if (text === undefined) throw new TypeError('jsonCodec cannot encode undefined or a function');
      return encoder.encode(text);
    },
    decode(bytes: Uint8Array): T {
      return JSON.parse(decoder.decode(bytes)) as T;
    },
  };
}

/** Bytes as they are: no copy on encode or decode. */
export const bytesCodec: QueueCodec<Uint8Array> = Object.freeze({
  encode(message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new TypeError('bytesCodec can only encode a Uint8Array');
    return message;
  },
  decode(bytes: Uint8Array): Uint8Array {
    return bytes;
  },
});
