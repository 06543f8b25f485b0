/**
 * Frame authenticators (docs/protocol.md, "Frame authentication"): an encoded frame sealed in a
 * small envelope that carries the signing key's id and a MAC over the queue name and the frame
 * bytes. The frame bytes hold the frame's id, type and sentAt, so all three are bound into the
 * MAC; the queue name is bound too, so a signed frame copied into another queue is refused.
 *
 * Two envelopes, by the frame's size. A frame under GMAC_MIN_FRAME_BYTES (every control frame,
 * most requests and responses) carries HMAC-SHA256, the cheaper of the two on small inputs:
 *
 *   byte 0        0x41 ('A')                 ENVELOPE_MAGIC
 *   byte 1        0x01                       HMAC_ENVELOPE
 *   bytes 2–9     key id                     first 8 bytes of SHA-256 over role and secret
 *   bytes 10–41   HMAC-SHA256(secret, queue ‖ 0x00 ‖ frame bytes)   (queue ‖ 0x00: frameScope(queue))
 *   the rest      the frame (frame-codec.ts wire layout)
 *
 * A larger frame (a streamed body's chunk, a large body) carries AES-256-GMAC (GCM's
 * authentication tag with the frame as additional data and nothing encrypted), about 3.5 times
 * faster per byte than HMAC-SHA256 where the CPU has AES and carry-less multiply instructions:
 *
 *   byte 1        0x02                       GMAC_ENVELOPE
 *   bytes 10–21   nonce                      96 random bits, new for every frame
 *   bytes 22–37   GMAC tag                   AES-256-GCM(gmac key, nonce), additional data queue ‖ 0x00 ‖ frame bytes
 *   the rest      the frame
 *
 * The GMAC key is derived from the same secret (HKDF-SHA256, info "switchyard-frame-gmac" 0x00
 * role), so one secret never keys two algorithms. GCM's security rests on never reusing a nonce
 * under one key: random 96-bit nonces keep the chance of a repeat under 2^-32 for up to 2^32
 * GMAC-sealed frames per key (NIST SP 800-38D), which at 256 KiB per chunk is 1 PiB of streamed
 * bodies; rotate keys well before that.
 *
 * Two roles of key: the gateway key signs REQUEST, CANCEL, RESYNC, DRAIN and UNDRAIN; the instance
 * key signs HELLO, HEARTBEAT, GOODBYE and RESPONSE. The frames of a streamed body are signed by
 * their sender: the gateway signs the request body's BODY_CHUNK and BODY_END and the response
 * body's CREDIT, the instance the others (frameSigner). A frame signed with the other role's key
 * is refused.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, hkdfSync, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';
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
/** Envelope version of a frame signed with HMAC-SHA256. */
export const HMAC_ENVELOPE = 0x01;
/** Envelope version of a frame signed with AES-256-GMAC. */
export const GMAC_ENVELOPE = 0x02;
const KEY_ID_BYTES = 8;
const MAC_OFFSET = 2 + KEY_ID_BYTES;
const HMAC_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes in front of a frame signed with HMAC-SHA256 (every frame under GMAC_MIN_FRAME_BYTES). */
export const ENVELOPE_BYTES = MAC_OFFSET + HMAC_BYTES;
/** Bytes in front of a frame signed with AES-256-GMAC. */
export const GMAC_ENVELOPE_BYTES = MAC_OFFSET + NONCE_BYTES + TAG_BYTES;
/**
 * Encoded frames of this size or more are signed with GMAC. Measured with node:crypto on 2 vCPUs,
 * signing and verifying together: 7.8 µs with HMAC against 11.6 with GMAC at 256 B (a cipher
 * context costs more to set up than a hash), about even at 4 KiB, 350 against 95 µs at 256 KiB.
 */
export const GMAC_MIN_FRAME_BYTES = 16 * 1024;
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
  /** @internal The HMAC-SHA256 key: the secret itself. */
  readonly secret: KeyObject;
  /** @internal The AES-256-GMAC key, derived from the secret. */
  readonly gmacSecret: KeyObject;
}

/** Builds a key from its secret bytes; throws SY_INVALID_ARGUMENT naming `source` when it is too short. */
export function frameKey(role: FrameKeyRole, secret: Uint8Array, source: string): FrameKey {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new InvalidArgumentError(source, `holds a ${role} key of ${secret.length} bytes; it must be at least ${MIN_SECRET_BYTES} (e.g. \`openssl rand -hex 32\`)`);
  }
  const idBytes = createHash('sha256').update(`switchyard-frame-key\u0000${role}\u0000`).update(secret).digest().subarray(0, KEY_ID_BYTES);
  const gmacSecret = createSecretKey(Buffer.from(hkdfSync('sha256', secret, EMPTY, `switchyard-frame-gmac\u0000${role}`, 32)));
  return Object.freeze({ role, id: idBytes.toString('hex'), source, idBytes, secret: createSecretKey(Buffer.from(secret)), gmacSecret });
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

/**
 * Encodes `frame` for the queue of `scope` (frameScope), signed with the ring's key for the frame's
 * role: with AES-256-GMAC when the encoded frame is `gmacFromBytes` or more, else HMAC-SHA256
 * (Infinity: always HMAC, for peers that read only envelope 0x01).
 */
