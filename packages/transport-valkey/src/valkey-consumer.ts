/**
 * One consumer of one queue: the lease read loop (XREADGROUP on its own connection), reclaim of
 * expired and due deliveries on a cadence, and the fenced settle operations (SPEC §3 mapping).
 *
 * Attempt = attempt base + the entry's delivery count in the group's pending list. The base is 0,
 * or -1 for a delayed enqueue, whose first read only parks it until due. The fence passed to the
 * scripts is that delivery count.
 */
import { BackendUnavailableError, LeaseLostError, QueueClosedError, type BackendConsumer, type BackendQueueSpec, type Clock, type ConsumptionMode, type Logger, type RawLease, type SettleOutcome } from '@switchyard/core';
import type { ValkeyClient } from './connection.js';
import { parseEntry, type ParsedEntry } from './entry.js';
import { checkFenced, isNoGroup, toBackendError } from './errors.js';
import { FANOUT_GROUP_PREFIX, type QueueKeys } from './keys.js';

/** What a consumer needs from its queue and backend (a narrow view, STYLE §1 bullmq lock-manager). */
export interface ConsumerContext {
  readonly spec: BackendQueueSpec;
  readonly keys: QueueKeys;
  readonly client: ValkeyClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reclaimIntervalMs: number;
  /** 0 = no sweep of stale groups and consumers. */
  readonly staleGroupMs: number;
  createReader(consumerName: string): ValkeyClient;
  groupRecreated(group: string): void;
  /** The read loop is reading again (first read, or first after its connection dropped). */
  consuming(group: string, consumer: string): void;
}

const STOPPED: unique symbol = Symbol('stopped');

export class ValkeyConsumer implements BackendConsumer {
  /** Delivery count of each delivery handed out: the fence (core passes the same objects back). */
  private readonly counts = new WeakMap<RawLease, number>();
  /** Ids this consumer may still hold (released on close); dropped on any settle outcome. */
  private readonly held = new Set<string>();
  private reader: ValkeyClient | undefined;
  /** True from a read that reached the server until the reader's connection drops: drives the `consuming` status event. */
  private reading = false;
  private groupReady: Promise<void> | undefined;
  private lastReclaimAt = Number.NEGATIVE_INFINITY;
  private reclaimCursor = '-';
  private reclaimSoon = true;
  private lastSweepAt: number;
  private readonly stopping = new AbortController();
  private active: Promise<RawLease[]> | undefined;
  private closing: Promise<void> | undefined;
  private readonly intervalMs: number;
  private readonly queue: string;

  constructor(
    private readonly ctx: ConsumerContext,
    readonly mode: ConsumptionMode,
    readonly group: string,
    readonly consumerName: string,
    private readonly onClosed: () => void,
  ) {
    this.queue = ctx.spec.name;
    this.lastSweepAt = ctx.clock.now();
    this.intervalMs = ctx.reclaimIntervalMs > 0 ? ctx.reclaimIntervalMs : Math.max(10, Math.min(Math.floor(ctx.spec.leaseMs / 4), 250));
  }

  lease(max: number, leaseMs: number, blockMs: number, signal?: AbortSignal): Promise<RawLease[]> {
    if (this.closing !== undefined) return Promise.reject(new QueueClosedError(this.queue, 'lease'));
    if (signal?.aborted) return Promise.resolve([]);
    const run = this.leaseLoop(max, leaseMs, blockMs, signal);
    this.active = run;
    return run.finally(() => {
      if (this.active === run) this.active = undefined;
    });
  }

  private async leaseLoop(max: number, leaseMs: number, blockMs: number, signal: AbortSignal | undefined): Promise<RawLease[]> {
    if ((await this.unlessStopped(this.ensureGroup(), signal)) === STOPPED) return [];
    const { clock } = this.ctx;
    const deadline = clock.now() + blockMs;
    for (;;) {
      const out: RawLease[] = [];
      if (this.reclaimSoon || clock.now() - this.lastReclaimAt >= this.intervalMs) {
        if ((await this.unlessStopped(this.sweepIfDue(), signal)) === STOPPED) return [];
        const claimed = await this.unlessStopped(this.reclaim(max, leaseMs), signal);
        if (claimed === STOPPED) return [];
        out.push(...claimed);
      }
      if (out.length < max && !this.isStopped(signal)) {
        const remaining = deadline - clock.now();
        const block = out.length > 0 || remaining <= 0 ? 0 : Math.min(remaining, this.intervalMs);
        out.push(...(await this.read(max - out.length, leaseMs, block, signal)));
      }
      if (out.length > 0 || clock.now() >= deadline || this.isStopped(signal)) return out;
    }
  }

