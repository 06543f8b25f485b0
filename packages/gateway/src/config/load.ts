/**
 * Loads and validates the gateway config once: file (YAML or JSON) + `SWITCHYARD_*` env
 * overrides → zod and the transport checks → every problem listed by key path and value →
 * deep-frozen result.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { checkTransportEntries, deepFreeze, formatValue, OptionProblems } from '@switchyard/core/internal';
import { importFromGateway } from '../import-package.js';
import { GatewayConfigError, GatewayConfigFileError } from '../errors.js';
import { defaultNodeId } from './defaults.js';
import { applyEnvOverrides, formatPath, readEnvOverrides } from './env.js';
import { gatewayConfigSchema, type GatewayConfig } from './schema.js';
import { transportOrderProblems } from './admission-schema.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ParseOptions {
  /**
   * The process the config is for, when another process parses it (load-in-child.ts): the
   * default `node.id` names the gateway's process, not the parser's. Default: this process.
   */
  readonly processId?: number;
}

/**
 * Validates `raw` (the parsed file, or `{}`) with `env` overrides applied: the schema, and every
 * `transports` entry through core's transport checks and each named plugin's (a backend's options,
 * a tcp/tls entry), so one error lists every problem of every section. Throws
 * {@link GatewayConfigError}; returns a deep-frozen config.
 */
export async function parseGatewayConfig(raw: unknown, env: Env = {}, options: ParseOptions = {}): Promise<Readonly<GatewayConfig>> {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new GatewayConfigError([`(root): must be a mapping of config keys (got ${formatValue(raw)})`]);
  }
  const { value, sources } = applyEnvOverrides(raw ?? {}, readEnvOverrides(env));
  if (options.processId !== undefined) defaultNodeIdFor(value, options.processId);
  const result = gatewayConfigSchema.safeParse(value, { reportInput: true });
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.flatMap((i) => describeIssue(i, sources));
  // The schema checks an entry's type; core and the plugins check the rest of it. A path the
  // schema already reported is not reported twice.
  const reported = new Set(issues.map((i) => formatPath(i.path)));
  const transports = (value as { transports?: unknown }).transports;
  if (Array.isArray(transports)) {
    for (const p of await checkTransportEntries(transports, 'gateway', 'transports', { importPackage: importFromGateway })) {
      if (!reported.has(p.path)) problems.push(`${p.path}: ${p.message}${fromVariable(p.path, sources)}`);
    }
  }
  for (const p of transportOrderProblems(value)) {
    if (!reported.has(p.path)) problems.push(`${p.path}: ${p.message}`);
  }
  if (!result.success || problems.length > 0) throw new GatewayConfigError(problems);
  return deepFreeze(result.data);
}

/** Reads `file` (`.yaml`, `.yml` or `.json`; YAML is a superset of JSON, so both parse), then {@link parseGatewayConfig}. */
export async function loadGatewayConfig(file: string, env: Env = {}, options: ParseOptions = {}): Promise<Readonly<GatewayConfig>> {
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
  return parseGatewayConfig(raw, env, options);
}

/** Sets `node.id` to the default for `processId` where the config (file and env) names none. */
function defaultNodeIdFor(value: unknown, processId: number): void {
  const config = value as { node?: unknown };
  if (config.node === undefined) config.node = {};
  const node = config.node;
  if (typeof node === 'object' && node !== null && !Array.isArray(node) && (node as { id?: unknown }).id === undefined) (node as { id?: string }).id = defaultNodeId(processId);
}

function describeIssue(issue: z.core.$ZodIssue, sources: ReadonlyMap<string, string>): string[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const problems = new OptionProblems(issue.path.length === 0 ? '' : path);
    problems.unknownKeys(Object.fromEntries(issue.keys.map((k) => [k, true])), knownKeysAt(issue.path));
    return problems.list.map((p) => `${p.path}: ${p.message}${fromVariable(p.path, sources)}`);
  }
  // Credentials are never echoed: a near-miss token or secret in a log is still a leak.
  const isSecret = ['token', 'secret'].includes(String(issue.path.at(-1)));
  const showInput = !isSecret && 'input' in issue && issue.input !== undefined && !(issue.code === 'custom' && typeof issue.input === 'object');
  const got = showInput ? ` (got ${formatValue(issue.input)})` : issue.code === 'invalid_type' ? ' (got nothing)' : '';
  return [`${path}: ${issue.message.replace(/^Invalid input: /, '')}${got}${fromVariable(path, sources)}`];
}

/** ` (from SWITCHYARD_…)` when the value at `path` came from an environment variable. */
function fromVariable(path: string, sources: ReadonlyMap<string, string>): string {
  const variable = sources.get(path);
  return variable === undefined ? '' : ` (from ${variable})`;
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
