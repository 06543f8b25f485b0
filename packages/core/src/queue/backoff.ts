/** Exponential backoff: min(maxMs, baseMs * 2^(attempt - 1)), attempt 1-based. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(Math.max(attempt, 1) - 1, 30);
  return Math.min(maxMs, baseMs * 2 ** exp);
}
