/**
 * Request (and, for development, response) validation against an endpoint's schemas
 * (docs/operations.md, "Request validation"). Every operation of a description is compiled once,
 * the first time a request needs that description's hash, with ajv's JSON Schema 2020-12
 * dialect; a request then costs a Map lookup and the compiled functions. Params, query and
 * headers arrive as strings, so their validator coerces numbers and booleans (and a single
 * value into a one-element array); the JSON body is validated as parsed, without coercion.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { EndpointDescriptor, JsonSchema, Logger, OperationDescription } from '@switchyard/core';
import type { DescriptionStore } from './description-store.js';

type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
// ajv-formats is CommonJS: its default export arrives either as the function or wrapped in `.default`.
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

/** One validation error: where (a JSON pointer into params, query, headers or body), which keyword, and why. */
export interface ValidationError {
  readonly pointer: string;
  readonly keyword: string;
  readonly message: string;
}

/** What the gateway read of a request, before dispatch. */
export interface RequestParts {
  readonly params: Readonly<Record<string, string>>;
  /** Raw query string without `?`. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

interface CompiledOperation {
  readonly params?: ValidateFunction;
  readonly query?: ValidateFunction;
  readonly headers?: ValidateFunction;
  /** Media type → body validator (null: the type is accepted but its body is not JSON and not checked). */
  readonly body?: ReadonlyMap<string, ValidateFunction | null>;
  /** Status → JSON response body validator. */
  readonly responses: ReadonlyMap<string, ValidateFunction>;
}

const utf8 = new TextDecoder();

export class RequestValidator {
  /** Description hash → `METHOD path` → compiled operation (undefined: the operation has no description). */
  private readonly compiled = new Map<string, Map<string, CompiledOperation>>();

