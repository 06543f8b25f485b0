/**
 * Waiting without sleeping: every wait has a deadline, and its failure says what it waited for.
 * (uvu has no per-test timeout.)
 */
import * as assert from 'uvu/assert';

/** Fails unless `promise` rejects with an error whose `code` is `code`; returns that error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string, what = 'the call'): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    const got = (err as { code?: unknown }).code;
    assert.is(got, code, `${what} should fail with ${code}, failed with ${String(got)}: ${(err as Error).message}`);
    return err as Error;
  }
  assert.unreachable(`${what} should have failed with ${code}, but it succeeded`);
  throw new Error('unreachable');
}

/** Fails unless `promise` rejects with a message matching `pattern`; returns the error. */
export async function rejectsMatching(promise: Promise<unknown>, pattern: RegExp, what = 'the call'): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.match((err as Error).message, pattern, `${what} failed with an unexpected message`);
    return err as Error;
  }
  assert.unreachable(`${what} should have failed matching ${String(pattern)}, but it succeeded`);
  throw new Error('unreachable');
}

/** Polls `check` until it returns a truthy value (returned) or `within` ms pass (fails naming `what`). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { within = 5_000, every = 20, what = 'the condition' }: { within?: number; every?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + within;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${within} ms waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Rejects after `ms` naming `what`, unless `promise` settles first. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A countdown: `wait()` resolves once `count()` has been called `n` times, or fails after `ms`. */
export class Latch {
  private remaining: number;
  private readonly done: Promise<void>;
  private release!: () => void;

  constructor(n: number, private readonly what = `${n} events`) {
    this.remaining = n;
    this.done = new Promise((resolve) => (this.release = resolve));
    if (n <= 0) this.release();
  }

  count(): void {
    this.remaining -= 1;
    if (this.remaining === 0) this.release();
  }

  wait(ms = 5_000): Promise<void> {
    return within(this.done, ms, `${this.what} (${this.remaining} still missing)`);
  }
}

/** Reports ids that are missing and ids that arrived more than once (delivery assertions). */
export function deliveryReport(expected: Iterable<string>, received: readonly string[]): { missing: string[]; duplicated: string[] } {
  const seen = new Map<string, number>();
  for (const id of received) seen.set(id, (seen.get(id) ?? 0) + 1);
  const missing = [...expected].filter((id) => !seen.has(id));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  return { missing, duplicated };
}
