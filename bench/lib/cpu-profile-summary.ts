/**
 * The top items of a V8 CPU profile (`node --cpu-prof`): where a process spent its busy time, by
 * function (self time) and by group (a package of this repository, an npm package, a Node
 * internal module, or the engine: garbage collector, native code, the program itself). Idle
 * samples are left out, so shares are of the time the process was busy: a profile covers the
 * whole life of the process (start-up, warm-up, idle gaps), and busy shares compare across
 * processes and runs where absolute times do not.
 */
import { readFileSync } from 'node:fs';

/** The part of a `.cpuprofile` file read here. */
interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileItem {
  readonly name: string;
  readonly ms: number;
  /** Percent of the process's busy time. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly busyMs: number;
  /** Functions by self time, largest first: `name file:line` (native and engine entries have no file). */
  readonly functions: readonly ProfileItem[];
  /** Groups by self time, largest first (see groupOf). */
  readonly groups: readonly ProfileItem[];
}

const ENGINE = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

/** `pkg:<package>` for this repository's packages, `npm:<name>`, `node:<module>`, an engine entry, or `native`. */
function groupOf(url: string, functionName: string): string {
  if (url === '') return ENGINE.has(functionName) ? functionName : 'native';
  if (url.startsWith('node:')) return url;
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (npm !== null) return `npm:${npm[1] as string}`;
  const pkg = /\/packages\/([^/]+)\//.exec(url);
  if (pkg !== null) return `pkg:${pkg[1] as string}`;
  return url.slice(url.lastIndexOf('/') + 1);
}

function top(totals: Map<string, number>, busyUs: number, n: number): ProfileItem[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: Math.round((us / busyUs) * 1000) / 10 }));
}

/** Summarizes the profile at `file`: its `n` largest functions and groups by self time. */
export function summarizeCpuProfile(file: string, n = 10): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, number>();
  const groups = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id);
    if (frame === undefined || frame.functionName === '(idle)') continue;
    busyUs += us;
    const file = frame.url === '' ? '' : ` ${frame.url.slice(frame.url.lastIndexOf('/') + 1)}:${frame.lineNumber + 1}`;
    const name = `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${file}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const group = groupOf(frame.url, frame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + us);
  }
  const busy = Math.max(busyUs, 1);
  return { busyMs: Math.round(busyUs / 1000), functions: top(functions, busy, n), groups: top(groups, busy, n) };
}

/** The pid in a `--cpu-prof` file name (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`), or undefined. */
export function profilePid(fileName: string): number | undefined {
  const m = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(fileName);
  return m === null ? undefined : Number(m[1]);
}
