/**
 * Everything stored for one memory queue: the log, its groups, delayed enqueues, idempotency keys
 * and the dead letters. Operations take `now` from the caller's clock and are synchronous, so each
 * is atomic like a Lua script on Valkey. Fenced operations check that the delivery is still held by
 * this consumer with this attempt; a refusal changes nothing.
 */
import { LeaseLostError, type BackendQueueSpec, type ConsumptionMode, type QueueStats, type RawDeadLetter, type RawLease, type RawMessage, type SettleOutcome } from '@switchyard/core';
import { GroupState, type Held } from './group.js';
import { EntryLog, type StoredEntry } from './log.js';

interface DelayedEnqueue {
  readonly entry: StoredEntry;
  readonly dueAt: number;
}

/** Dead letters of one dead-letter queue, oldest first. */
export type DeadLetterList = Map<string, RawDeadLetter>;

/** A tail delivery's leaseExpiresAt: it holds nothing, so it never expires. */
const TAIL_NEVER_EXPIRES = Number.MAX_SAFE_INTEGER;

let idCounter = 0;
const nextId = (now: number): string => `${now}-${idCounter++}`;

export class MemoryQueueState {
  private readonly log = new EntryLog();
  private readonly groups = new Map<string, GroupState>();
  private delayedEnqueues: DelayedEnqueue[] = [];
  private readonly dedup = new Map<string, { id: string; expiresAt: number }>();
  private readonly waiters = new Set<() => void>();
  private everCompeting = false;
  private everFanout = false;

  constructor(
    readonly name: string,
    public spec: BackendQueueSpec,
    /** The dead-letter list for spec.deadLetterName (shared with anything that opens that name). */
    public deadLetters: DeadLetterList,
  ) {}

  // --- enqueue ---------------------------------------------------------------------------------

