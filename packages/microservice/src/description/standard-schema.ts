/**
 * The Standard Schema interfaces (standardschema.dev) the SDK reads, declared here so the SDK
 * needs no schema library: zod 4, Valibot, ArkType and others implement them. `StandardSchemaV1`
 * gives the handler its types; `jsonSchema` (Standard JSON Schema) turns the value into the
 * JSON Schema the gateway publishes and validates with.
 */

export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
    /** Standard JSON Schema: present when the library can describe the value as JSON Schema. */
    readonly jsonSchema?: StandardJsonSchemaConverter | undefined;
  };
}

export interface StandardJsonSchemaConverter {
  input(options: { readonly target: 'draft-2020-12' | 'draft-07' | 'openapi-3.0' }): Record<string, unknown>;
  output(options: { readonly target: 'draft-2020-12' | 'draft-07' | 'openapi-3.0' }): Record<string, unknown>;
}

/** The type a Standard Schema value accepts. */
export type InferInput<S> = S extends StandardSchemaV1<infer I, unknown> ? I : unknown;
/** The type a Standard Schema value produces. */
export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : unknown;

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && '~standard' in value;
}
