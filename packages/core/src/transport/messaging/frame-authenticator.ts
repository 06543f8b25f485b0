/**
 * The Messaging transport's frame authentication policy (docs/messaging-transport.md, "Signed
 * frames"): every queue gets a codec that signs what it writes and verifies what it reads, bound
 * to the queue's name. Beyond the MAC (protocol/frame-auth.ts), a frame is refused when its sentAt
 * lies outside ±replayWindowMs of this process's clock, and a HELLO, HEARTBEAT, GOODBYE, DRAIN or
 * UNDRAIN whose id was already seen inside the window is refused as a replay (a DRAIN replayed
 * after an UNDRAIN would drain the instance again). REQUESTs are exempt from the id
 * check on purpose: a redelivered REQUEST is legitimate (at-least-once) and the instance's replay
 * cache and the REQUEST's signed deadline bound it; RESPONSE duplicates are dropped by the
 * gateway's pending table; a repeated CANCEL or RESYNC changes nothing.
 *
 * A refused frame makes the codec throw UnauthenticatedFrameError; the queue layer then
 * dead-letters it with reason `unauthenticated` (queue/consumer.ts), so it never reaches routing
 * or a handler.
 */
import type { Clock } from '../../clock.js';
import { UnauthenticatedFrameError } from '../../errors.js';
import type { Frame } from '../../protocol/frames.js';
import { GMAC_MIN_FRAME_BYTES, frameScope, openFrame, sealFrame, type FrameKeyRing } from '../../protocol/frame-auth.js';
import type { QueueCodec } from '../../queue/types.js';
import { RecentIds } from './recent-ids.js';
import { redactFrameBytes } from '../../protocol/frame-redaction.js';

export interface FrameAuthenticatorOptions {
  readonly keys: FrameKeyRing;
  /** A frame whose sentAt is further than this from now (either way) is refused. @default 300000 */
  readonly replayWindowMs?: number;
  /** Most control-frame ids remembered for the replay check (oldest forgotten first). @default 100000 */
  readonly maxRememberedIds?: number;
  /**
   * Frames of GMAC_MIN_FRAME_BYTES or more are signed with AES-256-GMAC (envelope 0x02); false
   * signs every frame with HMAC-SHA256, for a rolling upgrade from a release that reads only
   * envelope 0x01. Both are always accepted. @default true
   */
  readonly gmac?: boolean;
}

export const FRAME_AUTH_DEFAULTS = Object.freeze({ replayWindowMs: 300_000, maxRememberedIds: 100_000 });

/** Frame types refused when their id was seen before: each one changes state where it arrives, and none is legitimately redelivered. */
const ID_CHECKED: ReadonlySet<Frame['type']> = new Set(['HELLO', 'HEARTBEAT', 'GOODBYE', 'DRAIN', 'UNDRAIN']);

/** Counters for `/metrics`: totals since start. */
export interface FrameAuthCounters {
  /** Frames refused as unauthenticated (bad or missing MAC, unknown key, wrong role, stale sentAt, replayed id). */
  readonly unauthenticated: number;
  /** Of those, control frames refused because their id was seen before. */
  readonly replayed: number;
}

export class FrameAuthenticator {
  private readonly keys: FrameKeyRing;
  private readonly windowMs: number;
  /** Encoded size from which frames are signed with GMAC (Infinity: never). */
  private readonly gmacFromBytes: number;
  /** Control-frame ids seen; kept for twice the window, since sentAt may be up to one window ahead. */
  private readonly seen: RecentIds;
  private readonly codecs = new Map<string, QueueCodec<Frame>>();
  private readonly counts = { unauthenticated: 0, replayed: 0 };

  constructor(
    options: FrameAuthenticatorOptions,
    private readonly clock: Clock,
  ) {
    this.keys = options.keys;
    this.windowMs = options.replayWindowMs ?? FRAME_AUTH_DEFAULTS.replayWindowMs;
    this.gmacFromBytes = options.gmac === false ? Number.POSITIVE_INFINITY : GMAC_MIN_FRAME_BYTES;
    this.seen = new RecentIds(options.maxRememberedIds ?? FRAME_AUTH_DEFAULTS.maxRememberedIds, 2 * this.windowMs);
  }

  get counters(): FrameAuthCounters {
    return { ...this.counts };
  }

  /** The codec of one queue: frames signed for, and verified against, `queue`. */
  codecFor(queue: string): QueueCodec<Frame> {
    let codec = this.codecs.get(queue);
    if (codec === undefined) {
      const scope = frameScope(queue);
      codec = Object.freeze({
        encode: (frame: Frame): Uint8Array => sealFrame(frame, scope, this.keys, this.gmacFromBytes),
        decode: (bytes: Uint8Array): Frame => this.verify(bytes, queue, scope),
        redactForDeadLetter: redactFrameBytes,
      });
      this.codecs.set(queue, codec);
    }
    return codec;
  }

  private verify(bytes: Uint8Array, queue: string, scope: Uint8Array): Frame {
    try {
      const frame = openFrame(bytes, scope, this.keys);
      const now = this.clock.now();
      if (Math.abs(now - frame.sentAt) > this.windowMs) {
        throw new UnauthenticatedFrameError(queue, `${frame.type} ${frame.id} was sent at ${frame.sentAt}, outside the replay window of ±${this.windowMs} ms around ${now}`);
      }
      if (ID_CHECKED.has(frame.type)) {
        const replayed = this.seen.take(frame.id, now);
        this.seen.add(frame.id, now);
        if (replayed) {
          this.counts.replayed += 1;
          throw new UnauthenticatedFrameError(queue, `${frame.type} ${frame.id} was seen before: a replay`);
        }
      }
      return frame;
    } catch (err) {
      if (err instanceof UnauthenticatedFrameError) this.counts.unauthenticated += 1;
      throw err;
    }
  }
}
