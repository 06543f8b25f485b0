/**
 * The one options checker: every check of a config section or an options object adds to an
 * OptionProblems, so a caller learns every problem at once, each as a key path, what was expected
 * and the value received. The owner of the options turns the list into its own typed error.
 */
import { closestKey } from './closest-key.js';
import { formatValue } from './format-value.js';

/** One problem: `path` is the full key path (`transports[0].queues.leaseMs`), `message` the rest. */
export interface OptionProblem {
  readonly path: string;
  readonly message: string;
}

export interface UnknownKeyOptions {
  /** What the keys are, for the message: `is not ${noun}`. Without it the message is `unknown key`. */
  readonly noun?: string;
  /** Keys that were renamed or moved, old name → what to use instead. */
  readonly renamed?: Readonly<Record<string, string>>;
  /** Keys allowed besides `known` without being listed in the message (e.g. a backend's own section). */
  readonly alsoAllowed?: readonly string[];
}

export class OptionProblems {
  readonly list: OptionProblem[] = [];

  /** `prefix` is put in front of every path added (e.g. `transports[0].valkey`). */
  constructor(private readonly prefix = '') {}

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  /** A problem at `path` (relative to the prefix; '' is the prefix itself). */
  add(path: string, message: string): void {
    this.list.push({ path: this.pathOf(path), message });
  }

  /** The full key path of `path` (relative to the prefix). */
  pathOf(path: string): string {
    return join(this.prefix, path);
  }

  /** `<path> must be <expected> (got <value>)`. */
  expected(path: string, expected: string, got: unknown): void {
    this.add(path, `must be ${expected} (got ${formatValue(got)})`);
  }

  /** Adds problems that already carry full paths (another checker's), under this one's prefix. */
  addAll(problems: readonly OptionProblem[]): void {
    for (const p of problems) this.list.push({ path: join(this.prefix, p.path), message: p.message });
  }

  /**
   * One problem per key of `input` that is not in `known` (at `path`): a renamed key names its
   * replacement, a likely typo names the nearest known key, any other lists the known keys.
   */
  unknownKeys(input: object, known: readonly string[], path = '', options: UnknownKeyOptions = {}): void {
    for (const key of Object.keys(input)) {
      if (known.includes(key) || options.alsoAllowed?.includes(key)) continue;
      const renamed = options.renamed?.[key];
      const near = renamed === undefined ? closestKey(key, known) : undefined;
      const hint =
        renamed !== undefined ? `; use ${renamed}` : near !== undefined ? ` (did you mean "${near}"?)` : ` (known: ${known.join(', ')})`;
      this.add(join(path, key), `${options.noun === undefined ? 'unknown key' : `is not ${options.noun}`}${hint}`);
    }
  }

  /** True when `value` is an integer in [min, max]; otherwise adds `must be <expected>` and returns false. */
  integer(path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return true;
    this.expected(path, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`, value);
    return false;
  }

  /** True when `value` is a non-empty string; otherwise adds a problem (a secret's value is not shown). */
  nonEmptyString(path: string, value: unknown, isSecret = false): value is string {
    if (typeof value === 'string' && value.length > 0) return true;
    if (!isSecret) this.expected(path, 'a non-empty string', value);
    else this.add(path, `must be a non-empty string (got ${typeof value === 'string' ? 'an empty string' : `a ${typeof value}`})`);
    return false;
  }

  /** True when `value` is a plain object (not null, not an array); otherwise adds `must be <expected>`. */
  object(path: string, value: unknown, expected = 'an object'): boolean {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return true;
    this.expected(path, expected, value);
    return false;
  }

  /** Each problem as `<path> <message>`. */
  messages(): string[] {
    return this.list.map(renderProblem);
  }
}

/** `<path> <message>`, or the message alone for the root. */
export function renderProblem(problem: OptionProblem): string {
  return problem.path === '' ? problem.message : `${problem.path} ${problem.message}`;
}

/** Joins key paths: `a` + `b` → `a.b`, `a` + `[0]` → `a[0]`, '' + `b` → `b`. */
function join(base: string, key: string): string {
  if (base === '') return key;
  if (key === '') return base;
  return key.startsWith('[') ? `${base}${key}` : `${base}.${key}`;
}
