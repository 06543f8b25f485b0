/**
 * Wire-format constants and validation limits of the router protocol. One frozen object, so the
 * codec, the validators, docs/protocol.md and the tests all name the same numbers.
 */

/** First byte of every encoded frame ('S'). Anything else is not a Switchyard frame. */
export const FRAME_MAGIC = 0x53;

/**
 * Second byte: the wire layout version (independent of the frame's `v`, which is the protocol
 * version). 1: a JSON header, for every frame type. 2: a binary header, for REQUEST and RESPONSE
 * only, sent to a peer that said it reads it (docs/protocol.md, "Wire format 2").
 */
export const JSON_WIRE_FORMAT = 1;
export const BINARY_WIRE_FORMAT = 2;
export type WireFormat = typeof JSON_WIRE_FORMAT | typeof BINARY_WIRE_FORMAT;
/** The wire formats this release reads, as an instance declares them in its HELLO. */
export const READABLE_WIRE_FORMATS: readonly WireFormat[] = Object.freeze([JSON_WIRE_FORMAT, BINARY_WIRE_FORMAT]);

/** Bytes before the header: magic (1), wire format version (1), header length as u32 BE (4). */
export const FRAME_PREFIX_BYTES = 6;

export const PROTOCOL_LIMITS = Object.freeze({
  /** Largest JSON header (the frame minus its body), in bytes. A HELLO with ~1000 endpoints fits. @default 262144 */
  maxHeaderBytes: 256 * 1024,
  /** Longest path template or request path. @default 8192 */
  maxPathLength: 8192,
  /** Longest raw query string. @default 8192 */
  maxQueryLength: 8192,
  /** Most endpoints one HELLO may declare. @default 1024 */
  maxEndpoints: 1024,
  /** Longest instanceId (visible ASCII only). @default 128 */
  maxInstanceIdLength: 128,
  /** Longest service name ([A-Za-z0-9][A-Za-z0-9_-]*; no dots, since dots separate queue-name parts). @default 64 */
  maxServiceNameLength: 64,
  /** Longest region, address, replyTo, endpointsHash or claim name. @default 1024 */
  maxShortStringLength: 1024,
  /** Largest endpoint timeoutMs (about 24.8 days, the largest setTimeout delay). @default 2147483647 */
  maxTimeoutMs: 2_147_483_647,
} as const);
