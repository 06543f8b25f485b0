/**
 * Loads and validates the gateway config once: file (YAML or JSON) + `SWITCHYARD_*` env
 * overrides → zod → every problem listed by key path and value → deep-frozen result.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { GatewayConfigError, GatewayConfigFileError } from '../errors.js';
import { applyEnvOverrides, formatPath, readEnvOverrides } from './env.js';
import { gatewayConfigSchema, type GatewayConfig } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates `raw` (the parsed file, or `{}`) with `env` overrides applied. Throws
 * {@link GatewayConfigError} listing every problem; returns a deep-frozen config.
 */
export function parseGatewayConfig(raw: unknown, env: Env = {}): Readonly<GatewayConfig> {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new GatewayConfigError([`(root): must be a mapping of config keys (got ${describe(raw)})`]);
  }
  const { value, sources } = applyEnvOverrides(raw ?? {}, readEnvOverrides(env));
  const result = gatewayConfigSchema.safeParse(value, { reportInput: true });
  if (!result.success) throw new GatewayConfigError(result.error.issues.map((i) => describeIssue(i, sources)));
  return deepFreeze(result.data);
}

/** Reads `file` (`.yaml`, `.yml` or `.json`; YAML is a superset of JSON, so both parse), then {@link parseGatewayConfig}. */
export async function loadGatewayConfig(file: string, env: Env = {}): Promise<Readonly<GatewayConfig>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new GatewayConfigFileError(file, (err as Error).message, { cause: err });
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new GatewayConfigFileError(file, `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { cause: err });
  }
  return parseGatewayConfig(raw, env);
}

function describeIssue(issue: z.core.$ZodIssue, sources: ReadonlyMap<string, string>): string {
  const path = formatPath(issue.path);
  const from = (p: string): string => {
    const variable = sources.get(p);
    return variable === undefined ? '' : ` (from ${variable})`;
  };
  if (issue.code === 'unrecognized_keys') {
    const parentKeys = knownKeysAt(issue.path);
    return issue.keys
      .map((k) => {
        const full = issue.path.length === 0 ? k : `${path}.${k}`;
        const hint = closest(k, parentKeys);
        return `${full}: unknown key${hint === undefined ? '' : ` (did you mean "${hint}"?)`}${from(full)}`;
      })
      .join('\n  - ');
  }
  // Credentials are never echoed: a near-miss token or secret in a log is still a leak.
  const isSecret = ['token', 'secret'].includes(String(issue.path.at(-1)));
  const showInput = !isSecret && 'input' in issue && issue.input !== undefined && !(issue.code === 'custom' && typeof issue.input === 'object');
  const got = showInput ? ` (got ${describe(issue.input)})` : issue.code === 'invalid_type' ? ' (got nothing)' : '';
  return `${path}: ${issue.message.replace(/^Invalid input: /, '')}${got}${from(path)}`;
}

/** Keys the schema knows at `path` (for "did you mean"). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = gatewayConfigSchema;
  for (const p of path) {
    schema = unwrap(schema);
    if (typeof p === 'number') schema = (schema as { element?: unknown }).element;
    else schema = (schema as { shape?: Record<string, unknown> }).shape?.[String(p)];
    if (schema === undefined) return [];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> }).shape;
  return shape === undefined ? [] : Object.keys(shape);
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown; in?: unknown; schema?: unknown } } | undefined;
  for (let i = 0; i < 8 && s?.def !== undefined; i++) {
    const next = s.def.innerType ?? s.def.in ?? s.def.schema;
    if (next === undefined) break;
    s = next as typeof s;
  }
  return s;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
