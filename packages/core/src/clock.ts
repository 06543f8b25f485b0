/**
 * All time in Switchyard goes through a Clock, so tests can drive lease expiry, heartbeats and
 * deadlines without waiting. Apart from {@link systemClock}, nothing in src calls Date.now() or setTimeout.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  /**
   * Calls `fn` once after `ms` unless the returned function is called first. For waits that are
   * usually cut short: unlike `sleep` it needs no AbortController, which on Node 20 costs several
   * microseconds and survives into the old generation (every controller is promoted). With
   * `unref`, a pending call does not keep the process alive.
   */
  after(ms: number, fn: () => void, options?: { readonly unref?: boolean }): () => void;
}

/** The real clock. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  every(ms: number, fn: () => void): () => void {
    const timer = setInterval(fn, ms);
    timer.unref?.();
    return () => clearInterval(timer);
  },
  after(ms: number, fn: () => void, options?: { readonly unref?: boolean }): () => void {
    const timer = setTimeout(fn, ms);
    if (options?.unref === true) timer.unref();
    return () => clearTimeout(timer);
  },
});

interface Sleeper {
  dueAt: number;
  resolve: () => void;
}

/**
 * A clock that moves only when told. `advance(ms)` wakes every sleeper whose time has come, in
 * order, and lets their continuations run before returning.
 */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        dueAt: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** `options.unref` means nothing here: a manual clock keeps no process alive. */
  after(ms: number, fn: () => void, _options?: { readonly unref?: boolean }): () => void {
    const sleeper: Sleeper = { dueAt: this.current + Math.max(0, ms), resolve: fn };
    this.sleepers.push(sleeper);
    return () => {
      this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    };
  }

  every(ms: number, fn: () => void): () => void {
    let stopped = false;
    const loop = async (): Promise<void> => {
      while (!stopped) {
        await this.sleep(ms);
        if (!stopped) fn();
      }
    };
    void loop();
    return () => {
      stopped = true;
    };
  }

  /** Moves time forward by `ms`, waking due sleepers in due order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const due = this.sleepers.filter((s) => s.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt)[0];
      if (due === undefined) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.current = Math.max(this.current, due.dueAt);
      due.resolve();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
