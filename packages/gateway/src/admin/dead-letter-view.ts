/**
 * How a dead letter is shown by the admin API: the envelope, the reason, and a preview of the
 * payload. A Messaging dead letter holds a frame; when it decodes, its type, id and (for a
 * REQUEST) method and path are shown; when it does not (`decode-error`), the raw bytes are.
 */
import type { DeadLetter } from '@switchyard/core';

/** Longest payload preview, in characters. */
export const PREVIEW_CHARS = 2_048;

export interface DeadLetterSummary {
  readonly id: string;
  readonly queue: string;
  readonly sourceQueue: string;
  readonly originalId: string;
  readonly reason: string;
  readonly attempts: number;
  readonly enqueuedAt: number;
  readonly deadLetteredAt: number;
  readonly sizeBytes: number;
  /** `REQUEST GET /echo/x`, `HEARTBEAT`, or undefined when the payload is not a frame. */
  readonly frame: string | undefined;
}

export interface DeadLetterDetail extends DeadLetterSummary {
  readonly headers: Readonly<Record<string, string>>;
  /** The payload as text (non-printable bytes as `\xNN`), cut at PREVIEW_CHARS. */
  readonly preview: string;
  readonly previewTruncated: boolean;
}

export function summarize(queue: string, letter: DeadLetter<unknown>): DeadLetterSummary {
  return {
    id: letter.id,
    queue,
    sourceQueue: letter.sourceQueue,
    originalId: letter.originalId,
    reason: letter.reason,
    attempts: letter.attempts,
    enqueuedAt: letter.enqueuedAt,
    deadLetteredAt: letter.deadLetteredAt,
    sizeBytes: letter.payload.byteLength,
    frame: describeFrame(letter.message),
  };
}

export function detail(queue: string, letter: DeadLetter<unknown>): DeadLetterDetail {
  const text = printable(letter.payload);
  return {
    ...summarize(queue, letter),
    headers: letter.headers,
    preview: text.slice(0, PREVIEW_CHARS),
    previewTruncated: text.length > PREVIEW_CHARS,
  };
}

function describeFrame(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { type?: unknown; payload?: { method?: unknown; path?: unknown } };
  if (typeof m.type !== 'string') return undefined;
  if (m.type === 'REQUEST' && typeof m.payload?.method === 'string' && typeof m.payload.path === 'string') return `REQUEST ${m.payload.method} ${m.payload.path}`;
  return m.type;
}

function printable(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PREVIEW_CHARS * 4)).toString('utf8');
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
