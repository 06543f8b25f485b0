/**
 * One queue's primitives over its keys: enqueue (one XADD for a single plain message, one packed
 * entry for a batch of small plain ones to a tail-read queue, else one script call per batch),
 * consumers, dead letters, stats (packages/transport-valkey/README.md, "Design decisions").
 */
import type { BackendConsumer, BackendConsumerSpec, BackendQueue, BackendQueueSpec, QueueActivity, QueueStats, RawDeadLetter, RawMessage } from '@switchyard/core';
import { QueueClosedError } from '@switchyard/core';
import { encodeHeaders, parseDeadLetter } from './entry.js';
import { toBackendError } from './errors.js';
import { deadLetterSuffixOf, fanoutGroup, queueKeys, type QueueKeys } from './keys.js';
import { DeadLetterRetention, type DeadLetterRetentionLimits } from './dead-letter-retention.js';
import { ValkeyConsumer, type ConsumerContext } from './valkey-consumer.js';
import { TailConsumer } from './tail-consumer.js';
import { PlainAppender } from './plain-append.js';
import { PackedAppender } from './packed-append.js';
import { coalesceWrites } from './write-coalescing.js';

/** A consumer that touched the stream within this long counts as reading it (a reader blocks for about a second at a time). */
const ACTIVE_CONSUMER_MS = 30_000;
/**
 * Pending entries per consumer group whose delivery count activity() reads. XPENDING has no filter
 * on the count, so an exact figure costs a pass over every pending entry on every refresh (the
 * console asks once a second); past this many pending the figure is a lower bound, and says so.
 */
export const REDELIVERED_SCAN_LIMIT = 1_000;

/** Dead letters moved per replay script call. */
const REPLAY_BATCH = 500;

/** A message with no idempotency key, no headers and no delay. */
function isPlain(m: RawMessage): boolean {
  if (m.idempotencyKey !== undefined || (m.delayMs !== undefined && m.delayMs > 0)) return false;
  for (const _ in m.headers) return false;
  return true;
}

export type QueueContext = Omit<ConsumerContext, 'spec' | 'keys' | 'deadLetterRetention'> & DeadLetterRetentionLimits & { readonly prefix: string };

