/**
 * The memory backend's RunOnceStore: the records of every backend on one MemoryStore (one
 * namespace) in a Map, timed by the backend's Clock. Expired records are dropped when they are
 * looked at and by a sweep on each claim, so the Map holds at most the records of the last
 * claimMs / ttlMs.
 */
import type { Clock, RunOnceClaim, RunOnceStore } from '@switchyard/core';

type RunOnceRecord =
  | { readonly kind: 'claim'; readonly owner: string; expiresAt: number }
  | { readonly kind: 'answer'; readonly response: Uint8Array; readonly expiresAt: number };

/** The records themselves, one per namespace (shared by every backend on it). */
export class RunOnceRecords {
  readonly byId = new Map<string, RunOnceRecord>();
  /** Sweep at most once per this many claims: a Map sweep is linear. */
  claimsSinceSweep = 0;
}

const SWEEP_EVERY_CLAIMS = 1024;

export class MemoryRunOnceStore implements RunOnceStore {
  constructor(
    private readonly records: RunOnceRecords,
    private readonly clock: Clock,
  ) {}

  claim(id: string, owner: string, claimMs: number): Promise<RunOnceClaim> {
    const now = this.clock.now();
    this.sweep(now);
    const record = this.live(id, now);
    if (record?.kind === 'answer') return Promise.resolve({ state: 'answered', response: record.response });
    if (record !== undefined && record.owner !== owner) return Promise.resolve({ state: 'held' });
    this.records.byId.set(id, { kind: 'claim', owner, expiresAt: now + claimMs });
    return Promise.resolve({ state: 'claimed' });
  }

  renew(id: string, owner: string, claimMs: number): Promise<boolean> {
    const now = this.clock.now();
    const record = this.live(id, now);
    if (record?.kind !== 'claim' || record.owner !== owner) return Promise.resolve(false);
    record.expiresAt = now + claimMs;
    return Promise.resolve(true);
  }

  answer(id: string, _owner: string, response: Uint8Array, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    if (this.live(id, now)?.kind === 'answer') return Promise.resolve(false);
    this.records.byId.set(id, { kind: 'answer', response: Uint8Array.from(response), expiresAt: now + ttlMs });
    return Promise.resolve(true);
  }

  abandon(id: string, owner: string): Promise<void> {
    const record = this.live(id, this.clock.now());
    if (record?.kind === 'claim' && record.owner === owner) this.records.byId.delete(id);
    return Promise.resolve();
  }

  private live(id: string, now: number): RunOnceRecord | undefined {
    const record = this.records.byId.get(id);
    if (record === undefined || record.expiresAt > now) return record;
    this.records.byId.delete(id);
    return undefined;
  }

  private sweep(now: number): void {
    if (++this.records.claimsSinceSweep < SWEEP_EVERY_CLAIMS) return;
    this.records.claimsSinceSweep = 0;
    for (const [id, record] of this.records.byId) if (record.expiresAt <= now) this.records.byId.delete(id);
  }
}
