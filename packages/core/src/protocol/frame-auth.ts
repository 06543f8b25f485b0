/**
 * Frame authenticators (docs/protocol.md, "Frame authentication"): an encoded frame sealed in a
 * small envelope that carries the signing key's id and an HMAC-SHA256 over the queue name and the
 * frame bytes. The frame bytes hold the frame's id, type and sentAt, so all three are bound into
 * the MAC; the queue name is bound too, so a signed frame copied into another queue is refused.
 *
 *   byte 0        0x41 ('A')                 ENVELOPE_MAGIC
 *   byte 1        0x01                       ENVELOPE_VERSION
 *   bytes 2–9     key id                     first 8 bytes of SHA-256 over role and secret
 *   bytes 10–41   HMAC-SHA256(secret, queue ‖ 0x00 ‖ frame bytes)   (queue ‖ 0x00: frameScope(queue))
 *   the rest      the frame (frame-codec.ts wire layout)
 *
 * Two roles of key: the gateway key signs REQUEST, CANCEL, RESYNC, DRAIN and UNDRAIN; the instance
 * key signs HELLO, HEARTBEAT, GOODBYE and RESPONSE. The frames of a streamed body are signed by
 * their sender: the gateway signs the request body's BODY_CHUNK and BODY_END and the response
 * body's CREDIT, the instance the others (frameSigner). A frame signed with the other role's key
 * is refused.
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { InvalidArgumentError, UnauthenticatedFrameError } from '../errors.js';
import { takeHeadroom } from './body-headroom.js';
import { decodeFrame, frameParts, writeFrameParts } from './frame-codec.js';
import type { BodyFrameType, Frame, FrameType } from './frames.js';

export type FrameKeyRole = 'gateway' | 'instance';

/** Which role's key signs each frame type; a body frame's signer depends on its stream (frameSigner). */
export const FRAME_SIGNER: Readonly<Record<Exclude<FrameType, BodyFrameType>, FrameKeyRole>> = Object.freeze({
  REQUEST: 'gateway',
  CANCEL: 'gateway',
  RESYNC: 'gateway',
  DRAIN: 'gateway',
  UNDRAIN: 'gateway',
  HELLO: 'instance',
  HEARTBEAT: 'instance',
  GOODBYE: 'instance',
  RESPONSE: 'instance',
});

/** The role whose key signs `frame`: its sender's. */
export function frameSigner(frame: Frame): FrameKeyRole {
  switch (frame.type) {
    case 'BODY_CHUNK':
    case 'BODY_END':
      return frame.payload.stream === 'request' ? 'gateway' : 'instance';
    case 'CREDIT':
      return frame.payload.stream === 'request' ? 'instance' : 'gateway';
    default:
      return FRAME_SIGNER[frame.type];
  }
}

const EMPTY = new Uint8Array(0);
export const ENVELOPE_MAGIC = 0x41;
export const ENVELOPE_VERSION = 0x01;
const KEY_ID_BYTES = 8;
const MAC_BYTES = 32;
const MAC_OFFSET = 2 + KEY_ID_BYTES;
/** Bytes in front of the frame. */
export const ENVELOPE_BYTES = MAC_OFFSET + MAC_BYTES;
/** A secret shorter than this is refused: HMAC-SHA256 wants at least its output size of key. */
export const MIN_SECRET_BYTES = 32;

/** The bytes a queue binds into every MAC (its UTF-8 name and a 0x00); made once per queue, since a string update costs a conversion per frame. */
export function frameScope(queue: string): Buffer {
  return Buffer.from(`${queue}\u0000`, 'utf8');
}

function scopeName(scope: Uint8Array): string {
  return Buffer.from(scope.buffer, scope.byteOffset, Math.max(0, scope.byteLength - 1)).toString('utf8');
}

/** One secret of one role. `source` says where it came from, for messages (never the secret). */
export interface FrameKey {
  readonly role: FrameKeyRole;
  /** Hex of the 8-byte key id that travels in the envelope. */
  readonly id: string;
  readonly source: string;
  /** @internal */
  readonly idBytes: Buffer;
  /** @internal */
  readonly secret: KeyObject;
}

/** Builds a key from its secret bytes; throws SY_INVALID_ARGUMENT naming `source` when it is too short. */
export function frameKey(role: FrameKeyRole, secret: Uint8Array, source: string): FrameKey {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new InvalidArgumentError(source, `holds a ${role} key of ${secret.length} bytes; it must be at least ${MIN_SECRET_BYTES} (e.g. \`openssl rand -hex 32\`)`);
  }
  const idBytes = createHash('sha256').update(`switchyard-frame-key\u0000${role}\u0000`).update(secret).digest().subarray(0, KEY_ID_BYTES);
  return Object.freeze({ role, id: idBytes.toString('hex'), source, idBytes, secret: createSecretKey(Buffer.from(secret)) });
}

