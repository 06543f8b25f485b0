/**
 * The lease read loop of one consumer: reclaim when due, then XREADGROUP for new entries on the
 * consumer's own connection (a blocking read must not hold up other commands), until something
 * arrives, `blockMs` passes, or a stop. Delayed enqueues read here are parked until due.
 */
import type { RawLease } from '@switchyard/core';
import type { ValkeyClient } from './connection.js';
import type { ConsumerGroup } from './consumer-group.js';
import type { ConsumerIdentity } from './consumer-context.js';
import { parseEntry, type ParsedEntry } from './entry.js';
import { isNoGroup, toBackendError } from './errors.js';
import type { HeldLeases } from './held-leases.js';
import type { Reclaimer } from './reclaimer.js';
import { ReadStop } from './read-stop.js';

const STOPPED: unique symbol = Symbol('stopped');

export class LeaseReader {
  private reader: ValkeyClient | undefined;
  /** True from a read that reached the server until the reader's connection drops: drives the `consuming` status event. */
  private reading = false;
  /**
   * The reader's connection dropped (or a read failed) while a read was outstanding: the server
   * may have served that read and the reply never arrived, leaving entries pending for this
   * consumer that nobody holds. Checked before the next read (see recoverLostReplies).
   */
  private replyMayBeLost = false;
  /** Waits in progress (unlessStopped): each is told when a signal aborts, and ends if its own did. */
  private readonly waiters = new Set<() => void>();
  /** The outstanding read: an abort of its signal or the consumer's stop drops the reader connection. */
  private readonly readStop: ReadStop;

  constructor(
    private readonly who: ConsumerIdentity,
    private readonly group: ConsumerGroup,
    private readonly reclaimer: Reclaimer,
    private readonly held: HeldLeases,
    /** Aborted when the consumer closes: every wait ends at once. */
    stopping: AbortSignal,
  ) {
    this.readStop = new ReadStop(
      stopping,
      () => {
        const reader = this.reader;
        this.reader = undefined;
        reader?.disconnect();
      },
      () => {
        for (const wake of this.waiters) wake();
      },
    );
  }

  async lease(max: number, leaseMs: number, blockMs: number, signal: AbortSignal | undefined): Promise<RawLease[]> {
    if (!this.group.isReady() && (await this.unlessStopped(this.group.ensure(), signal)) === STOPPED) return [];
    const { clock } = this.who.ctx;
    const deadline = clock.now() + blockMs;
    for (;;) {
      const out: RawLease[] = [];
      if (this.reclaimer.isDue()) {
        if ((await this.unlessStopped(this.reclaimer.sweepIfDue(), signal)) === STOPPED) return [];
        const claimed = await this.unlessStopped(this.reclaimer.reclaim(max, leaseMs), signal);
        if (claimed === STOPPED) return [];
        out.push(...claimed);
      }
      if (this.replyMayBeLost && out.length < max && !this.isStopped(signal)) {
        const recovered = await this.unlessStopped(this.recoverLostReplies(max - out.length, leaseMs), signal);
        if (recovered === STOPPED) return out;
        out.push(...recovered);
      }
      if (out.length < max && !this.isStopped(signal)) {
        const remaining = deadline - clock.now();
        const block = out.length > 0 || remaining <= 0 ? 0 : Math.min(remaining, this.reclaimer.intervalMs);
        out.push(...(await this.read(max - out.length, leaseMs, block, signal)));
      }
      if (out.length > 0 || clock.now() >= deadline || this.isStopped(signal)) return out;
    }
  }

  /** Drops the reader connection (the consumer closed). */
  disconnect(): void {
    this.reader?.disconnect();
    this.reader = undefined;
  }

  /**
   * `work`, or STOPPED as soon as `signal` or the consumer's stop aborts: a stop never waits on a
   * command stuck behind a dead connection. Leases such a late reclaim claims expire and are reclaimed.
   */
  private unlessStopped<R>(work: Promise<R>, signal: AbortSignal | undefined): Promise<R | typeof STOPPED> {
    if (this.isStopped(signal)) {
      work.catch(() => undefined);
      return Promise.resolve(STOPPED);
    }
    this.readStop.watch(signal);
    return new Promise<R | typeof STOPPED>((resolve, reject) => {
      const wake = (): void => {
        if (!this.isStopped(signal)) return;
        this.waiters.delete(wake);
        resolve(STOPPED);
      };
      this.waiters.add(wake);
      work.then(
        (value) => {
          this.waiters.delete(wake);
          resolve(value);
        },
        (err: unknown) => {
          this.waiters.delete(wake);
          reject(err);
        },
      );
    });
  }

  private isStopped(signal: AbortSignal | undefined): boolean {
    return this.readStop.isStopped(signal);
  }

  private readerClient(): ValkeyClient {
    if (this.reader === undefined) {
      this.reader = this.who.ctx.createReader(this.who.consumerName);
      this.reader.on('close', () => {
        this.reading = false;
        if (this.readStop.outstanding) this.replyMayBeLost = true;
      });
      // A Cluster reader stays open while one node's connection drops (a master failing over).
      const nodeLost = (): void => {
        if (this.readStop.outstanding) this.replyMayBeLost = true;
      };
      this.reader.on('-node', nodeLost);
      this.reader.on('node error', nodeLost);
    }
    return this.reader;
  }