  constructor(
    private readonly store: DescriptionStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Every error of the request against the schemas of `endpoint` as `instanceId` described it;
   * an empty array when it is valid, or when there is nothing to validate against yet (no
   * description announced, or not fetched: see docs/operations.md).
   */
  validateRequest(instanceId: string, endpoint: EndpointDescriptor, request: RequestParts): ValidationError[] {
    const op = this.operation(instanceId, endpoint);
    if (op === undefined) return [];
    const errors: ValidationError[] = [];
    if (op.params !== undefined) check(op.params, { ...request.params }, '/params', errors);
    if (op.query !== undefined) check(op.query, parseQuery(request.query), '/query', errors);
    if (op.headers !== undefined) check(op.headers, { ...request.headers }, '/headers', errors);
    if (op.body !== undefined) this.checkBody(op.body, request, errors);
    return errors;
  }

  /** Errors of a JSON response body against the schema the operation declares for `status`; empty when none is declared. */
  validateResponse(instanceId: string, endpoint: EndpointDescriptor, status: number, contentType: string | undefined, body: Uint8Array): ValidationError[] {
    const op = this.operation(instanceId, endpoint);
    const validate = op?.responses.get(String(status)) ?? op?.responses.get(`${String(status)[0]}XX`) ?? op?.responses.get('default');
    if (validate === undefined || !isJson(mediaType(contentType))) return [];
    const errors: ValidationError[] = [];
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(body));
    } catch {
      return [{ pointer: '/body', keyword: 'json', message: 'is not valid JSON' }];
    }
    check(validate, value, '/body', errors);
    return errors;
  }

  private checkBody(body: ReadonlyMap<string, ValidateFunction | null>, request: RequestParts, errors: ValidationError[]): void {
    const header = request.headers['content-type'];
    const type = mediaType(Array.isArray(header) ? header[0] : header);
    if (request.body.byteLength === 0) {
      errors.push({ pointer: '/body', keyword: 'required', message: `a body is required (${[...body.keys()].join(' or ')})` });
      return;
    }
    if (!body.has(type)) {
      errors.push({ pointer: '/headers/content-type', keyword: 'enum', message: `must be one of ${[...body.keys()].join(', ')} (got ${type === '' ? 'none' : type})` });
      return;
    }
    const validate = body.get(type);
    if (validate === null || validate === undefined) return;
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(request.body));
    } catch (err) {
      errors.push({ pointer: '/body', keyword: 'json', message: `is not valid JSON: ${(err as Error).message}` });
      return;
    }
    check(validate, value, '/body', errors);
  }

  private operation(instanceId: string, endpoint: EndpointDescriptor): CompiledOperation | undefined {
    const hash = this.store.hashOf(instanceId);
    if (hash === undefined) return undefined;
    let ops = this.compiled.get(hash);
    if (ops === undefined) {
      const description = this.store.byDescriptionHash(hash);
      if (description === undefined) {
        // Not fetched yet, or the fetch failed: ask again (a no-op while one runs or soon after a failure); never awaited here.
        void this.store.ensure(instanceId);
        return undefined;
      }
      ops = this.compile(hash, description.operations);
      for (const known of this.compiled.keys()) if (this.store.byDescriptionHash(known) === undefined) this.compiled.delete(known);
      this.compiled.set(hash, ops);
    }
    return ops.get(`${endpoint.method} ${endpoint.path}`);
  }

  /** Compiles every operation of one description; a schema that does not compile leaves that part unvalidated and is logged once. */
  private compile(hash: string, operations: readonly OperationDescription[]): Map<string, CompiledOperation> {
    const strings = addFormats(new Ajv2020({ allErrors: true, strict: false, coerceTypes: 'array' }));
    const json = addFormats(new Ajv2020({ allErrors: true, strict: false }));
    const out = new Map<string, CompiledOperation>();
    for (const op of operations) {
      const at = `${op.method} ${op.path}`;
      const compile = (ajv: Ajv2020, schema: JsonSchema | undefined, part: string): ValidateFunction | undefined => {
        if (schema === undefined) return undefined;
        try {
          return ajv.compile(schema);
        } catch (err) {
          this.logger.warn({ hash, operation: at, part, err: (err as Error).message }, 'schema does not compile; this part is not validated');
          return undefined;
        }
      };
      let body: Map<string, ValidateFunction | null> | undefined;
      if (op.body !== undefined && Object.keys(op.body).length > 0) {
        body = new Map();
        for (const [type, schema] of Object.entries(op.body)) {
          const media = mediaType(type);
          body.set(media, isJson(media) ? (compile(json, schema, `body ${type}`) ?? null) : null);
        }
      }
      const responses = new Map<string, ValidateFunction>();
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        const schema = Object.entries(r.content ?? {}).find(([type]) => isJson(mediaType(type)))?.[1];
        const validate = compile(json, schema, `response ${status}`);
        if (validate !== undefined) responses.set(status, validate);
      }
      const params = compile(strings, op.params, 'params');
      const query = compile(strings, op.query, 'query');
      const headers = compile(strings, op.headers, 'headers');
      out.set(at, {
        ...(params === undefined ? {} : { params }),
        ...(query === undefined ? {} : { query }),
        ...(headers === undefined ? {} : { headers }),
        ...(body === undefined ? {} : { body }),
        responses,
      });
    }
    return out;
  }
}

/** Query string → object; a name given more than once becomes an array. */
export function parseQuery(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (raw === '') return out;
  for (const [name, value] of new URLSearchParams(raw)) {
    const before = out[name];
    if (before === undefined) out[name] = value;
    else if (Array.isArray(before)) before.push(value);
    else out[name] = [before, value];
  }
  return out;
}

function check(validate: ValidateFunction, value: unknown, prefix: string, errors: ValidationError[]): void {
  if (validate(value)) return;
  for (const e of validate.errors ?? []) errors.push(toError(e, prefix));
}

function toError(e: ErrorObject, prefix: string): ValidationError {
  let pointer = `${prefix}${e.instancePath}`;
  const missing = (e.params as { missingProperty?: unknown }).missingProperty;
  if (e.keyword === 'required' && typeof missing === 'string') pointer += `/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return { pointer, keyword: e.keyword, message: e.message ?? 'is invalid' };
}

function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function isJson(media: string): boolean {
  return media === 'application/json' || media.endsWith('+json');
}
