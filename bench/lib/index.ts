/** Shared benchmark helpers: statistics, result files, tables. */
export { type LatencySummary, percentile, median, summarize, ratePerSecond, round, elapsedMs } from './stats.js';
export { type BenchEnvironment, benchEnvironment, writeResults, resultsDir } from './results.js';
export { type Cell, type Column, formatTable, printTable } from './table.js';
export { CpuWindow, processCounters, processCpuMicros } from './process-cpu.js';
export { valkeyCpuMicros } from './valkey-cpu.js';
export { type ProfileItem, type ProfileSummary, profilePid, summarizeCpuProfile } from './cpu-profile-summary.js';