  /**
   * `work`, or STOPPED as soon as `signal` or close() aborts: a stop never waits on a command
   * stuck behind a dead connection. Leases such a late reclaim claims expire and are reclaimed.
   */
  private unlessStopped<R>(work: Promise<R>, signal: AbortSignal | undefined): Promise<R | typeof STOPPED> {
    if (this.isStopped(signal)) {
      work.catch(() => undefined);
      return Promise.resolve(STOPPED);
    }
    return new Promise<R | typeof STOPPED>((resolve, reject) => {
      const onAbort = (): void => {
        cleanup();
        resolve(STOPPED);
      };
      const cleanup = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.stopping.signal.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.stopping.signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (err: unknown) => {
          cleanup();
          reject(err);
        },
      );
    });
  }

  private isStopped(signal: AbortSignal | undefined): boolean {
    return signal?.aborted === true || this.stopping.signal.aborted;
  }

  /** Creates the group (and registers it) once; again after NOGROUP. */
  private ensureGroup(): Promise<void> {
    this.groupReady ??= this.createGroup().catch((err: unknown) => {
      this.groupReady = undefined;
      throw toBackendError(err, this.queue, 'create consumer group');
    });
    return this.groupReady;
  }

  private async createGroup(): Promise<void> {
    const { client, keys } = this.ctx;
    // Competing groups start from '0' (work enqueued before any consumer is kept); fan-out from '$'.
    const start = this.mode === 'competing' ? '0' : '$';
    try {
      await client.xgroup('CREATE', keys.stream, this.group, start, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && /BUSYGROUP/.test(err.message))) throw err;
    }
    if (this.mode === 'competing') await client.sadd(keys.groups, this.group);
    else await client.set(keys.fanout, '1');
  }

  private async recreateGroup(): Promise<void> {
    this.groupReady = undefined;
    this.reclaimCursor = '-';
    await this.ensureGroup();
    this.ctx.logger.warn({ queue: this.queue, group: this.group }, 'consumer group was missing (server lost its data); recreated it');
    this.ctx.groupRecreated(this.group);
  }

  private readerClient(): ValkeyClient {
    if (this.reader === undefined) {
      this.reader = this.ctx.createReader(this.consumerName);
      this.reader.on('close', () => {
        this.reading = false;
      });
    }
    return this.reader;
  }

  /** One XREADGROUP for new entries. An abort disconnects the reader (the pending read is dropped, not re-sent). */
  private async read(count: number, leaseMs: number, blockMs: number, signal: AbortSignal | undefined): Promise<RawLease[]> {
    const { keys } = this.ctx;
    const reader = this.readerClient();
    const onAbort = (): void => {
      if (this.reader === reader) this.reader = undefined;
      reader.disconnect();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.stopping.signal.addEventListener('abort', onAbort, { once: true });
    let reply: unknown;
    try {
      const block = blockMs > 0 ? ['BLOCK', blockMs] : [];
      // Raced with the stop signal too: disconnect() does not reject a read queued while the
      // reader is between reconnect attempts.
      const got = await this.unlessStopped(
        reader.callBuffer('XREADGROUP', 'GROUP', this.group, this.consumerName, 'COUNT', count, ...block, 'STREAMS', keys.stream, '>'),
        signal,
      );
      if (got === STOPPED) return [];
      reply = got;
      if (!this.reading) {
        this.reading = true;
        this.ctx.consuming(this.group, this.consumerName);
      }
    } catch (err) {
      if (this.isStopped(signal)) return [];
      if (isNoGroup(err)) {
        await this.recreateGroup();
        return [];
      }
      throw toBackendError(err, this.queue, 'XREADGROUP');
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.stopping.signal.removeEventListener('abort', onAbort);
    }
    if (reply === null || !Array.isArray(reply) || reply.length === 0) return [];
    const entries = (reply[0] as [Buffer, Array<[Buffer, Buffer[] | null]>])[1];
    const parsed = entries.map(([id, fields]) => parseEntry(id.toString('latin1'), fields));
    const scheduled = parsed.filter((e) => e.dueAt !== undefined);
    if (scheduled.length > 0) await this.park(scheduled);
    const ready = scheduled.length > 0 ? parsed.filter((e) => e.dueAt === undefined) : parsed;
    if (ready.length > 0 && leaseMs !== this.ctx.spec.leaseMs) await this.adjust(ready.map((e) => e.id), leaseMs);
    // Read with '>' is always the first delivery: count 1, base 0.
    return ready.map((e) => this.toLease(e, 0, 1, leaseMs));
  }

  private toLease(e: ParsedEntry, base: number, count: number, leaseMs: number): RawLease {
    this.held.add(e.id);
    const lease: RawLease = { id: e.id, payload: e.payload, headers: e.headers, attempt: base + count, enqueuedAt: e.enqueuedAt, leaseExpiresAt: this.ctx.clock.now() + leaseMs };
    this.counts.set(lease, count);
    return lease;
  }

  private async park(entries: readonly ParsedEntry[]): Promise<void> {
    const { client, keys } = this.ctx;
    const args: Array<string | number> = [keys.stream, keys.delayed, keys.scheduled, this.group];
    for (const e of entries) args.push(e.id, e.dueAt ?? 0);
    await this.command('park delayed enqueues', () => client.syParkScheduled(...args));
    this.reclaimSoon = true;
  }

  private async adjust(ids: readonly string[], leaseMs: number): Promise<void> {
    const { client, keys, spec } = this.ctx;
    await this.command('adjust lease length', () => client.syAdjustLeases(keys.stream, keys.leaseExtensions, this.group, this.consumerName, spec.leaseMs, leaseMs, ...ids));
  }

  /** At most once a minute (and a quarter of staleGroupMs): removes groups and consumers crashed processes left. */
  private async sweepIfDue(): Promise<void> {
    const { client, keys, clock, staleGroupMs, logger } = this.ctx;
    if (staleGroupMs <= 0 || clock.now() - this.lastSweepAt < Math.min(60_000, staleGroupMs / 4)) return;
    this.lastSweepAt = clock.now();
    try {
      const [groups, consumers] = await client.sySweepStale(keys.stream, keys.delayed, keys.leaseExtensions, this.group, this.consumerName, staleGroupMs, FANOUT_GROUP_PREFIX);
      if (groups > 0 || consumers > 0) logger.info({ queue: this.queue, groups, consumers }, 'removed stale fan-out groups and idle consumers');
    } catch (err) {
      logger.warn({ queue: this.queue, err }, 'sweep of stale groups failed; will try again');
    }
  }

  /** Claims due releases and expired leases (attempt + 1) for this consumer. */
  private async reclaim(max: number, leaseMs: number): Promise<RawLease[]> {
    const { client, keys, spec, clock } = this.ctx;
    this.reclaimSoon = false;
    this.lastReclaimAt = clock.now();
    let reply: [Buffer, Array<[Buffer, Buffer[], number]>, number];
    try {
      reply = await client.syReclaimBuffer(keys.stream, keys.delayed, keys.leaseExtensions, this.group, this.consumerName, spec.leaseMs, max, this.reclaimCursor, leaseMs);
    } catch (err) {
      if (isNoGroup(err)) {
        await this.recreateGroup();
        return [];
      }
      throw toBackendError(err, this.queue, 'reclaim');
    }
    const [cursor, claimed, dangling] = reply;
    this.reclaimCursor = cursor.toString('latin1');
    if (dangling > 0) this.ctx.logger.warn({ queue: this.queue, group: this.group, dangling }, 'acked pending ids whose entries were deleted or trimmed');
    if (claimed.length >= max) this.reclaimSoon = true;
    return claimed.map(([id, fields, count]) => {
      const e = parseEntry(id.toString('latin1'), fields);
      return this.toLease(e, e.dueAt === undefined ? 0 : -1, count, leaseMs);
    });
  }

  /** The fence of `lease`; for an object this consumer did not hand out, its attempt (base 0). */
  private count(lease: RawLease): number {
    return this.counts.get(lease) ?? lease.attempt;
  }

  async ack(leases: readonly RawLease[]): Promise<SettleOutcome[]> {
    if (leases.length === 0) return [];
    const { client, keys } = this.ctx;
    const args: Array<string | number> = [keys.stream, keys.delayed, keys.leaseExtensions, keys.groups, keys.fanout, this.group, this.consumerName];
    if (leases.every((l) => this.count(l) === 1)) {
      args.push('first');
      for (const l of leases) args.push(l.id);
    } else {
      args.push('pairs');
      for (const l of leases) args.push(l.id, this.count(l));
    }
    const codes = await this.command('ack', () => client.syFencedAck(...args));
    return leases.map((l, i) => {
      this.held.delete(l.id);
      return codes[i] === 1 ? 'ok' : 'lease-lost';
    });
  }

  async renew(lease: RawLease, leaseMs: number): Promise<number> {
    const { client, keys, spec, clock } = this.ctx;
    const reply = await this.command('renew', () =>
      client.syFencedRenew(keys.stream, keys.delayed, keys.leaseExtensions, this.group, this.consumerName, lease.id, this.count(lease), leaseMs, spec.leaseMs),
    );
    checkFenced(reply, this.queue, lease.id);
    return clock.now() + leaseMs;
  }

  async release(lease: RawLease, delayMs: number): Promise<void> {
    const { client, keys } = this.ctx;
    const reply = await this.command('release', () =>
      client.syFencedRelease(keys.stream, keys.delayed, keys.leaseExtensions, this.group, this.consumerName, lease.id, this.count(lease), Math.max(0, Math.floor(delayMs))),
    );
    this.held.delete(lease.id);
    checkFenced(reply, this.queue, lease.id);
    this.reclaimSoon = true;
  }

  async deadLetter(lease: RawLease, reason: string, payload?: Uint8Array): Promise<void> {
    const { client, keys, spec } = this.ctx;
    const args = [this.group, this.consumerName, lease.id, this.count(lease), reason, spec.name, lease.attempt, lease.enqueuedAt];
    const reply = await this.command('dead-letter', () =>
      client.syFencedDeadLetter(
        keys.stream, keys.deadLetters, keys.delayed, keys.leaseExtensions, keys.groups, keys.fanout,
        ...(payload === undefined ? args : [...args, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)]),
      ),
    );
    this.held.delete(lease.id);
    checkFenced(reply, this.queue, lease.id);
  }

  private async command<R>(operation: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      throw toBackendError(err, this.queue, operation);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopping.abort(new QueueClosedError(this.queue, 'lease'));
    try {
      await this.active?.catch(() => undefined);
      // Nothing stays leased forever: what this consumer still holds goes back now. While the
      // server is unreachable that is skipped: held leases expire, a fan-out group is swept.
      const connected = this.ctx.client.status === 'ready';
      if (connected) for (const id of [...this.held]) await this.releaseHeld(id);
      if (this.mode === 'fanout' && connected) {
        await this.ctx.client.xgroup('DESTROY', this.ctx.keys.stream, this.group).catch((err: unknown) => {
          this.ctx.logger.warn({ queue: this.queue, group: this.group, err }, 'could not remove the fan-out group');
        });
      }
    } finally {
      this.reader?.disconnect();
      this.reader = undefined;
      this.onClosed();
    }
  }

  private async releaseHeld(id: string): Promise<void> {
    const { client, keys } = this.ctx;
    try {
      const pending = (await client.xpending(keys.stream, this.group, id, id, 1)) as Array<[string, string, number, number]>;
      const entry = pending[0];
      if (entry === undefined || entry[1] !== this.consumerName) return;
      await client.syFencedRelease(keys.stream, keys.delayed, keys.leaseExtensions, this.group, this.consumerName, id, entry[3], 0);
    } catch (err) {
      if (!(err instanceof LeaseLostError) && !(err instanceof BackendUnavailableError)) {
        this.ctx.logger.warn({ queue: this.queue, id, err }, 'could not release a held lease on close; it will expire');
      }
    } finally {
      this.held.delete(id);
    }
  }
}
