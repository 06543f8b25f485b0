/**
 * The fenced settle operations of one consumer: ack, renew, release, dead-letter (each one Lua
 * script that changes nothing unless this delivery still holds the entry), and the release of
 * what is still held when the consumer closes.
 */
import { BackendUnavailableError, LeaseLostError, type RawLease, type SettleOutcome } from '@switchyard/core';
import type { ConsumerIdentity } from './consumer-context.js';
import { checkFenced, toBackendError } from './errors.js';
import type { HeldLeases } from './held-leases.js';
import type { Reclaimer } from './reclaimer.js';
import { coalesceWrites } from './write-coalescing.js';

export class LeaseSettler {
  constructor(
    private readonly who: ConsumerIdentity,
    private readonly held: HeldLeases,
    /** A release makes the entry claimable again (now or when its delay ends): reclaim soon. */
    private readonly reclaimer: Pick<Reclaimer, 'requestSoon'>,
  ) {}

  async ack(leases: readonly RawLease[]): Promise<SettleOutcome[]> {
    if (leases.length === 0) return [];
    const { ctx, group, consumerName } = this.who;
    const { client, keys } = ctx;
    const args: Array<string | number> = [keys.stream, keys.delayed, keys.leaseExtensions, keys.groups, keys.fanout, group, consumerName];
    if (leases.every((l) => this.held.fence(l) === 1)) {
      args.push('first');
      for (const l of leases) args.push(l.id);
    } else {
      args.push('pairs');
      for (const l of leases) args.push(l.id, this.held.fence(l));
    }
    const codes = await this.command('ack', () => client.syFencedAck(...args));
    return leases.map((l, i) => {
      this.held.settled(l.id);
      return codes[i] === 1 ? 'ok' : 'lease-lost';
    });
  }

  async renew(lease: RawLease, leaseMs: number): Promise<number> {
    const { ctx, group, consumerName } = this.who;
    const { client, keys, spec, clock } = ctx;
    const reply = await this.command('renew', () =>
      client.syFencedRenew(keys.stream, keys.delayed, keys.leaseExtensions, group, consumerName, lease.id, this.held.fence(lease), leaseMs, spec.leaseMs),
    );
    checkFenced(reply, spec.name, lease.id);
    return clock.now() + leaseMs;
  }

  async release(lease: RawLease, delayMs: number): Promise<void> {
    const { ctx, group, consumerName } = this.who;
    const { client, keys, spec } = ctx;
    const reply = await this.command('release', () =>
      client.syFencedRelease(keys.stream, keys.delayed, keys.leaseExtensions, group, consumerName, lease.id, this.held.fence(lease), Math.max(0, Math.floor(delayMs))),
    );
    this.held.settled(lease.id);
    checkFenced(reply, spec.name, lease.id);
    this.reclaimer.requestSoon();
  }

  /** `payload`, when given, is stored in the dead letter instead of the entry's own (e.g. with credentials removed). */
  async deadLetter(lease: RawLease, reason: string, payload?: Uint8Array): Promise<void> {
    const { ctx, group, consumerName } = this.who;
    const { client, keys, spec } = ctx;
    const args = [group, consumerName, lease.id, this.held.fence(lease), reason, spec.name, lease.attempt, lease.enqueuedAt] as const;
    const reply = await this.command('dead-letter', () =>
      client.syFencedDeadLetter(
        keys.stream, keys.deadLetters, keys.delayed, keys.leaseExtensions, keys.groups, keys.fanout,
        ...(payload === undefined ? args : [...args, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)]),
      ),
    );
    this.held.settled(lease.id);
    checkFenced(reply, spec.name, lease.id);
    await ctx.deadLetterRetention.afterDeadLetter();
  }

  /** Releases everything still held, for a consumer that closes; a lease already lost or unreachable is left to expire. */
  async releaseAllHeld(): Promise<void> {
    for (const id of this.held.ids()) await this.releaseHeld(id);
  }

  private async releaseHeld(id: string): Promise<void> {
    const { ctx, group, consumerName } = this.who;
    const { client, keys } = ctx;
    try {
      const pending = (await client.xpending(keys.stream, group, id, id, 1)) as Array<[string, string, number, number]>;
      const entry = pending[0];
      if (entry === undefined || entry[1] !== consumerName) return;
      await client.syFencedRelease(keys.stream, keys.delayed, keys.leaseExtensions, group, consumerName, id, entry[3], 0);
    } catch (err) {
      if (!(err instanceof LeaseLostError) && !(err instanceof BackendUnavailableError)) {
        ctx.logger.warn({ queue: ctx.spec.name, id, err }, 'could not release a held lease on close; it will expire');
      }
    } finally {
      this.held.settled(id);
    }
  }

  /** Settles of one tick (acks with the answers flushed beside them, a pass of renewals) share one write. */
  private async command<R>(operation: string, run: () => Promise<R>): Promise<R> {
    coalesceWrites(this.who.ctx.client);
    try {
      return await run();
    } catch (err) {
      throw toBackendError(err, this.who.ctx.spec.name, operation, this.who.ctx.describeServer);
    }
  }
}
