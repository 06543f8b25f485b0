/**
 * Redrive policy over any backend's dead letters: pick the ones a filter matches, then replay them
 * at a steady rate (SQS-style redrive) or purge them. Works on the `DeadLetterStore` contract, so
 * every backend gets it without a primitive of its own. The set is fixed when the task starts: a
 * replayed message that fails again comes back with a new id and is not replayed twice.
 */
import type { Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import type { DeadLetter, DeadLetterStore } from './types.js';

/** Which dead letters an operation touches. Every given field must match. */
export interface DeadLetterFilter {
  /** Exactly these ids. */
  readonly ids?: readonly string[];
  /** The reason contains this text (case-insensitive), e.g. `decode-error` or `max-deliveries`. */
  readonly reason?: string;
  /** Dead-lettered at or after this epoch ms. */
  readonly since?: number;
  /** Dead-lettered before this epoch ms. */
  readonly until?: number;
}

/** True when `letter` matches every field of `filter`. */
export function matchesDeadLetter(letter: Pick<DeadLetter<unknown>, 'id' | 'reason' | 'deadLetteredAt'>, filter: DeadLetterFilter): boolean {
  if (filter.ids !== undefined && !filter.ids.includes(letter.id)) return false;
  if (filter.reason !== undefined && !letter.reason.toLowerCase().includes(filter.reason.toLowerCase())) return false;
  if (filter.since !== undefined && letter.deadLetteredAt < filter.since) return false;
  if (filter.until !== undefined && letter.deadLetteredAt >= filter.until) return false;
  return true;
}

const PAGE = 500;

/** Ids of every dead letter in `store` that `filter` matches, oldest first. */
export async function matchingDeadLetterIds(store: DeadLetterStore<unknown>, filter: DeadLetterFilter): Promise<string[]> {
  const ids: string[] = [];
  const { ids: only, ...rest } = filter;
  const wanted = only === undefined ? undefined : new Set(only);
  let after: string | undefined;
  for (;;) {
    const page = await store.list({ limit: PAGE, ...(after === undefined ? {} : { after }) });
    for (const letter of page) if ((wanted === undefined || wanted.has(letter.id)) && matchesDeadLetter(letter, rest)) ids.push(letter.id);
    if (page.length < PAGE) return ids;
    after = page[page.length - 1]?.id;
  }
}

/** One queue's dead letters, named for progress and errors. */
export interface RedriveTarget {
  readonly queue: string;
  readonly store: DeadLetterStore<unknown>;
}

/** Progress of one redrive, as reported after every step and at the end. */
export interface RedriveProgress {
  /** Dead letters the filter matched when the task started, over every target. */
  readonly matched: number;
  /** Moved back to their source queue so far. */
  readonly replayed: number;
  /** Matched but gone by the time their turn came (replayed or purged by someone else). */
  readonly missing: number;
}

export interface RedriveOptions {
  /** Replays per second, > 0. Each letter gets its own turn, so 50/s moves 500 letters in about 10 s. */
  readonly ratePerSecond: number;
  readonly clock: Clock;
  /** Aborting stops before the next replay; letters not yet replayed stay where they are. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RedriveProgress) => void;
}

/** How a redrive ended. `cancelled` is true when the signal stopped it early. */
export interface RedriveResult extends RedriveProgress {
  readonly cancelled: boolean;
}

/**
 * Replays the dead letters `filter` matches in `targets`, `ratePerSecond` at a time, paced by
 * `clock`. Resolves (never rejects on abort) with what was done; a replay error rejects with it,
 * and the letters already moved stay moved.
 */
export async function redriveDeadLetters(targets: readonly RedriveTarget[], filter: DeadLetterFilter, options: RedriveOptions): Promise<RedriveResult> {
  const { ratePerSecond, clock, signal } = options;
  if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) throw InvalidArgumentError.format('redrive ratePerSecond', 'a number > 0', ratePerSecond);
  const work: Array<{ store: DeadLetterStore<unknown>; id: string }> = [];
  for (const target of targets) {
    for (const id of await matchingDeadLetterIds(target.store, filter)) work.push({ store: target.store, id });
  }
  const intervalMs = 1_000 / ratePerSecond;
  const startedAt = clock.now();
  let replayed = 0;
  let missing = 0;
  const progress = (): RedriveProgress => ({ matched: work.length, replayed, missing });
  options.onProgress?.(progress());
  for (let i = 0; i < work.length; i++) {
    if (signal?.aborted === true) return { ...progress(), cancelled: true };
    const waitMs = startedAt + i * intervalMs - clock.now();
    if (waitMs > 0) {
      try {
        await clock.sleep(waitMs, signal);
      } catch {
        return { ...progress(), cancelled: true };
      }
    }
    const item = work[i] as { store: DeadLetterStore<unknown>; id: string };
    if ((await item.store.replay([item.id])) === 1) replayed += 1;
    else missing += 1;
    options.onProgress?.(progress());
  }
  return { ...progress(), cancelled: false };
}

/** Deletes the dead letters `filter` matches in `targets`; returns how many were deleted. */
export async function purgeMatchingDeadLetters(targets: readonly RedriveTarget[], filter: DeadLetterFilter): Promise<number> {
  let purged = 0;
  for (const target of targets) {
    const ids = await matchingDeadLetterIds(target.store, filter);
    for (let i = 0; i < ids.length; i += PAGE) purged += await target.store.purge(ids.slice(i, i + PAGE));
  }
  return purged;
}
