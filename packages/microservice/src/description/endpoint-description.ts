/**
 * The documentation and schema options of one endpoint, the request type they give its handler,
 * and their conversion to the wire form (OperationDescription) the gateway fetches.
 */
import { InvalidArgumentError, type HttpMethod, type JsonSchema, type OperationDescription, type ResponseDescription } from '@switchyard/core';
import type { ServiceRequest } from '../types.js';
import { toJsonSchema, type SchemaInput } from './schema-input.js';
import { isStandardSchema, type InferInput } from './standard-schema.js';

/** Several content types, each with its schema: `{ content: { 'application/json': schema, 'text/plain': { type: 'string' } } }`. */
export interface ContentSchemas {
  readonly content: Readonly<Record<string, SchemaInput>>;
}

/** One response status: what it means and the schema of its body (JSON unless given per content type). */
export interface ResponseOption {
  readonly description?: string;
  readonly body?: SchemaInput | ContentSchemas;
}

export interface EndpointDescriptionOptions {
  /** Unique across every service behind the gateway. @default `<service>_<method>_<path words>` */
  readonly operationId?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly deprecated?: boolean;
  /** Object schema of the path parameters; their values arrive as strings (numbers and booleans are coerced for validation). */
  readonly params?: SchemaInput;
  /** Object schema of the query; a repeated name is an array. */
  readonly query?: SchemaInput;
  /** Object schema of the headers, lower-case names. */
  readonly headers?: SchemaInput;
  /** Schema of the JSON body (`application/json`), or schemas per content type. */
  readonly body?: SchemaInput | ContentSchemas;
  /** Status → response, e.g. `{ 200: { description: 'the item', body: itemSchema } }`. */
  readonly responses?: Readonly<Partial<Record<number | 'default', ResponseOption>>>;
}

/** The request a handler sees, typed by the endpoint's Standard Schemas: `json()` returns the body schema's input type, `params` has the params schema's names. */
export interface TypedServiceRequest<Body, ParamName extends string> extends Omit<ServiceRequest, 'params' | 'json'> {
  readonly params: Readonly<Record<ParamName, string>>;
  json<T = Body>(): T;
}

type BodyOf<O> = O extends { readonly body: infer B } ? (B extends ContentSchemas ? unknown : InferInput<B>) : unknown;
type ParamNameOf<O> = O extends { readonly params: infer P } ? (InferInput<P> extends Record<string, unknown> ? Extract<keyof InferInput<P>, string> : string) : string;

/** The request type of an endpoint declared with options `O`. */
export type RequestFor<O> = TypedServiceRequest<BodyOf<O>, ParamNameOf<O>>;

/** The wire form of one endpoint's options; fields without a value are left out. */
export function describeOperation(method: HttpMethod, path: string, options: EndpointDescriptionOptions): OperationDescription {
  const at = `${method} ${path}`;
  const out: { -readonly [K in keyof OperationDescription]: OperationDescription[K] } = { method, path };
  if (options.operationId !== undefined) out.operationId = text(options.operationId, `operationId of ${at}`);
  if (options.summary !== undefined) out.summary = text(options.summary, `summary of ${at}`);
  if (options.description !== undefined) out.description = text(options.description, `description of ${at}`);
  if (options.tags !== undefined) {
    if (!Array.isArray(options.tags) || !options.tags.every((t) => typeof t === 'string' && t.length > 0)) {
      throw InvalidArgumentError.format(`tags of ${at}`, 'an array of non-empty strings', options.tags);
    }
    out.tags = [...options.tags];
  }
  if (options.deprecated !== undefined) out.deprecated = options.deprecated === true;
  if (options.params !== undefined) out.params = toJsonSchema(options.params, 'input', `params schema of ${at}`);
  if (options.query !== undefined) out.query = toJsonSchema(options.query, 'input', `query schema of ${at}`);
  if (options.headers !== undefined) out.headers = toJsonSchema(options.headers, 'input', `headers schema of ${at}`);
  if (options.body !== undefined) out.body = content(options.body, 'input', `body schema of ${at}`);
  if (options.responses !== undefined) {
    const responses: Record<string, ResponseDescription> = {};
    for (const [status, response] of Object.entries(options.responses) as [string, ResponseOption | undefined][]) {
      if (response === undefined) continue;
      if (!/^([1-5][0-9]{2}|default)$/.test(status)) throw InvalidArgumentError.format(`responses of ${at}`, 'keyed by status (100-599) or "default"', status);
      responses[status] = {
        ...(response.description === undefined ? {} : { description: response.description }),
        ...(response.body === undefined ? {} : { content: content(response.body, 'output', `response ${status} schema of ${at}`) }),
      };
    }
    out.responses = responses;
  }
  return out;
}

function content(value: SchemaInput | ContentSchemas, direction: 'input' | 'output', at: string): Record<string, JsonSchema> {
  if (isContentSchemas(value)) {
    const out: Record<string, JsonSchema> = {};
    for (const [type, schema] of Object.entries(value.content)) out[type.toLowerCase()] = toJsonSchema(schema, direction, `${at} (${type})`);
    return out;
  }
  return { 'application/json': toJsonSchema(value, direction, at) };
}

function isContentSchemas(value: SchemaInput | ContentSchemas): value is ContentSchemas {
  if (typeof value !== 'object' || value === null || isStandardSchema(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'content' && typeof (value as { content?: unknown }).content === 'object';
}

function text(value: unknown, at: string): string {
  if (typeof value !== 'string' || value.length === 0) throw InvalidArgumentError.format(at, 'a non-empty string', value);
  return value;
}
