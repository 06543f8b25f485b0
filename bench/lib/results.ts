/**
 * Writes a benchmark's results as JSON under bench/results/: `<name>-<timestamp>.json` and
 * `<name>-latest.json` (same content). Results are written, never asserted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** Where and when a benchmark ran, recorded beside its numbers. */
export interface BenchEnvironment {
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryMiB: number;
}

export function benchEnvironment(): BenchEnvironment {
  const list = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
  };
}

/** Writes `{ name, startedAt, environment, ...data }`; returns the two paths written. */
export function writeResults(name: string, data: Readonly<Record<string, unknown>>, startedAt = new Date()): { file: string; latest: string } {
  mkdirSync(resultsDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const body = JSON.stringify({ name, startedAt: startedAt.toISOString(), environment: benchEnvironment(), ...data }, null, 2) + '\n';
  const file = join(resultsDir, `${name}-${stamp}.json`);
  const latest = join(resultsDir, `${name}-latest.json`);
  writeFileSync(file, body);
  writeFileSync(latest, body);
  return { file, latest };
}
