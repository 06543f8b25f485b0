/**
 * The backlog of the Messaging requests queues the gateway sends to: depth and the age of the
 * oldest REQUEST no instance has taken yet, read from the queue backend every `refreshMs` for
 * each queue used recently — one stats read per queue per period, never one per request. The
 * admission step asks `expectedWaitMs(queue)` and compares it with the request's deadline.
 */
import type { Clock, GatewayTransport, Logger, MessageQueue } from '@switchyard/core';

/** A transport whose queues the gateway can read (the Messaging transport). */
interface QueueReadingTransport {
  adminQueue(queue: string): MessageQueue<unknown>;
}

const readsQueues = (t: GatewayTransport | undefined): t is GatewayTransport & QueueReadingTransport =>
  t !== undefined && typeof (t as Partial<QueueReadingTransport>).adminQueue === 'function';

/** A queue nobody sent to for this long is no longer read. */
const FORGET_AFTER_MS = 60_000;

interface Backlog {
  depth: number;
  /** Age of the oldest waiting REQUEST when last read; 0 when none waits. */
  oldestWaitingMs: number;
  /** When the queue was last sent to (clock ms). */
  usedAt: number;
  /** When the figures were read (clock ms); 0 before the first read. */
  readAt: number;
}

export class BacklogMonitor {
  private readonly queues = new Map<string, Backlog>();
  private stopTimer: (() => void) | undefined;
  private reading = false;

  constructor(
    private readonly transport: GatewayTransport | undefined,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly refreshMs: number,
  ) {}

  /** True when there is a Messaging transport to watch. */
  get isActive(): boolean {
    return readsQueues(this.transport);
  }

  start(): void {
    if (!this.isActive || this.stopTimer !== undefined) return;
    this.stopTimer = this.clock.every(this.refreshMs, () => void this.refresh());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /**
   * How long a REQUEST enqueued on `queue` now can expect to wait before an instance takes it:
   * the age of the oldest one waiting (in a first-in first-out queue a new one waits at least about
   * as long), as of the last read. 0 for a queue not read yet; the queue is read from now on.
   */
  expectedWaitMs(queue: string): number {
    const now = this.clock.now();
    const b = this.queues.get(queue);
    if (b === undefined) {
      this.queues.set(queue, { depth: 0, oldestWaitingMs: 0, usedAt: now, readAt: 0 });
      return 0;
    }
    b.usedAt = now;
    if (b.depth === 0 || b.readAt === 0) return 0;
    // The oldest waiting REQUEST has aged since the read, unless it was taken meanwhile.
    return b.oldestWaitingMs + Math.min(now - b.readAt, this.refreshMs);
  }

  /** The last figures read, by queue (for the routing view and tests). */
  snapshot(): Array<{ queue: string; depth: number; oldestWaitingMs: number; readAt: number }> {
    return [...this.queues].map(([queue, b]) => ({ queue, depth: b.depth, oldestWaitingMs: b.oldestWaitingMs, readAt: b.readAt }));
  }

  /** Reads every queue used recently; one pass at a time (a slow backend skips periods rather than piling reads up). */
  async refresh(): Promise<void> {
    const t = this.transport;
    if (!readsQueues(t) || this.reading || !t.isReady()) return;
    this.reading = true;
    try {
      const now = this.clock.now();
      for (const [name, b] of this.queues) {
        if (now - b.usedAt > FORGET_AFTER_MS) {
          this.queues.delete(name);
          continue;
        }
        const queue = t.adminQueue(name);
        const [stats, activity] = await Promise.all([queue.stats(), queue.activity()]);
        b.depth = stats.depth;
        b.oldestWaitingMs = activity?.oldestWaitingAgeMs ?? 0;
        b.readAt = this.clock.now();
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'queue backlog unavailable; admission uses the last figures read');
    } finally {
      this.reading = false;
    }
  }
}
