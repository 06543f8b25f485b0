/**
 * Loud skips: uvu counts a `test.skip(...)` as "Skipped" (scripts/run-tests.mjs adds them up), and
 * this banner says why, so a missing tool never reads as a pass.
 */

/** Prints the banner a skipped suite must show: what was skipped, why, and how to run it. */
export function loudSkip(what: string, reason: string, howToRun: readonly string[]): void {
  const line = '!'.repeat(78);
  const lines = [`!! SKIPPED: ${what}`, `!! ${reason}`, ...howToRun.map((l) => `!! ${l}`)];
  process.stderr.write(`\n${line}\n${lines.join('\n')}\n${line}\n\n`);
}
