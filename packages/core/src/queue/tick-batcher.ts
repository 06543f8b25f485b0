/**
 * Coalesces calls made in the same event-loop turn into one backend call (enqueue batches, ack
 * batches). It flushes on setImmediate, not on a timer: no added latency beyond the current turn,
 * and nothing to advance on a ManualClock.
 */

/** One result per item, in order: a value, or the Error that item failed with. */
export type BatchResults<O> = ReadonlyArray<O | Error>;

export class TickBatcher<I, O> {
  private items: I[] = [];
  private resolvers: Array<(value: O) => void> = [];
  private rejecters: Array<(error: unknown) => void> = [];
  private scheduled = false;

  constructor(private readonly flushBatch: (items: I[]) => Promise<BatchResults<O>>) {}

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.items.push(item);
      this.resolvers.push(resolve);
      this.rejecters.push(reject);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
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
  };
}