  /** One XREADGROUP for new entries. An abort disconnects the reader (the pending read is dropped, not re-sent). */
  private async read(count: number, leaseMs: number, blockMs: number, signal: AbortSignal | undefined): Promise<RawLease[]> {
    const { ctx, group, consumerName } = this.who;
    const reader = this.readerClient();
    let reply: unknown;
    try {
      const block = blockMs > 0 ? ['BLOCK', blockMs] : [];
      // An abort of `signal` or the consumer's stop disconnects the reader while this read is out.
      this.readStop.begin(signal);
      // Raced with the stop signal too: disconnect() does not reject a read queued while the
      // reader is between reconnect attempts.
      const got = await this.unlessStopped(
        reader.callBuffer('XREADGROUP', 'GROUP', group, consumerName, 'COUNT', count, ...block, 'STREAMS', ctx.keys.stream, '>'),
        signal,
      );
      if (got === STOPPED) return [];
      reply = got;
      if (!this.reading) {
        this.reading = true;
        ctx.consuming(group, consumerName);
      }
    } catch (err) {
      this.replyMayBeLost = true;
      if (this.isStopped(signal)) return [];
      if (isNoGroup(err)) {
        await this.group.recreate();
        return [];
      }
      throw toBackendError(err, ctx.spec.name, 'XREADGROUP', ctx.describeServer);
    } finally {
      this.readStop.end();
    }
    if (reply === null || !Array.isArray(reply) || reply.length === 0) return [];
    const entries = (reply[0] as [Buffer, Array<[Buffer, Buffer[] | null]>])[1];
    const parsed = entries.map(([id, fields]) => parseEntry(id.toString('latin1'), fields));
    const scheduled = parsed.filter((e) => e.dueAt !== undefined);
    if (scheduled.length > 0) await this.park(scheduled);
    const ready = scheduled.length > 0 ? parsed.filter((e) => e.dueAt === undefined) : parsed;
    if (ready.length > 0 && leaseMs !== ctx.spec.leaseMs) await this.adjust(ready.map((e) => e.id), leaseMs);
    // Read with '>' is always the first delivery: count 1, base 0.
    return ready.map((e) => this.held.hand(e, 0, 1, leaseMs));
  }

  /**
   * Claims back what a lost read reply left pending for this consumer: its pending entries that it
   * does not hold and did not release. Runs only between reads (none outstanding), so every
   * pending entry a served read gave it is already held; well before lease expiry.
   */
  private async recoverLostReplies(max: number, leaseMs: number): Promise<RawLease[]> {
    const { ctx, group, consumerName } = this.who;
    const { client, keys, spec } = ctx;
    let pending: Array<[string, string, number, number]>;
    try {
      pending = (await client.xpending(keys.stream, group, '-', '+', Math.max(max, 100), consumerName)) as Array<[string, string, number, number]>;
    } catch (err) {
      if (isNoGroup(err)) {
        this.replyMayBeLost = false;
        return [];
      }
      throw toBackendError(err, spec.name, 'list own pending entries', ctx.describeServer);
    }
    const held = new Set(this.held.ids());
    const lost = pending.filter(([id]) => !held.has(id)).slice(0, max);
    // Only a short list means every lost entry was seen; otherwise look again on the next lease call.
    if (pending.length < Math.max(max, 100)) this.replyMayBeLost = false;
    if (lost.length === 0) return [];
    const args: Array<string | number> = [keys.stream, keys.delayed, keys.leaseExtensions, group, consumerName, spec.leaseMs, leaseMs];
    for (const [id, , , count] of lost) args.push(id, count);
    let claimed: Array<[Buffer, Buffer[], number]>;
    try {
      claimed = await client.syRecoverOwnBuffer(...args);
    } catch (err) {
      throw toBackendError(err, spec.name, 'recover entries of a lost read reply', ctx.describeServer);
    }
    if (claimed.length > 0) ctx.logger.info({ queue: spec.name, group, consumer: consumerName, entries: claimed.length }, 'claimed back entries whose read reply was lost');
    const out: RawLease[] = [];
    const scheduled: ParsedEntry[] = [];
    for (const [id, fields, count] of claimed) {
      const e = parseEntry(id.toString('latin1'), fields);
      if (e.dueAt !== undefined) scheduled.push(e);
      else out.push(this.held.hand(e, 0, count, leaseMs));
    }
    if (scheduled.length > 0) await this.park(scheduled);
    return out;
  }

  private async park(entries: readonly ParsedEntry[]): Promise<void> {
    const { ctx, group } = this.who;
    const { client, keys } = ctx;
    const args: Array<string | number> = [keys.stream, keys.delayed, keys.scheduled, group];
    for (const e of entries) args.push(e.id, e.dueAt ?? 0);
    try {
      await client.syParkScheduled(...args);
    } catch (err) {
      throw toBackendError(err, ctx.spec.name, 'park delayed enqueues', ctx.describeServer);
    }
    this.reclaimer.requestSoon();
  }

  private async adjust(ids: readonly string[], leaseMs: number): Promise<void> {
    const { ctx, group, consumerName } = this.who;
    const { client, keys, spec } = ctx;
    try {
      await client.syAdjustLeases(keys.stream, keys.leaseExtensions, group, consumerName, spec.leaseMs, leaseMs, ...ids);
    } catch (err) {
      throw toBackendError(err, spec.name, 'adjust lease length', ctx.describeServer);
    }
  }
}
