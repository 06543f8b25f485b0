/**
 * Reading stream entries: field arrays (Buffers) → payload, headers, due time; dead-letter
 * entries → RawDeadLetter. Entry fields: p payload (raw bytes), h headers JSON, d due ms (delayed
 * enqueue), t original enqueuedAt (replayed dead letters). A packed entry (packed-append.ts) holds
 * only `b` fields, one per message.
 */
import type { RawDeadLetter } from '@switchyard/core';

export interface ParsedEntry {
  readonly id: string;
  readonly payload: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** Due time of a delayed enqueue, else undefined. */
  readonly dueAt: number | undefined;
  readonly enqueuedAt: number;
}

/** The field of each message of a packed entry (a single message's is `p`). */
export const PACKED_FIELD = 'b';

/** The id of the `index`th message of packed entry `entryId`. */
export const packedMessageId = (entryId: string, index: number): string => `${entryId}:${index}`;

/** The stream id of the entry that holds message `id` (a packed message's, or a single one's own). */
export function entryIdOf(id: string): string {
  const colon = id.indexOf(':');
  return colon < 0 ? id : id.slice(0, colon);
}

const PACKED_FIELD_CODE = PACKED_FIELD.charCodeAt(0);
const isPackedField = (name: Buffer): boolean => name.length === 1 && name[0] === PACKED_FIELD_CODE;

const EMPTY = new Uint8Array(0);
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Epoch ms encoded in a stream id (`<ms>-<seq>`). */
export function idTime(id: string): number {
  const dash = id.indexOf('-');
  return Number(dash < 0 ? id : id.slice(0, dash));
}

/** Headers from their JSON text; anything that is not a string→string object yields `{}`. */
export function parseHeaders(json: Buffer | undefined): Readonly<Record<string, string>> {
  if (json === undefined || json.length === 0) return NO_HEADERS;
  try {
    const value: unknown = JSON.parse(json.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return NO_HEADERS;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
    return Object.freeze(out);
  } catch {
    return NO_HEADERS;
  }
}

/** Headers as stored: '' when empty. */
export function encodeHeaders(headers: Readonly<Record<string, string>>): string {
  for (const _ in headers) return JSON.stringify(headers);
  return '';
}

function fieldMap(fields: readonly Buffer[] | null): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  if (fields === null) return map;
  for (let i = 0; i + 1 < fields.length; i += 2) map.set((fields[i] as Buffer).toString('latin1'), fields[i + 1] as Buffer);
  return map;
}

/** A queue entry. A hand-written entry without `p` gets an empty payload (the codec then rejects it: decode-error). */
export function parseEntry(id: string, fields: readonly Buffer[] | null): ParsedEntry {
  // A linear scan over the (few) fields: this runs once per delivered message.
  let p: Buffer | undefined;
  let h: Buffer | undefined;
  let due = Number.NaN;
  let original = Number.NaN;
  if (fields !== null) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i] as Buffer;
      const value = fields[i + 1] as Buffer;
      if (name.length !== 1) continue;
      switch (name[0]) {
        case 0x70: // p
          p = value;
          break;
        case 0x68: // h
          h = value;
          break;
        case 0x64: // d
          due = Number(value.toString('latin1'));
          break;
        case 0x74: // t
          original = Number(value.toString('latin1'));
          break;
      }
    }
  }
  return {
    id,
    payload: p === undefined ? EMPTY : new Uint8Array(p.buffer, p.byteOffset, p.byteLength),
    headers: parseHeaders(h),
    dueAt: Number.isFinite(due) ? due : undefined,
    enqueuedAt: Number.isFinite(original) ? original : idTime(id),
  };
}

/**
 * The messages of a packed entry, in order (ids from packedMessageId), or undefined when `fields`
 * are not a packed entry's. Only a tail consumer reads them; a group reader sees no `p` (an empty
 * payload, which the queue's codec refuses, and core dead-letters).
 */
export function packedParts(id: string, fields: readonly Buffer[] | null): ParsedEntry[] | undefined {
  if (fields === null || fields.length < 2 || !isPackedField(fields[0] as Buffer)) return undefined;
  const enqueuedAt = idTime(id);
  const parts: ParsedEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (!isPackedField(fields[i] as Buffer)) continue;
    const p = fields[i + 1] as Buffer;
    parts.push({ id: packedMessageId(id, parts.length), payload: new Uint8Array(p.buffer, p.byteOffset, p.byteLength), headers: NO_HEADERS, dueAt: undefined, enqueuedAt });
  }
  return parts;
}

/** A dead-letter entry. */
export function parseDeadLetter(id: string, fields: readonly Buffer[] | null): RawDeadLetter {
  const f = fieldMap(fields);
  const text = (k: string): string => f.get(k)?.toString('utf8') ?? '';
  const p = f.get('p');
  const enqueuedAt = Number(text('t'));
  const attempts = Number(text('n'));
  return {
    id,
    originalId: text('o'),
    sourceQueue: text('q'),
    payload: p === undefined ? EMPTY : new Uint8Array(p.buffer, p.byteOffset, p.byteLength),
    headers: parseHeaders(f.get('h')),
    attempts: Number.isFinite(attempts) ? attempts : 0,
    reason: text('r'),
    enqueuedAt: Number.isFinite(enqueuedAt) ? enqueuedAt : idTime(id),
    deadLetteredAt: idTime(id),
  };
}
