/**
 * A `tail` consumer (core's queue/backend.ts, BackendConsumerSpec.mode): the queue's one reader,
 * with no consumer group. A plain XREAD from the last id read, on the consumer's own connection;
 * nothing is pending, so there is no ack, renew, release or fence. What has been read is trimmed
 * (XTRIM MINID past the last id read) once enough has been read or enough time has passed, and at
 * close. A delayed enqueue is kept in this process until due. Costs per message: the XADD and its
 * share of one XREAD and one XTRIM, where a group read adds a pending entry, its ack and its XDEL.
 *
 * While it reads, the consumer marks the queue (keys.tailReader, renewed before its TTL ends,
 * deleted at close), so producers may pack a batch into one entry (packed-append.ts); such an
 * entry is read as its messages, in order, and what a lease() cannot take waits for the next.
 */
import { QueueClosedError, type BackendConsumer, type RawLease, type SettleOutcome } from '@switchyard/core';
import type { ValkeyClient } from './connection.js';
import type { ConsumerContext } from './consumer-context.js';
import { entryIdOf, packedParts, parseEntry, type ParsedEntry } from './entry.js';
import { toBackendError } from './errors.js';
import { TAIL_READER_MARK_MS } from './packed-append.js';
import { ReadStop } from './read-stop.js';

/** A tail delivery holds nothing, so it never expires. */
const NEVER_EXPIRES = Number.MAX_SAFE_INTEGER;
/** Trim after this many entries read since the last trim… */
const TRIM_EVERY_ENTRIES = 256;
/** …or this many payload bytes (a streamed body's chunks are large: 256 of them would hold 64 MiB)… */
const TRIM_EVERY_BYTES = 4 * 1024 * 1024;
/** …or once this long has passed since the last trim with something read. */
const TRIM_EVERY_MS = 1_000;

