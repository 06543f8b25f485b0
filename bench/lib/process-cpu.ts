/**
 * CPU time of a process from Linux `/proc/<pid>/stat` (user + system, including threads), so a
 * benchmark can report CPU-µs per request per process over exactly the window it measured. On a
 * machine whose cores are shared by the load generator and every process of the path, req/s
 * measures the box; CPU per request measures the code.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc` times (`getconf CLK_TCK`; 100 on every Linux we run). */
const TICKS_PER_SECOND = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of `/proc/<pid>/stat` after comm (field 3 of the line is index 0); undefined once it is gone. */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (comm) may contain spaces and parentheses: the fields after it start past the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Total CPU time (user + system) of `pid` so far, in microseconds; undefined once it is gone. */
export function processCpuMicros(pid: number): number | undefined {
  return processCounters(pid)?.cpuMicros;
}

/**
 * `pid`'s CPU time so far (user + system, µs) and its minor page faults so far (minflt: each first
 * touch of a page the process was given afresh, such as a large buffer the allocator mapped for
 * it), from one read of its stat file; undefined once it is gone.
 */
export function processCounters(pid: number): { cpuMicros: number; minorFaults: number } | undefined {
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  // After comm, minflt is the 8th field and utime and stime the 12th and 13th (10, 14 and 15 of the whole line).
  return { cpuMicros: ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND, minorFaults: Number(fields[7]) };
}

/** Named processes whose CPU is read at the start and end of one measured window. */
export class CpuWindow {
  private readonly start = new Map<string, number>();
  constructor(private readonly pids: Readonly<Record<string, number>>) {
    for (const [name, pid] of Object.entries(pids)) {
      const t = processCpuMicros(pid);
      if (t !== undefined) this.start.set(name, t);
    }
  }

  /** CPU-µs per request of each process over the window, and their sum under `total`. */
  perRequest(requests: number): Record<string, number> {
    const out: Record<string, number> = {};
    let total = 0;
    for (const [name, pid] of Object.entries(this.pids)) {
      const before = this.start.get(name);
      const after = processCpuMicros(pid);
      if (before === undefined || after === undefined || requests <= 0) continue;
      const us = (after - before) / requests;
      out[name] = us;
      total += us;
    }
    out.total = total;
    return out;
  }
}
