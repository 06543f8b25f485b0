/**
 * Fans lifecycle events out to any number of `status()` iterators. Each iterator gets the events
 * emitted after it started, and ends after `end()`.
 */
interface Subscriber<E> {
  readonly queue: E[];
  wake: (() => void) | undefined;
}

export class StatusStream<E> {
  private readonly subscribers = new Set<Subscriber<E>>();
  private ended = false;

  emit(event: E): void {
    if (this.ended) return;
    for (const s of this.subscribers) {
      s.queue.push(event);
      s.wake?.();
    }
  }

  /** Delivers `last` (if given) and ends every iterator. Idempotent. */
  end(last?: E): void {
    if (last !== undefined) this.emit(last);
    this.ended = true;
    for (const s of this.subscribers) s.wake?.();
  }

  iterate(): AsyncIterable<E> {
    const subscribers = this.subscribers;
    const isEnded = (): boolean => this.ended;
    return {
      [Symbol.asyncIterator](): AsyncIterator<E> {
        const sub: Subscriber<E> = { queue: [], wake: undefined };
        subscribers.add(sub);
        const finish = (): IteratorResult<E> => {
          subscribers.delete(sub);
          return { done: true, value: undefined };
        };
        return {
          async next(): Promise<IteratorResult<E>> {
            for (;;) {
              const event = sub.queue.shift();
              if (event !== undefined) return { done: false, value: event };
              if (isEnded()) return finish();
              await new Promise<void>((resolve) => (sub.wake = resolve));
              sub.wake = undefined;
            }
          },
          async return(): Promise<IteratorResult<E>> {
            return finish();
          },
        };
      },
    };
  }
}
