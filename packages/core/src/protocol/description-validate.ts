/**
 * Checks a service description received from an instance (docs/protocol.md, "Service
 * description") before a gateway builds documents or validators from it. Schemas are checked to
 * be JSON objects or booleans here; whether they are valid JSON Schema is the validator's
 * business when it compiles them.
 */
import { InvalidArgumentError } from '../errors.js';
import type { JsonSchema, OperationDescription, ResponseDescription, ServiceDescription } from './description.js';
import type { HttpMethod } from './frames.js';
import { formatValue } from '../options/format-value.js';
import { HTTP_METHODS } from './validate.js';

type Json = Record<string, unknown>;

/** Returns the description as received when every field has its documented type; throws InvalidArgumentError naming the field otherwise. */
export function parseServiceDescription(value: unknown): ServiceDescription {
  const d = object(value, 'description');
  const service = text(d.service, 'description.service');
  const version = text(d.version, 'description.version');
  if (!Array.isArray(d.operations)) fail('description.operations', 'an array', d.operations);
  const operations = (d.operations as unknown[]).map((o, i) => operation(o, `description.operations[${i}]`));
  return { service, version, operations };
}

function operation(value: unknown, at: string): OperationDescription {
  const o = object(value, at);
  if (typeof o.method !== 'string' || !HTTP_METHODS.includes(o.method as HttpMethod)) fail(`${at}.method`, `one of ${HTTP_METHODS.join(', ')}`, o.method);
  const out: { -readonly [K in keyof OperationDescription]: OperationDescription[K] } = {
    method: o.method as HttpMethod,
    path: text(o.path, `${at}.path`),
  };
  if (o.operationId !== undefined) out.operationId = text(o.operationId, `${at}.operationId`);
  if (o.summary !== undefined) out.summary = text(o.summary, `${at}.summary`);
  if (o.description !== undefined) out.description = text(o.description, `${at}.description`);
  if (o.tags !== undefined) {
    if (!Array.isArray(o.tags) || !o.tags.every((t) => typeof t === 'string')) fail(`${at}.tags`, 'an array of strings', o.tags);
    out.tags = o.tags as string[];
  }
  if (o.deprecated !== undefined) {
    if (typeof o.deprecated !== 'boolean') fail(`${at}.deprecated`, 'a boolean', o.deprecated);
    out.deprecated = o.deprecated;
  }
  if (o.params !== undefined) out.params = schema(o.params, `${at}.params`);
  if (o.query !== undefined) out.query = schema(o.query, `${at}.query`);
  if (o.headers !== undefined) out.headers = schema(o.headers, `${at}.headers`);
  if (o.body !== undefined) out.body = content(o.body, `${at}.body`);
  if (o.responses !== undefined) {
    const r = object(o.responses, `${at}.responses`);
    const responses: Record<string, ResponseDescription> = {};
    for (const status of Object.keys(r)) {
      if (!/^([1-5][0-9X]{2}|default)$/.test(status)) fail(`${at}.responses key`, 'a status like "200", "4XX" or "default"', status);
      const entry = object(r[status], `${at}.responses.${status}`);
      const response: { description?: string; content?: Readonly<Record<string, JsonSchema>> } = {};
      if (entry.description !== undefined) response.description = text(entry.description, `${at}.responses.${status}.description`);
      if (entry.content !== undefined) response.content = content(entry.content, `${at}.responses.${status}.content`);
      responses[status] = response;
    }
    out.responses = responses;
  }
  return out;
}

function content(value: unknown, at: string): Readonly<Record<string, JsonSchema>> {
  const c = object(value, at);
  const out: Record<string, JsonSchema> = {};
  for (const type of Object.keys(c)) out[type] = schema(c[type], `${at}[${JSON.stringify(type)}]`);
  return out;
}

function schema(value: unknown, at: string): JsonSchema {
  if (typeof value === 'boolean') return value;
  return object(value, at);
}

function text(value: unknown, at: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(at, 'a non-empty string', value);
  return value;
}

function object(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(at, 'an object', value);
  return value as Json;
}

function fail(at: string, expected: string, got: unknown): never {
  throw new InvalidArgumentError(at, `must be ${expected} (got ${formatValue(got)})`);
}
