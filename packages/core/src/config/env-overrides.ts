/**
 * `SWITCHYARD_*` environment overrides of a config file, shared by the gateway and the SDK's
 * config-built services so both read the same variables the same way. `__` separates key path
 * segments; within a segment SNAKE_CASE becomes camelCase; a numeric segment indexes an array
 * (transports by index):
 *
 *   SWITCHYARD_HTTP__PORT=9000                      → http.port = 9000
 *   SWITCHYARD_TRANSPORTS__0__VALKEY__URL=redis://… → transports[0].valkey.url
 *   SWITCHYARD_SERVICE__REGION=eu-west-1            → service.region (a service config)
 *   SWITCHYARD_ROUTING__DEFAULT_VERSIONS__BILLING=1.4.2 → routing.defaultVersions.billing
 *
 * A value is parsed as JSON when it is valid JSON (numbers, booleans, arrays, objects), else kept
 * as a string. Only variables whose first segment names one of the caller's top-level config keys
 * are read, so unrelated `SWITCHYARD_*` variables (test switches) never break startup. Keys under a
 * record key (e.g. `defaultVersions`) are used lower-cased as given, without camelCase conversion.
 */

export const ENV_PREFIX = 'SWITCHYARD_';

export type EnvVars = Readonly<Record<string, string | undefined>>;

export interface EnvOverride {
  readonly variable: string;
  readonly path: readonly (string | number)[];
  readonly value: unknown;
}

/** Which variables a config shape reads. */
export interface EnvOverrideShape {
  /** The config's top-level keys (camelCase); other `SWITCHYARD_*` variables are ignored. */
  readonly topLevelKeys: readonly string[];
  /** Keys whose children are free-form names (record keys), not schema keys. @default [] */
  readonly recordKeys?: readonly string[];
}

const camel = (segment: string): string => segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The overrides found in `env` for a config of `shape`, in a stable order (sorted by variable name). */
export function readEnvOverrides(env: EnvVars, shape: EnvOverrideShape): EnvOverride[] {
  const recordKeys = new Set(shape.recordKeys ?? []);
  const out: EnvOverride[] = [];
  for (const variable of Object.keys(env).sort()) {
    const raw = env[variable];
    if (!variable.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const segments = variable.slice(ENV_PREFIX.length).split('__');
    const first = segments[0];
    if (first === undefined || !shape.topLevelKeys.includes(camel(first))) continue;
    const path: (string | number)[] = [];
    let inRecord = false;
    for (const segment of segments) {
      if (/^\d+$/.test(segment)) path.push(Number(segment));
      else if (inRecord) path.push(segment.toLowerCase());
      else path.push(camel(segment));
      inRecord = recordKeys.has(String(path[path.length - 1]));
    }
    out.push({ variable, path, value: parseValue(raw) });
  }
  return out;
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Returns a copy of `raw` with every override applied (creating objects/arrays on the way), and a
 * map from dotted key path to the variable that set it, so errors can name their source.
 */
export function applyEnvOverrides(raw: unknown, overrides: readonly EnvOverride[]): { value: unknown; sources: Map<string, string> } {
  const root: Record<string, unknown> = isRecord(raw) ? structuredClone(raw) : {};
  const sources = new Map<string, string>();
  for (const o of overrides) {
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < o.path.length - 1; i++) {
      const key = o.path[i] as string | number;
      const nextKey = o.path[i + 1];
      const existing = (node as Record<string | number, unknown>)[key];
      if (typeof existing !== 'object' || existing === null) {
        const created = typeof nextKey === 'number' ? [] : {};
        (node as Record<string | number, unknown>)[key] = created;
        node = created;
      } else {
        node = existing as Record<string, unknown>;
      }
    }
    const last = o.path[o.path.length - 1] as string | number;
    (node as Record<string | number, unknown>)[last] = o.value;
    sources.set(formatConfigPath(o.path), o.variable);
  }
  return { value: root, sources };
}

/** `transports[0].valkey.url` style. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(root)' : out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