export function sealFrame(frame: Frame, scope: Uint8Array, ring: FrameKeyRing, gmacFromBytes = GMAC_MIN_FRAME_BYTES): Uint8Array {
  const key = ring.signing(frameSigner(frame));
  const parts = frameParts(frame);
  const gmac = parts.byteLength >= gmacFromBytes;
  const envelope = gmac ? GMAC_ENVELOPE_BYTES : ENVELOPE_BYTES;
  // A body joined with room in front (a streamed chunk) gets its head written there: no copy.
  const inPlace = parts.body.length > 0 ? takeHeadroom(parts.body, envelope + parts.byteLength - parts.body.length) : undefined;
  const out = inPlace ?? Buffer.allocUnsafe(envelope + parts.byteLength);
  out[0] = ENVELOPE_MAGIC;
  out[1] = gmac ? GMAC_ENVELOPE : HMAC_ENVELOPE;
  key.idBytes.copy(out, 2);
  writeFrameParts(inPlace === undefined ? parts : { ...parts, body: EMPTY }, out, envelope);
  const sealed = out.subarray(envelope);
  if (gmac) {
    const nonce = randomFillSync(out.subarray(MAC_OFFSET, MAC_OFFSET + NONCE_BYTES));
    const cipher = createCipheriv('aes-256-gcm', key.gmacSecret, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(scope);
    cipher.setAAD(sealed);
    cipher.final();
    cipher.getAuthTag().copy(out, MAC_OFFSET + NONCE_BYTES);
  } else {
    createHmac('sha256', key.secret).update(scope).update(sealed).digest().copy(out, MAC_OFFSET);
  }
  return out;
}

/** The frame inside `bytes` when they begin with an envelope of a known version, else undefined. Nothing is verified. */
export function unsealedBytes(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes[0] !== ENVELOPE_MAGIC) return undefined;
  const envelope = envelopeBytes(bytes[1]);
  return envelope === undefined || bytes.length <= envelope ? undefined : bytes.subarray(envelope);
}

function envelopeBytes(version: number | undefined): number | undefined {
  if (version === HMAC_ENVELOPE) return ENVELOPE_BYTES;
  if (version === GMAC_ENVELOPE) return GMAC_ENVELOPE_BYTES;
  return undefined;
}

/**
 * Verifies and decodes one sealed frame read from the queue of `scope` (frameScope). Throws UnauthenticatedFrameError when
 * the envelope is missing, names no accepted key, its MAC does not match (an HMAC is compared in
 * constant time; a GMAC tag is checked by OpenSSL's GCM, also in constant time) or the key's role
 * does not sign the frame's type; InvalidFrameError when a verified frame does not decode. The
 * returned body is a view into `bytes`.
 */
export function openFrame(bytes: Uint8Array, scope: Uint8Array, ring: FrameKeyRing): Frame {
  const queue = (): string => scopeName(scope);
  if (bytes.length < 2 || bytes[0] !== ENVELOPE_MAGIC) throw new UnauthenticatedFrameError(queue(), 'the frame is not signed');
  const version = bytes[1] as number;
  const envelope = envelopeBytes(version);
  if (envelope === undefined) throw new UnauthenticatedFrameError(queue(), `unsupported envelope version ${version}`);
  if (bytes.length < envelope) throw new UnauthenticatedFrameError(queue(), `the envelope is cut short: ${bytes.length} bytes of a ${envelope}-byte envelope (version ${version})`);
  const key = ring.find(bytes, 2);
  if (key === undefined) {
    throw new UnauthenticatedFrameError(queue(), `signed with key ${Buffer.from(bytes.subarray(2, MAC_OFFSET)).toString('hex')}, which is not an accepted key`);
  }
  const body = bytes.subarray(envelope);
  const matches = version === GMAC_ENVELOPE ? gmacMatches(key, bytes, scope, body) : hmacMatches(key, bytes, scope, body);
  if (!matches) throw new UnauthenticatedFrameError(queue(), `the signature does not match ${key.role} key ${key.id}`);
  const frame = decodeFrame(body);
  const signer = frameSigner(frame);
  if (signer !== key.role) {
    const what = frame.type === 'BODY_CHUNK' || frame.type === 'BODY_END' || frame.type === 'CREDIT' ? `${frame.type} of a ${frame.payload.stream} body` : frame.type;
    throw new UnauthenticatedFrameError(queue(), `${frame.type} ${frame.id} is signed with a ${key.role} key; only a ${signer} key signs ${what}`);
  }
  return frame;
}

function hmacMatches(key: FrameKey, bytes: Uint8Array, scope: Uint8Array, body: Uint8Array): boolean {
  const mac = createHmac('sha256', key.secret).update(scope).update(body).digest();
  return timingSafeEqual(mac, bytes.subarray(MAC_OFFSET, ENVELOPE_BYTES));
}

function gmacMatches(key: FrameKey, bytes: Uint8Array, scope: Uint8Array, body: Uint8Array): boolean {
  const tagAt = MAC_OFFSET + NONCE_BYTES;
  const decipher = createDecipheriv('aes-256-gcm', key.gmacSecret, bytes.subarray(MAC_OFFSET, tagAt), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(bytes.subarray(tagAt, tagAt + TAG_BYTES));
  decipher.setAAD(scope);
  decipher.setAAD(body);
  try {
    decipher.final();
    return true;
  } catch {
    return false;
  }
}
