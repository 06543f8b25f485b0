// Numbers with units for the console's tables.

/** `850 ms`, `12.3 s`, `4 min`, `2.5 h`, `3.0 d`. */
export function duration(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function ago(epochMs, now) {
  return `${duration(Math.max(0, now - epochMs))} ago`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function count(n) {
  return new Intl.NumberFormat('en').format(n);
}

export function rate(perSecond) {
  if (perSecond === undefined || perSecond === null) return '–';
  return `${perSecond < 10 ? perSecond.toFixed(2) : Math.round(perSecond)} req/s`;
}

export function ms(value) {
  if (value === undefined || value === null) return '–';
  return value < 1 ? `${value.toFixed(2)} ms` : `≤ ${value >= 1000 ? `${value / 1000} s` : `${value} ms`}`;
}
