/**
 * The kit's own waiting helpers (it ships in src, so it cannot use test/harness). Every wait has a
 * deadline whose failure says what it waited for; nothing sleeps to synchronize.
 */
import { systemClock } from '../clock.js';

/** Polls `check` (real time) until it returns a truthy value, or fails after `within` ms naming `what`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string,
  { within = 10_000, every = 10 }: { within?: number; every?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = systemClock.now() + within;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (systemClock.now() > deadline) {
      throw new Error(`timed out after ${within} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await systemClock.sleep(every);
  }
}

/** Rejects after `ms` (real time) naming `what`, unless `promise` settles first. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const stop = new AbortController();
  try {
    return await Promise.race([
      promise,
      systemClock.sleep(ms, stop.signal).then(() => {
        throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      }),
    ]);
  } finally {
    stop.abort();
  }
}

/** A gate handlers wait on until the test opens it. */
export class Gate {
  private readonly opened: Promise<void>;
  private openIt!: () => void;
  isOpen = false;
  constructor() {
    this.opened = new Promise((resolve) => (this.openIt = resolve));
  }
  open(): void {
    this.isOpen = true;
    this.openIt();
  }
  wait(): Promise<void> {
    return this.opened;
  }
}

/** Ids expected but never seen, and ids seen more than once. */
export function deliveryReport(expected: Iterable<string>, received: readonly string[]): { missing: string[]; duplicated: string[] } {
  const seen = new Map<string, number>();
  for (const id of received) seen.set(id, (seen.get(id) ?? 0) + 1);
  const missing = [...expected].filter((id) => !seen.has(id));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  return { missing, duplicated };
}

/** Fails unless `promise` rejects with `code`; compares `err.code`, never classes. */
export async function expectCode(promise: Promise<unknown>, code: string, what: string): Promise<Error> {
  let result: unknown;
  try {
    result = await promise;
  } catch (err) {
    const got = (err as { code?: unknown } | null)?.code;
    if (got !== code) {
      throw new Error(`${what} should fail with ${code}, but failed with ${String(got)}: ${(err as Error)?.message ?? String(err)}`);
    }
    return err as Error;
  }
  throw new Error(`${what} should fail with ${code}, but it succeeded (${JSON.stringify(result)})`);
}

/** A seeded random number generator (mulberry32), so a failing bulk run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