export class ValkeyQueue implements BackendQueue {
  readonly keys: QueueKeys;
  private readonly plain: PlainAppender;
  private readonly packed: PackedAppender;
  private readonly retention: DeadLetterRetention;
  private readonly consumers = new Set<BackendConsumer>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly ctx: QueueContext,
    readonly spec: BackendQueueSpec,
    private readonly onClosed: () => void,
  ) {
    this.keys = queueKeys(ctx.prefix, spec.name, deadLetterSuffixOf(spec.name, spec.deadLetterName));
    this.plain = new PlainAppender(this.keys, () => ctx.clock.now());
    this.packed = new PackedAppender(this.keys, () => ctx.clock.now());
    this.retention = new DeadLetterRetention(ctx.client, this.keys, ctx, ctx.logger);
  }

  private async command<R>(operation: string, run: () => Promise<R>): Promise<R> {
    if (this.closing !== undefined) throw new QueueClosedError(this.spec.name, operation);
    try {
      return await run();
    } catch (err) {
      throw toBackendError(err, this.spec.name, operation, this.ctx.describeServer);
    }
  }

  enqueue(messages: readonly RawMessage[]): Promise<string[]> {
    if (messages.length === 0) return Promise.resolve([]);
    coalesceWrites(this.ctx.client);
    const toBuffer = (p: Uint8Array): Buffer => Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    const only = messages.length === 1 ? (messages[0] as RawMessage) : undefined;
    if (only !== undefined && isPlain(only) && this.plain.usable()) {
      return this.command('enqueue', async () => [await this.plain.append(this.ctx.client, toBuffer(only.payload))]);
    }
    const payloads = messages.every(isPlain) ? messages.map((m) => toBuffer(m.payload)) : undefined;
    if (payloads !== undefined && this.packed.usable(this.ctx.client, payloads)) return this.command('enqueue', () => this.packed.append(this.ctx.client, payloads));
    const { keys, spec } = this;
    const scriptKeys = [keys.stream, keys.fanout, keys.scheduled];
    const args: Array<string | number | Buffer> = [messages.length, spec.dedupWindowMs, spec.fanoutRetention.maxLength, spec.fanoutRetention.maxAgeMs];
    if (payloads !== undefined) {
      // The hot path: payloads only, a quarter of the arguments to write and to walk in Lua.
      args.push('plain', ...payloads);
      return this.command('enqueue', () => this.ctx.client.syEnqueue(scriptKeys.length, ...scriptKeys, ...args));
    }
    args.push('full');
    for (const m of messages) {
      let keyIndex = 0;
      if (m.idempotencyKey !== undefined) {
        scriptKeys.push(keys.idempotency(m.idempotencyKey));
        keyIndex = scriptKeys.length;
      }
      args.push(keyIndex, toBuffer(m.payload), encodeHeaders(m.headers), Math.max(0, Math.floor(m.delayMs ?? 0)));
    }
    return this.command('enqueue', () => this.ctx.client.syEnqueue(scriptKeys.length, ...scriptKeys, ...args));
  }

  openConsumer(spec: BackendConsumerSpec): BackendConsumer {
    if (this.closing !== undefined) throw new QueueClosedError(this.spec.name, 'open a consumer');
    if (spec.mode === 'tail') {
      const tail: TailConsumer = new TailConsumer({ ...this.ctx, spec: this.spec, keys: this.keys, deadLetterRetention: this.retention }, spec.consumerName, () => this.consumers.delete(tail));
      this.consumers.add(tail);
      return tail;
    }
    if (spec.mode === 'fanout') this.plain.fanoutOpened();
    const group = spec.mode === 'fanout' ? fanoutGroup(spec.consumerName) : spec.group;
    const consumer: ValkeyConsumer = new ValkeyConsumer({ ...this.ctx, spec: this.spec, keys: this.keys, deadLetterRetention: this.retention }, spec.mode, group, spec.consumerName, () =>
      this.consumers.delete(consumer),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  async listDeadLetters(limit: number, after?: string): Promise<RawDeadLetter[]> {
    const entries = await this.command('list dead letters', () =>
      this.ctx.client.xrangeBuffer(this.keys.deadLetters, after === undefined ? '-' : `(${after}`, '+', 'COUNT', limit),
    );
    return entries.map(([id, fields]) => parseDeadLetter(id.toString('latin1'), fields));
  }

  countDeadLetters(): Promise<number> {
    return this.command('count dead letters', () => this.ctx.client.xlen(this.keys.deadLetters));
  }

  async replayDeadLetters(ids?: readonly string[]): Promise<number> {
    const { client } = this.ctx;
    const { deadLetters, stream } = this.keys;
    if (ids !== undefined) {
      if (ids.length === 0) return 0;
      return this.command('replay dead letters', () => client.syReplayDeadLetters(deadLetters, stream, 'ids', 0, ...ids));
    }
    let total = 0;
    for (;;) {
      const moved = await this.command('replay dead letters', () => client.syReplayDeadLetters(deadLetters, stream, 'all', REPLAY_BATCH));
      total += moved;
      if (moved < REPLAY_BATCH) return total;
    }
  }

  purgeDeadLetters(ids?: readonly string[]): Promise<number> {
    const { client } = this.ctx;
    if (ids !== undefined && ids.length === 0) return Promise.resolve(0);
    return this.command('purge dead letters', () =>
      ids === undefined ? client.syPurgeDeadLetters(this.keys.deadLetters, 'all') : client.syPurgeDeadLetters(this.keys.deadLetters, 'ids', ...ids),
    );
  }

  async stats(): Promise<QueueStats> {
    const k = this.keys;
    // Retention first, so the dead-letter count is what is kept; one more round trip per stats read.
    const deadLettersDropped = await this.command('dead-letter retention', () => this.retention.apply());
    const [depth, inFlight, delayed, deadLetters] = await this.command('stats', () =>
      this.ctx.client.syStats(k.stream, k.delayed, k.scheduled, k.deadLetters, k.groups, k.fanout),
    );
    return { depth, inFlight, delayed, deadLetters, deadLettersDropped };
  }

  async activity(): Promise<QueueActivity> {
    const k = this.keys;
    const [consumers, ageMs, redelivered, partial] = await this.command('activity', () =>
      this.ctx.client.syActivity(k.stream, k.groups, k.fanout, k.scheduled, ACTIVE_CONSUMER_MS, REDELIVERED_SCAN_LIMIT),
    );
    return { consumers, oldestWaitingAgeMs: ageMs === -1 ? null : ageMs, redelivered, redeliveredIsLowerBound: partial === 1 };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await Promise.all([...this.consumers].map((c) => c.close()));
      } finally {
        this.onClosed();
      }
    })();
    return this.closing;
  }
}
