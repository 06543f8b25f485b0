/**
 * What an endpoint option may give as a schema, and its conversion to plain JSON Schema
 * (2020-12): a JSON Schema object passes through; a Standard Schema value is converted by its
 * own library through Standard JSON Schema (zod 4 does this; `z.toJSONSchema` gives the same).
 */
import { InvalidArgumentError, type JsonSchema } from '@switchyard/core';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema.js';

/** A JSON Schema 2020-12 object, or a Standard Schema value that can produce one. */
export type SchemaInput = JsonSchema | StandardSchemaV1;

/**
 * JSON Schema for `input` at `at` (named in errors). `direction` picks what a Standard Schema
 * describes: the value it accepts (requests) or the value it produces (responses).
 */
export function toJsonSchema(input: SchemaInput, direction: 'input' | 'output', at: string): JsonSchema {
  if (typeof input === 'boolean') return input;
  if (isStandardSchema(input)) {
    const converter = input['~standard'].jsonSchema;
    if (converter === undefined) {
      throw new InvalidArgumentError(
        at,
        `is a ${input['~standard'].vendor} Standard Schema that cannot produce JSON Schema; give a JSON Schema object, or a schema library that implements Standard JSON Schema (zod 4 does)`,
      );
    }
    const { $schema: _dialect, ...schema } = converter[direction]({ target: 'draft-2020-12' });
    return schema;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw InvalidArgumentError.format(at, 'a JSON Schema object or a Standard Schema value', input);
  // Round-trip through JSON: what the gateway gets is what JSON can carry, and a schema it cannot carry fails here, at declaration.
  try {
    return JSON.parse(JSON.stringify(input)) as JsonSchema;
  } catch (err) {
    throw new InvalidArgumentError(at, `is not JSON-serializable: ${(err as Error).message}`);
  }
}
