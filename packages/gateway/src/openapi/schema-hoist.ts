/**
 * Moves a schema's `$defs` into the document's `components.schemas` and rewrites its local
 * `#/$defs/<name>` references to them. Inside an OpenAPI document a bare `#/…` reference is
 * resolved against the document, not the schema it was written in, so a schema converted from
 * zod (which puts shared parts in `$defs`) would otherwise point nowhere.
 */
import type { JsonSchema } from '@switchyard/core';

/** Hoists `schema.$defs` as `components[prefix + name]`; returns the schema without `$defs`. */
export function hoistDefs(schema: JsonSchema, prefix: string, components: Record<string, unknown>): JsonSchema {
  if (typeof schema === 'boolean' || schema.$defs === undefined || typeof schema.$defs !== 'object' || schema.$defs === null) return schema;
  const defs = schema.$defs as Record<string, unknown>;
  const names = new Map<string, string>();
  // Component names may hold only [A-Za-z0-9._-]; the prefix carries content types ("application/json").
  for (const name of Object.keys(defs)) names.set(name, `${prefix}${name}`.replace(/[^A-Za-z0-9._-]/g, '_'));
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        const target = names.get(decodeURIComponent(v.slice('#/$defs/'.length)));
        out[k] = target === undefined ? v : `#/components/schemas/${target}`;
      } else {
        out[k] = rewrite(v);
      }
    }
    return out;
  };
  for (const [name, def] of Object.entries(defs)) components[names.get(name) as string] = rewrite(def);
  const { $defs: _hoisted, ...rest } = schema;
  return rewrite(rest) as JsonSchema;
}
