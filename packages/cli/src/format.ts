/** Numbers with units and tables for people; the `--json` path prints the admin API's shapes unchanged. */
import Table from 'cli-table3';

export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const t = new Table({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}

/** `850 ms`, `12.3 s`, `4 min`, `2.5 h`, `3 d`. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** `512 B`, `3.2 KiB`, `1.1 MiB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** An epoch-ms time as ISO, with how long ago. */
export function when(epochMs: number, now: number): string {
  return `${new Date(epochMs).toISOString()} (${duration(Math.max(0, now - epochMs))} ago)`;
}

/**
 * `--since` / `--until`: an ISO date-time, epoch ms, or a duration ago (`90s`, `15m`, `2h`, `7d`).
 * Returns epoch ms, or undefined when `text` is none of these.
 */
export function parseTime(text: string, now: number): number | undefined {
  const ago = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (ago !== null) {
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(ago[1]) * unit;
  }
  if (/^\d{10,}$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  return Number.isFinite(parsed) ? parsed : undefined;
}