  enqueue(messages: readonly RawMessage[], now: number): string[] {
    const ids: string[] = new Array<string>(messages.length);
    if (this.dedup.size > 0 && this.dedup.size % 256 === 0) this.sweepDedup(now);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.idempotencyKey !== undefined) {
        const seen = this.dedup.get(m.idempotencyKey);
        if (seen !== undefined && seen.expiresAt > now) {
          ids[i] = seen.id;
          continue;
        }
      }
      const entry: StoredEntry = { id: nextId(now), payload: m.payload, headers: m.headers, enqueuedAt: now, seq: -1, live: false };
      if (m.idempotencyKey !== undefined) this.dedup.set(m.idempotencyKey, { id: entry.id, expiresAt: now + this.spec.dedupWindowMs });
      if (m.delayMs !== undefined && m.delayMs > 0) this.addDelayedEnqueue({ entry, dueAt: now + m.delayMs });
      else this.log.append(entry);
      ids[i] = entry.id;
    }
    this.trimFanout(now);
    this.notify();
    return ids;
  }

  private addDelayedEnqueue(item: DelayedEnqueue): void {
    let i = this.delayedEnqueues.length;
    while (i > 0 && this.delayedEnqueues[i - 1]!.dueAt > item.dueAt) i--;
    this.delayedEnqueues.splice(i, 0, item);
  }

  private sweepDedup(now: number): void {
    for (const [key, v] of this.dedup) if (v.expiresAt <= now) this.dedup.delete(key);
  }

  /** Fan-out queues keep acked entries for late readers, bounded by fanoutRetention; competing queues never trim unconsumed work. */
  private trimFanout(now: number): void {
    if (this.everCompeting || !this.everFanout) return;
    const { maxLength, maxAgeMs } = this.spec.fanoutRetention;
    for (;;) {
      const oldest = this.log.oldest();
      if (oldest === undefined) return;
      if (this.log.liveCount <= maxLength && oldest.enqueuedAt > now - maxAgeMs) return;
      this.log.remove(oldest);
    }
  }

  /** Due delayed enqueues join the log; due delayed releases become ready. */
  promoteDue(now: number): void {
    let n = 0;
    while (n < this.delayedEnqueues.length && this.delayedEnqueues[n]!.dueAt <= now) n++;
    if (n > 0) for (const d of this.delayedEnqueues.splice(0, n)) this.log.append(d.entry);
    for (const g of this.groups.values()) g.promoteDue(now);
  }

  // --- groups and consumers --------------------------------------------------------------------

  /**
   * Competing groups start at the beginning (work enqueued before any consumer is not lost), and so
   * does a tail reader (from the oldest entry stored); fan-out groups see only what comes after.
   */
  joinGroup(mode: ConsumptionMode, group: string, consumer: string): GroupState {
    let g = this.groups.get(group);
    if (g === undefined) {
      const start = mode === 'competing' ? 0 : mode === 'tail' ? (this.log.oldest()?.seq ?? this.log.nextSeq) : this.log.nextSeq;
      g = new GroupState(group, mode, start);
      this.groups.set(group, g);
    }
    if (mode === 'competing') this.everCompeting = true;
    else if (mode === 'fanout') this.everFanout = true;
    g.consumers.add(consumer);
    return g;
  }

  /** A consumer leaves: what it held is delivered again at once; an empty fan-out group is removed. */
  leaveGroup(g: GroupState, consumer: string, now: number): void {
    const returned: Held[] = [];
    for (const h of g.held.values()) if (h.consumer === consumer) returned.push(h);
    for (const h of returned) {
      g.held.delete(h.entry.id);
      g.ready.unshift({ entry: h.entry, attempt: h.attempt + 1, dueAt: now });
    }
    g.consumers.delete(consumer);
    if (g.mode !== 'competing' && g.consumers.size === 0) this.groups.delete(g.name);
    if (returned.length > 0) this.notify();
  }

  hasGroup(g: GroupState): boolean {
    return this.groups.get(g.name) === g;
  }

  // --- lease and settle ------------------------------------------------------------------------

  lease(g: GroupState, consumer: string, max: number, leaseMs: number, now: number): RawLease[] {
    if (g.mode === 'tail') return this.readTail(g, max, now);
    this.promoteDue(now);
    const out: RawLease[] = [];
    const expiresAt = now + leaseMs;
    // Expired leases first: they have waited longest.
    for (const h of g.held.values()) {
      if (out.length >= max) break;
      if (h.expiresAt > now) continue;
      if (!h.entry.live) {
        g.held.delete(h.entry.id);
        continue;
      }
      h.consumer = consumer;
      h.attempt += 1;
      h.expiresAt = expiresAt;
      out.push(toRaw(h.entry, h.attempt, expiresAt));
    }
    while (out.length < max && g.ready.length > 0) {
      const r = g.ready.shift()!;
      if (!r.entry.live) continue;
      out.push(this.hold(g, r.entry, consumer, r.attempt, expiresAt));
    }
    while (out.length < max && g.cursor < this.log.nextSeq) {
      const entry = this.log.at(g.cursor);
      g.cursor++;
      if (entry !== undefined) out.push(this.hold(g, entry, consumer, 1, expiresAt));
    }
    return out;
  }

  /** A tail reader's next entries, oldest first: delivered once, held by nobody, deleted as they are handed out. */
  private readTail(g: GroupState, max: number, now: number): RawLease[] {
    this.promoteDue(now);
    const out: RawLease[] = [];
    while (out.length < max && g.cursor < this.log.nextSeq) {
      const entry = this.log.at(g.cursor);
      g.cursor++;
      if (entry === undefined) continue;
      this.log.remove(entry);
      out.push(toRaw(entry, 1, TAIL_NEVER_EXPIRES));
    }
    return out;
  }

  /** A tail delivery to the dead letters: nothing holds it, so there is no fence. */
  deadLetterTail(raw: RawLease, reason: string, now: number, payload?: Uint8Array): void {
    const id = nextId(now);
    this.deadLetters.set(id, {
      id,
      originalId: raw.id,
      sourceQueue: this.name,
      payload: payload ?? raw.payload,
      headers: raw.headers,
      attempts: raw.attempt,
      reason,
      enqueuedAt: raw.enqueuedAt,
      deadLetteredAt: now,
    });
  }

  private hold(g: GroupState, entry: StoredEntry, consumer: string, attempt: number, expiresAt: number): RawLease {
    g.held.set(entry.id, { entry, consumer, attempt, expiresAt });
    return toRaw(entry, attempt, expiresAt);
  }

  /** The held delivery `raw` refers to, if this consumer still holds that very delivery. */
  private fenced(g: GroupState, raw: RawLease, consumer: string): Held | undefined {
    const h = g.held.get(raw.id);
    return h !== undefined && h.consumer === consumer && h.attempt === raw.attempt ? h : undefined;
  }

  /**
   * Not fenced by consumer and attempt (the work is done): an entry the group still holds, or holds
   * released for redelivery, is settled whoever holds it now; one it no longer has is lease-lost.
   */
  ack(g: GroupState, raws: readonly RawLease[]): SettleOutcome[] {
    const out: SettleOutcome[] = new Array<SettleOutcome>(raws.length);
    for (let i = 0; i < raws.length; i++) {
      const entry = g.settle(raws[i]!.id);
      if (entry === undefined) {
        out[i] = 'lease-lost';
        continue;
      }
      // Competing: acked work is deleted. Fan-out: other groups may still read it; retention trims it.
      if (g.mode === 'competing') this.log.remove(entry);
      out[i] = 'ok';
    }
    return out;
  }

  renew(g: GroupState, raw: RawLease, consumer: string, leaseMs: number, now: number): number {
    const h = this.fenced(g, raw, consumer);
    if (h === undefined) throw new LeaseLostError(this.name, raw.id);
    h.expiresAt = now + leaseMs;
    return h.expiresAt;
  }

  release(g: GroupState, raw: RawLease, consumer: string, delayMs: number, now: number): void {
    const h = this.fenced(g, raw, consumer);
    if (h === undefined) throw new LeaseLostError(this.name, raw.id);
    g.held.delete(h.entry.id);
    const redelivery = { entry: h.entry, attempt: h.attempt + 1, dueAt: now + delayMs };
    if (delayMs > 0) g.addDelayed(redelivery);
    else g.ready.push(redelivery);
    this.notify();
  }

  /** `payload`, when given, is stored instead of the entry's (a redacted copy). */
  deadLetter(g: GroupState, raw: RawLease, consumer: string, reason: string, now: number, payload?: Uint8Array): void {
    const h = this.fenced(g, raw, consumer);
    if (h === undefined) throw new LeaseLostError(this.name, raw.id);
    g.held.delete(h.entry.id);
    if (g.mode === 'competing') this.log.remove(h.entry);
    const id = nextId(now);
    this.deadLetters.set(id, {
      id,
      originalId: h.entry.id,
      sourceQueue: this.name,
      payload: payload ?? h.entry.payload,
      headers: h.entry.headers,
      attempts: h.attempt,
      reason,
      enqueuedAt: h.entry.enqueuedAt,
      deadLetteredAt: now,
    });
  }

  // --- dead letters ----------------------------------------------------------------------------

  listDeadLetters(limit: number, after: string | undefined): RawDeadLetter[] {
    const out: RawDeadLetter[] = [];
    let skipping = after !== undefined;
    for (const [id, dl] of this.deadLetters) {
      if (skipping) {
        if (id === after) skipping = false;
        continue;
      }
      if (out.length >= limit) break;
      out.push(dl);
    }
    return out;
  }

  /** Moves dead letters back to this queue as new messages (attempt starts again at 1). */
  replayDeadLetters(ids: readonly string[] | undefined, now: number): number {
    const chosen = this.pickDeadLetters(ids);
    for (const dl of chosen) {
      this.deadLetters.delete(dl.id);
      this.log.append({ id: nextId(now), payload: dl.payload, headers: dl.headers, enqueuedAt: now, seq: -1, live: false });
    }
    if (chosen.length > 0) this.notify();
    return chosen.length;
  }

  purgeDeadLetters(ids: readonly string[] | undefined): number {
    const chosen = this.pickDeadLetters(ids);
    for (const dl of chosen) this.deadLetters.delete(dl.id);
    return chosen.length;
  }

  private pickDeadLetters(ids: readonly string[] | undefined): RawDeadLetter[] {
    const all = [...this.deadLetters.values()].filter((dl) => dl.sourceQueue === this.name);
    if (ids === undefined) return all;
    const wanted = new Set(ids);
    return all.filter((dl) => wanted.has(dl.id));
  }

  countDeadLetters(): number {
    let n = 0;
    for (const dl of this.deadLetters.values()) if (dl.sourceQueue === this.name) n++;
    return n;
  }

  // --- stats and waiting -----------------------------------------------------------------------

  stats(now: number): QueueStats {
    this.promoteDue(now);
    let inFlight = 0;
    let delayed = this.delayedEnqueues.length;
    let heldCompeting = 0;
    let delayedCompeting = 0;
    for (const g of this.groups.values()) {
      inFlight += g.held.size;
      delayed += g.delayed.length;
      if (g.mode === 'competing') {
        heldCompeting += g.held.size;
        delayedCompeting += g.delayed.length;
      }
    }
    return {
      depth: Math.max(0, this.log.liveCount - heldCompeting - delayedCompeting),
      inFlight,
      delayed,
      deadLetters: this.countDeadLetters(),
    };
  }

  /** Earliest time something in `g` becomes deliverable without a new enqueue. */
  nextWakeAt(g: GroupState): number {
    return Math.min(this.delayedEnqueues[0]?.dueAt ?? Infinity, g.nextWakeAt());
  }

  onChange(waiter: () => void): () => void {
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  private notify(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }
}

function toRaw(entry: StoredEntry, attempt: number, leaseExpiresAt: number): RawLease {
  return { id: entry.id, payload: entry.payload, headers: entry.headers, attempt, enqueuedAt: entry.enqueuedAt, leaseExpiresAt };
}