/** The smallest stream id after `id` (`<ms>-<seq>` → `<ms>-<seq + 1>`). */
export function nextStreamId(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash)}-${(BigInt(id.slice(dash + 1)) + 1n).toString()}`;
}

export class TailConsumer implements BackendConsumer {
  private reader: ValkeyClient | undefined;
  /** Where the next XREAD starts: '0' (everything stored) until something was read. */
  private lastId = '0';
  /** The MINID of the last trim: every entry below it is gone. */
  private trimmedBelow = '0';
  private readSinceTrim = 0;
  private bytesSinceTrim = 0;
  private lastTrimAt: number;
  /** Delayed enqueues read before they were due, soonest first. */
  private early: ParsedEntry[] = [];
  /** Messages of packed entries read but beyond what the last lease() asked for, oldest first. */
  private surplus: ParsedEntry[] = [];
  /** When the tail-reader mark was last set (it is renewed at a third of its TTL). */
  private markedAt = Number.NEGATIVE_INFINITY;
  private reading = false;
  private streamMade: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  /** The outstanding read: an abort of its signal, or a stop, drops the reader connection. */
  private readonly readStop = new ReadStop(this.stopping.signal, () => {
    const reader = this.reader;
    this.reader = undefined;
    reader?.disconnect();
  });

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly consumerName: string,
    private readonly onClosed: () => void,
  ) {
    this.lastTrimAt = ctx.clock.now();
  }

  async lease(max: number, _leaseMs: number, blockMs: number, signal?: AbortSignal): Promise<RawLease[]> {
    if (this.closing !== undefined) throw new QueueClosedError(this.ctx.spec.name, 'lease');
    const { clock } = this.ctx;
    if (this.surplus.length > 0) return this.surplus.splice(0, max).map(toLease);
    const out = this.takeDue(max, clock.now());
    if (out.length > 0 || signal?.aborted === true) return out;
    const nextDue = this.early[0]?.dueAt;
    const block = nextDue === undefined ? blockMs : Math.max(0, Math.min(blockMs, nextDue - clock.now()));
    const entries = await this.read(max, block, signal);
    const now = clock.now();
    for (const e of entries) {
      if (e.dueAt !== undefined) {
        // enqueue.lua also listed it as scheduled (for stats); read, it is no longer waiting there.
        void this.ctx.client.zrem(this.ctx.keys.scheduled, e.id).catch(() => undefined);
        if (e.dueAt > now) {
          this.keepUntilDue(e);
          continue;
        }
      }
      // A packed entry may hold more messages than asked for: the rest wait for the next lease().
      if (out.length < max) out.push(toLease(e));
      else this.surplus.push(e);
    }
    if (out.length < max) out.push(...this.takeDue(max - out.length, now));
    // After the surplus is set aside: a trim keeps the entries it still holds messages of.
    if (this.readSinceTrim >= TRIM_EVERY_ENTRIES || this.bytesSinceTrim >= TRIM_EVERY_BYTES || now - this.lastTrimAt >= TRIM_EVERY_MS) void this.trim().catch(() => undefined);
    return out;
  }

  /** Nothing to tell the server: a tail delivery is done once read. */
  ack(leases: readonly RawLease[]): Promise<SettleOutcome[]> {
    return Promise.resolve(leases.map((): SettleOutcome => 'ok'));
  }

  renew(lease: RawLease): Promise<number> {
    return Promise.resolve(lease.leaseExpiresAt);
  }

  /** Never called by core for a tail consumer (it dead-letters instead); refused so a direct caller learns it. */
  release(): Promise<void> {
    return Promise.reject(new Error(`queue "${this.ctx.spec.name}": a tail consumer cannot release (nothing would deliver the message again); dead-letter it`));
  }

  /** Stores the delivery as a dead letter (the fields fenced-dead-letter.lua writes), with no fence: nothing holds it. */
  async deadLetter(lease: RawLease, reason: string, payload?: Uint8Array): Promise<void> {
    const { ctx } = this;
    const p = payload ?? lease.payload;
    const fields: Array<string | Buffer> = ['q', ctx.spec.name, 'o', lease.id, 'n', String(lease.attempt), 'r', reason, 't', String(lease.enqueuedAt)];
    for (const _ in lease.headers) {
      fields.push('h', JSON.stringify(lease.headers));
      break;
    }
    fields.push('p', Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    try {
      await ctx.client.xadd(ctx.keys.deadLetters, '*', ...fields);
    } catch (err) {
      throw toBackendError(err, ctx.spec.name, 'dead-letter', ctx.describeServer);
    }
    await ctx.deadLetterRetention.afterDeadLetter();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopping.abort();
    try {
      // What was read is done: trim it now rather than leave it to the next reader.
      if (this.ctx.client.status === 'ready') {
        await this.trim();
        if (this.markedAt > Number.NEGATIVE_INFINITY) await this.ctx.client.del(this.ctx.keys.tailReader).catch(() => undefined);
      }
    } finally {
      this.reader?.disconnect();
      this.reader = undefined;
      this.onClosed();
    }
  }

  private takeDue(max: number, now: number): RawLease[] {
    let n = 0;
    while (n < max && n < this.early.length && (this.early[n] as ParsedEntry).dueAt! <= now) n++;
    return n === 0 ? [] : this.early.splice(0, n).map(toLease);
  }

  private keepUntilDue(e: ParsedEntry): void {
    let i = this.early.length;
    while (i > 0 && (this.early[i - 1] as ParsedEntry).dueAt! > e.dueAt!) i--;
    this.early.splice(i, 0, e);
  }

  /** One XREAD from the last id. A stop disconnects the reader (the pending read is dropped, not re-sent). */
  private async read(count: number, blockMs: number, signal: AbortSignal | undefined): Promise<ParsedEntry[]> {
    const { ctx } = this;
    this.streamMade ??= this.makeStream();
    await this.streamMade;
    // Stopped while the stream was being made: a reader opened now would outlive the close.
    if (this.readStop.isStopped(signal)) return [];
    this.reader ??= this.newReader();
    const reader = this.reader;
    let reply: unknown;
    if (ctx.clock.now() - this.markedAt >= TAIL_READER_MARK_MS / 3) this.mark();
    try {
      const block = blockMs > 0 ? ['BLOCK', blockMs] : [];
      this.readStop.begin(signal);
      reply = await reader.callBuffer('XREAD', 'COUNT', count, ...block, 'STREAMS', ctx.keys.stream, this.lastId);
      if (!this.reading) {
        this.reading = true;
        ctx.consuming('tail', this.consumerName);
      }
    } catch (err) {
      if (this.readStop.isStopped(signal)) return [];
      throw toBackendError(err, ctx.spec.name, 'XREAD', ctx.describeServer);
    } finally {
      this.readStop.end();
    }
    if (reply === null || !Array.isArray(reply) || reply.length === 0) return [];
    const raw = (reply[0] as [Buffer, Array<[Buffer, Buffer[] | null]>])[1];
    if (raw.length === 0) return [];
    const entries: ParsedEntry[] = [];
    for (const [rawId, fields] of raw) {
      const id = rawId.toString('latin1');
      const parts = packedParts(id, fields);
      if (parts === undefined) entries.push(parseEntry(id, fields));
      else for (const part of parts) entries.push(part);
      this.lastId = id;
    }
    this.readSinceTrim += entries.length;
    for (const e of entries) this.bytesSinceTrim += e.payload.length;
    return entries;
  }

  /**
   * Creates the stream, empty, if it does not exist yet, as a group consumer's MKSTREAM does, so
   * tools and key hygiene see the queue from its reader's start: a probe group made with MKSTREAM
   * and destroyed at once (no entry is written, none is trimmed).
   */
  private async makeStream(): Promise<void> {
    const { ctx } = this;
    const probe = `tail-probe:${this.consumerName}`;
    try {
      await ctx.client.xgroup('CREATE', ctx.keys.stream, probe, '$', 'MKSTREAM');
    } catch (err) {
      // BUSYGROUP: a probe left by a process that died between the two commands; removed below.
      if (!(err instanceof Error && /BUSYGROUP/.test(err.message))) {
        this.streamMade = undefined;
        throw toBackendError(err, ctx.spec.name, 'create the stream', ctx.describeServer);
      }
    }
    await ctx.client.xgroup('DESTROY', ctx.keys.stream, probe).catch(() => undefined);
  }

  /** Sets the tail-reader mark for another TTL (on the command connection, not awaited; a failure is retried at the next read). */
  private mark(): void {
    const { ctx } = this;
    const at = ctx.clock.now();
    this.markedAt = at;
    ctx.client.set(ctx.keys.tailReader, '1', 'PX', TAIL_READER_MARK_MS).catch(() => {
      if (this.markedAt === at) this.markedAt = Number.NEGATIVE_INFINITY;
    });
  }

  private newReader(): ValkeyClient {
    const reader = this.ctx.createReader(this.consumerName);
    reader.on('close', () => {
      this.reading = false;
    });
    return reader;
  }

  /**
   * Deletes every entry read and handed out (on the shared command connection, not awaited by
   * reads); a packed entry whose messages still wait in `surplus` stays until they are taken.
   */
  private async trim(): Promise<void> {
    const waiting = this.surplus[0];
    const below = waiting !== undefined ? entryIdOf(waiting.id) : this.lastId === '0' ? undefined : nextStreamId(this.lastId);
    if (below === undefined || below === this.trimmedBelow) return;
    const { ctx } = this;
    this.readSinceTrim = 0;
    this.bytesSinceTrim = 0;
    this.lastTrimAt = ctx.clock.now();
    try {
      await ctx.client.xtrim(ctx.keys.stream, 'MINID', below);
      this.trimmedBelow = below;
    } catch (err) {
      ctx.logger.warn({ queue: ctx.spec.name, err }, 'could not trim what the tail reader read; will try again');
      throw err;
    }
  }
}

function toLease(e: ParsedEntry): RawLease {
  return { id: e.id, payload: e.payload, headers: e.headers, attempt: 1, enqueuedAt: e.enqueuedAt, leaseExpiresAt: NEVER_EXPIRES };
}
