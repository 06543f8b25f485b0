/**
 * The service description (docs/protocol.md, "Service description"): what an instance serves,
 * with summaries and JSON Schemas, so a gateway can publish an OpenAPI document and validate
 * requests before dispatch. HELLO carries only its hash (`descriptionHash`); a gateway fetches
 * the description once per hash with an ordinary REQUEST to DESCRIPTION_PATH, which the SDK
 * answers itself and which no client request can reach (the gateway answers that path first).
 */
import { createHash } from 'node:crypto';
import type { HttpMethod } from './frames.js';

/** The reserved path of the description exchange; its query is `hash=<descriptionHash>`. */
export const DESCRIPTION_PATH = '/_switchyard/description';

/** A JSON Schema (2020-12) as a plain JSON object. */
export type JsonSchema = { readonly [keyword: string]: unknown } | boolean;

/** Schemas of one response status, by content type. */
export interface ResponseDescription {
  readonly description?: string;
  /** Content type → schema of the body. */
  readonly content?: Readonly<Record<string, JsonSchema>>;
}

/** One endpoint as described: documentation and the schemas of each part of its requests. */
export interface OperationDescription {
  readonly method: HttpMethod;
  /** The path template exactly as in HELLO (`/items/{id}`, `/files/{path...}`). */
  readonly path: string;
  readonly operationId?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly deprecated?: boolean;
  /** Object schema of the path parameters (values arrive as strings). */
  readonly params?: JsonSchema;
  /** Object schema of the query parameters (a repeated name is an array). */
  readonly query?: JsonSchema;
  /** Object schema of the headers (lower-case names). */
  readonly headers?: JsonSchema;
  /** Content type → schema of the request body. */
  readonly body?: Readonly<Record<string, JsonSchema>>;
  /** Status (`"200"`, `"4XX"`, `"default"`) → response. */
  readonly responses?: Readonly<Record<string, ResponseDescription>>;
}

export interface ServiceDescription {
  readonly service: string;
  readonly version: string;
  readonly operations: readonly OperationDescription[];
}

/**
 * SHA-256 (hex) of the description's canonical JSON (object keys sorted, operations sorted by
 * method and path): equal descriptions hash equally whatever order they were declared in.
 */
export function computeDescriptionHash(description: ServiceDescription): string {
  const operations = [...description.operations].sort((a, b) => (`${a.method} ${a.path}` < `${b.method} ${b.path}` ? -1 : 1));
  return createHash('sha256').update(canonicalJson({ ...description, operations })).digest('hex');
}

/** JSON with object keys sorted at every depth; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
