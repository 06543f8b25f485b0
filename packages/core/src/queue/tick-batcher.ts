/**
 * Coalesces calls made in the same event-loop turn into one backend call (enqueue batches, ack
 * batches). It flushes on setImmediate, not on a timer: no added latency beyond the current turn,
 * and nothing to advance on a ManualClock. Every batcher of the process due in one turn flushes
 * from one setImmediate callback, enqueue batchers first, then settle batchers (acks), each in the
 * order they were first pushed to: the backend calls of one turn are made back to back, where a
 * backend can send them in one write, and an ack never goes out ahead of an enqueue made before
 * it in the same turn (a handler's answer and then its ack). Whoever waits for afterThisTurnsBatches()
 * resumes in that same callback, after every batch of the turn went to its backend.
 */

/** One result per item, in order: a value, or the Error that item failed with. */
export type BatchResults<O> = ReadonlyArray<O | Error>;

/** When a batcher flushes within its turn: enqueues before settles. */
export type FlushPhase = 'enqueue' | 'settle';

interface Due {
  flush(): void;
}

/** Batchers with items waiting, per phase, in the order they were first pushed to this turn. */
let dueEnqueues: Due[] = [];
let dueSettles: Due[] = [];
/** Waiting for this turn's batches to be sent (afterThisTurnsBatches). */
let afterBatches: Array<() => void> = [];
let flushScheduled = false;

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushDue);
}

function flushDue(): void {
  const enqueues = dueEnqueues;
  const settles = dueSettles;
  const after = afterBatches;
  dueEnqueues = [];
  dueSettles = [];
  afterBatches = [];
  flushScheduled = false;
  for (const batcher of enqueues) batcher.flush();
  for (const batcher of settles) batcher.flush();
  for (const resume of after) resume();
}

/**
 * Resolves once the batches pushed in this turn (including pushes made by this turn's remaining
 * microtasks, such as handlers started from it) have been handed to their backends, in the same
 * setImmediate callback that sends them. A read loop awaits it so that the writes its handlers
 * caused go out ahead of its next read, with no event-loop iteration in between.
 */
export function afterThisTurnsBatches(): Promise<void> {
  return new Promise<void>((resolve) => {
    afterBatches.push(resolve);
    scheduleFlush();
  });
}

export class TickBatcher<I, O> {
  private items: I[] = [];
  private resolvers: Array<(value: O) => void> = [];
  private rejecters: Array<(error: unknown) => void> = [];
  private scheduled = false;

  constructor(
    private readonly flushBatch: (items: I[]) => Promise<BatchResults<O>>,
    private readonly phase: FlushPhase = 'enqueue',
  ) {}

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.items.push(item);
      this.resolvers.push(resolve);
      this.rejecters.push(reject);
      if (!this.scheduled) {
        this.scheduled = true;
        if (this.phase === 'enqueue') dueEnqueues.push(this);
        else dueSettles.push(this);
        scheduleFlush();
      }
    });
  }

  /** Sends what was pushed since the last flush (called by flushDue only). */
  flush(): void {
    const items = this.items;
    const resolvers = this.resolvers;
    const rejecters = this.rejecters;
    this.items = [];
    this.resolvers = [];
    this.rejecters = [];
    this.scheduled = false;
    let call: Promise<BatchResults<O>>;
    try {
      call = this.flushBatch(items);
    } catch (err) {
      call = Promise.reject(err);
    }
    call.then(
      (results) => {
        for (let i = 0; i < resolvers.length; i++) {
          const r = results[i];
          if (r instanceof Error) rejecters[i]!(r);
          else if (i >= results.length) rejecters[i]!(new Error(`backend returned ${results.length} results for ${items.length} items`));
          else resolvers[i]!(r as O);
        }
      },
      (err: unknown) => {
        for (const reject of rejecters) reject(err);
      },
    );
  }
}
