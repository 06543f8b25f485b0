/**
 * Reclaim for one consumer, on a cadence: claims due releases and expired leases (XAUTOCLAIM in
 * the reclaim script; attempt + 1), and now and then sweeps the groups and consumers crashed
 * processes left behind.
 */
import type { RawLease } from '@switchyard/core';
import type { ConsumerGroup } from './consumer-group.js';
import type { ConsumerIdentity } from './consumer-context.js';
import { parseEntry } from './entry.js';
import { isNoGroup, toBackendError } from './errors.js';
import type { HeldLeases } from './held-leases.js';
import { FANOUT_GROUP_PREFIX } from './keys.js';

export class Reclaimer {
  private lastReclaimAt = Number.NEGATIVE_INFINITY;
  private cursor = '-';
  /** The group generation `cursor` belongs to. */
  private cursorGeneration = 0;
  private soon = true;
  private lastSweepAt: number;
  /** How often reclaim runs while the read loop is busy or blocked. */
  readonly intervalMs: number;

  constructor(
    private readonly who: ConsumerIdentity,
    private readonly group: ConsumerGroup,
    private readonly held: HeldLeases,
  ) {
    const { ctx } = who;
    this.lastSweepAt = ctx.clock.now();
    this.intervalMs = ctx.reclaimIntervalMs > 0 ? ctx.reclaimIntervalMs : Math.max(10, Math.min(Math.floor(ctx.spec.leaseMs / 4), 250));
  }

  /** True when a reclaim is due: on its cadence, or asked for (a release, a parked entry, a full batch). */
  isDue(): boolean {
    return this.soon || this.who.ctx.clock.now() - this.lastReclaimAt >= this.intervalMs;
  }

  /** Something will be claimable soon (a release, a parked delayed entry): reclaim on the next read. */
  requestSoon(): void {
    this.soon = true;
  }

  /** Claims due releases and expired leases (attempt + 1) for this consumer. */
  async reclaim(max: number, leaseMs: number): Promise<RawLease[]> {
    const { ctx, group, consumerName } = this.who;
    const { client, keys, spec, clock } = ctx;
    this.soon = false;
    this.lastReclaimAt = clock.now();
    if (this.cursorGeneration !== this.group.generation) {
      // The group was recreated: its pending list starts over.
      this.cursorGeneration = this.group.generation;
      this.cursor = '-';
    }
    let reply: [Buffer, Array<[Buffer, Buffer[], number]>, number];
    try {
      reply = await client.syReclaimBuffer(keys.stream, keys.delayed, keys.leaseExtensions, group, consumerName, spec.leaseMs, max, this.cursor, leaseMs);
    } catch (err) {
      if (isNoGroup(err)) {
        await this.group.recreate();
        return [];
      }
      throw toBackendError(err, spec.name, 'reclaim', ctx.describeServer);
    }
    const [cursor, claimed, dangling] = reply;
    if (this.cursorGeneration === this.group.generation) this.cursor = cursor.toString('latin1');
    if (dangling > 0) ctx.logger.warn({ queue: spec.name, group, dangling }, 'acked pending ids whose entries were deleted or trimmed');
    if (claimed.length >= max) this.soon = true;
    return claimed.map(([id, fields, count]) => {
      const e = parseEntry(id.toString('latin1'), fields);
      return this.held.hand(e, e.dueAt === undefined ? 0 : -1, count, leaseMs);
    });
  }

  /** At most once a minute (and a quarter of staleGroupMs): removes groups and consumers crashed processes left. */
  async sweepIfDue(): Promise<void> {
    const { ctx, group, consumerName } = this.who;
    const { client, keys, clock, staleGroupMs, logger, spec } = ctx;
    if (staleGroupMs <= 0 || clock.now() - this.lastSweepAt < Math.min(60_000, staleGroupMs / 4)) return;
    this.lastSweepAt = clock.now();
    try {
      const [groups, consumers] = await client.sySweepStale(keys.stream, keys.delayed, keys.leaseExtensions, group, consumerName, staleGroupMs, FANOUT_GROUP_PREFIX);
      if (groups > 0 || consumers > 0) logger.info({ queue: spec.name, groups, consumers }, 'removed stale fan-out groups and idle consumers');
    } catch (err) {
      logger.warn({ queue: spec.name, err }, 'sweep of stale groups failed; will try again');
    }
  }
}