/**
 * The keys one process holds: for each role, the key it signs with (the first) and every key it
 * accepts (at most two, so a key can rotate: verifiers learn the new key first, then signers
 * switch to it, then the old one is dropped).
 */
export class FrameKeyRing {
  private readonly all: readonly FrameKey[];

  constructor(readonly keys: Readonly<Record<FrameKeyRole, readonly FrameKey[]>>) {
    for (const role of ['gateway', 'instance'] as const) {
      const list = keys[role];
      if (list.length === 0 || list.length > 2) throw new InvalidArgumentError(`${role} keys`, `must be one or two (current, previous); got ${list.length}`);
      if (list.some((k) => k.role !== role)) throw new InvalidArgumentError(`${role} keys`, 'hold a key of the other role');
    }
    this.all = [...keys.gateway, ...keys.instance];
  }

  /** The key frames of `role` are signed with. */
  signing(role: FrameKeyRole): FrameKey {
    return this.keys[role][0] as FrameKey;
  }

  /** The accepted key whose id is at `bytes[offset…offset+8)`, or undefined. */
  find(bytes: Uint8Array, offset: number): FrameKey | undefined {
    for (const key of this.all) {
      if (equalAt(key.idBytes, bytes, offset)) return key;
    }
    return undefined;
  }
}

function equalAt(id: Buffer, bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < KEY_ID_BYTES; i++) if (id[i] !== bytes[offset + i]) return false;
  return true;
}

/** Encodes `frame` for the queue of `scope` (frameScope), signed with the ring's key for the frame's role. */
export function sealFrame(frame: Frame, scope: Uint8Array, ring: FrameKeyRing): Uint8Array {
  const key = ring.signing(frameSigner(frame));
  const parts = frameParts(frame);
  // A body joined with room in front (a streamed chunk) gets its head written there: no copy.
  const inPlace = parts.body.length > 0 ? takeHeadroom(parts.body, ENVELOPE_BYTES + parts.byteLength - parts.body.length) : undefined;
  const out = inPlace ?? Buffer.allocUnsafe(ENVELOPE_BYTES + parts.byteLength);
  out[0] = ENVELOPE_MAGIC;
  out[1] = ENVELOPE_VERSION;
  key.idBytes.copy(out, 2);
  writeFrameParts(inPlace === undefined ? parts : { ...parts, body: EMPTY }, out, ENVELOPE_BYTES);
  createHmac('sha256', key.secret).update(scope).update(out.subarray(ENVELOPE_BYTES)).digest().copy(out, MAC_OFFSET);
  return out;
}

/**
 * Verifies and decodes one sealed frame read from the queue of `scope` (frameScope). Throws UnauthenticatedFrameError when
 * the envelope is missing, names no accepted key, its MAC does not match (compared in constant
 * time) or the key's role does not sign the frame's type; InvalidFrameError when a verified
 * frame does not decode. The returned body is a view into `bytes`.
 */
export function openFrame(bytes: Uint8Array, scope: Uint8Array, ring: FrameKeyRing): Frame {
  const queue = (): string => scopeName(scope);
  if (bytes.length < ENVELOPE_BYTES || bytes[0] !== ENVELOPE_MAGIC) throw new UnauthenticatedFrameError(queue(), 'the frame is not signed');
  if (bytes[1] !== ENVELOPE_VERSION) throw new UnauthenticatedFrameError(queue(), `unsupported envelope version ${bytes[1] as number}`);
  const key = ring.find(bytes, 2);
  if (key === undefined) {
    throw new UnauthenticatedFrameError(queue(), `signed with key ${Buffer.from(bytes.subarray(2, MAC_OFFSET)).toString('hex')}, which is not an accepted key`);
  }
  const body = bytes.subarray(ENVELOPE_BYTES);
  const mac = createHmac('sha256', key.secret).update(scope).update(body).digest();
  if (!timingSafeEqual(mac, bytes.subarray(MAC_OFFSET, ENVELOPE_BYTES))) {
    throw new UnauthenticatedFrameError(queue(), `the signature does not match ${key.role} key ${key.id}`);
  }
  const frame = decodeFrame(body);
  const signer = frameSigner(frame);
  if (signer !== key.role) {
    const what = frame.type === 'BODY_CHUNK' || frame.type === 'BODY_END' || frame.type === 'CREDIT' ? `${frame.type} of a ${frame.payload.stream} body` : frame.type;
    throw new UnauthenticatedFrameError(queue(), `${frame.type} ${frame.id} is signed with a ${key.role} key; only a ${signer} key signs ${what}`);
  }
  return frame;
}
