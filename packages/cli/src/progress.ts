/**
 * The redrive progress bar on stderr: redrawn in place on a terminal, a line per 10 % otherwise
 * (so logs of a CI job stay short). Nothing goes to stdout, which `--json` keeps for the result.
 */
import type { RedriveProgress } from '@switchyard/core';

const WIDTH = 30;

export function progressReporter(stream: NodeJS.WritableStream & { isTTY?: boolean }): { update(p: RedriveProgress): void; done(): void } {
  let lastDecile = -1;
  let drawn = false;
  return {
    update(p) {
      const fraction = p.matched === 0 ? 1 : (p.replayed + p.missing) / p.matched;
      const text = `replaying ${bar(fraction)} ${p.replayed + p.missing}/${p.matched}${p.missing > 0 ? ` (${p.missing} gone)` : ''}`;
      if (stream.isTTY === true) {
        stream.write(`\r${text}`);
        drawn = true;
        return;
      }
      const decile = Math.floor(fraction * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}

function bar(fraction: number): string {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH);
  return `[${'#'.repeat(full)}${'.'.repeat(WIDTH - full)}]`;
}
