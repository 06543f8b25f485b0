/**
 * One OpenAPI 3.1 operation from what an instance announced: the endpoint of HELLO (method, path
 * template, claims, timeout) and, when fetched, its description (documentation and schemas).
 * An endpoint without a description still gets its path parameters, from the template.
 */
import type { EndpointDescriptor, JsonSchema, OperationDescription } from '@switchyard/core';
import { parsePathTemplate } from '@switchyard/core/internal';
import { gatewayResponseRefs } from './gateway-responses.js';
import { hoistDefs } from './schema-hoist.js';

export interface OperationSource {
  readonly service: string;
  readonly version: string;
  readonly endpoint: EndpointDescriptor;
  readonly description: OperationDescription | undefined;
}

/** The name of the bearer scheme in `components.securitySchemes`. */
export const BEARER_SCHEME = 'bearerAuth';

/** `/files/{path...}` → `/files/{path}`: OpenAPI has no catch-all; the parameter says it spans segments. */
export function openApiPath(template: string): string {
  return template.replace(/\{([^}]+?)\.\.\.\}/g, '{$1}');
}

/** Names of the template's parameters in order, with whether each is a catch-all. */
export function templateParams(template: string): Array<{ name: string; rest: boolean }> {
  const segments = parsePathTemplate(template);
  if (typeof segments === 'string') return [];
  const out: Array<{ name: string; rest: boolean }> = [];
  for (const s of segments) if (s.kind !== 'literal') out.push({ name: s.name, rest: s.kind === 'rest' });
  return out;
}

/** A default operationId: `<service>_<method>_<path words>`, e.g. `billing_get_invoices_by_id`. */
export function defaultOperationId(service: string, method: string, template: string): string {
  const words = template
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith('{') ? `by_${s.slice(1, -1).replace(/\.\.\.$/, '')}` : s));
  return [service, method.toLowerCase(), ...words].join('_').replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * The operation object. `paramNames` renames the template's parameters by position (OpenAPI
 * forbids two templates of one shape with different names, so the document uses the first one
 * it saw); `components` receives hoisted `$defs`.
 */
export function buildOperation(
  source: OperationSource,
  operationId: string,
  paramNames: readonly string[],
  components: Record<string, unknown>,
  pinVersion = false,
): Record<string, unknown> {
  const { service, version, endpoint, description: d } = source;
  const hoist = (schema: JsonSchema, part: string): JsonSchema => hoistDefs(schema, `${operationId}.${part}.`, components);
  const parameters: Record<string, unknown>[] = [];
  const template = templateParams(endpoint.path);
  template.forEach((p, i) => {
    const schema = propertySchema(d?.params, p.name) ?? { type: 'string' };
    parameters.push({
      name: paramNames[i] ?? p.name,
      in: 'path',
      required: true,
      ...(p.rest ? { description: 'the rest of the path, slashes included' } : {}),
      schema: hoist(schema, `params.${p.name}`),
    });
  });
  for (const [location, schema] of [['query', d?.query], ['header', d?.headers]] as const) {
    if (schema === undefined || typeof schema === 'boolean') continue;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    for (const [name, property] of Object.entries(properties)) {
      const doc = typeof property === 'object' && typeof property.description === 'string' ? { description: property.description } : {};
      parameters.push({ name, in: location, required: required.has(name), ...doc, schema: hoist(property, `${location}.${name}`) });
    }
  }
  if (pinVersion) {
    // A version's own document: "try it out" should reach this version, not the gateway's default.
    parameters.push({
      name: 'x-switchyard-version',
      in: 'header',
      required: false,
      description: `the version to route to; ${version} reaches this one, without it the gateway picks its default`,
      schema: { type: 'string', default: version },
    });
  }
  const needsAuth = endpoint.requiringClaims.length > 0;
  const responses: Record<string, unknown> = {};
  let serviceAnswers = false;
  for (const [status, r] of Object.entries(d?.responses ?? {})) {
    serviceAnswers = true;
    const content: Record<string, unknown> = {};
    for (const [type, schema] of Object.entries(r.content ?? {})) content[type] = { schema: hoist(schema, `response${status}.${type}`) };
    responses[status] = { description: r.description ?? `HTTP ${status}`, ...(Object.keys(content).length > 0 ? { content } : {}) };
  }
  if (!serviceAnswers) responses.default = { description: "the service's answer" };
  for (const [status, ref] of Object.entries(gatewayResponseRefs(needsAuth))) responses[status] ??= ref;

  const op: Record<string, unknown> = {
    operationId,
    tags: d?.tags !== undefined && d.tags.length > 0 ? [...d.tags] : [service],
    ...(d?.summary === undefined ? {} : { summary: d.summary }),
    ...(d?.description === undefined ? {} : { description: d.description }),
    ...(d?.deprecated === true ? { deprecated: true } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
  };
  if (d?.body !== undefined && Object.keys(d.body).length > 0) {
    const content: Record<string, unknown> = {};
    for (const [type, schema] of Object.entries(d.body)) content[type] = { schema: hoist(schema, `body.${type}`) };
    op.requestBody = { required: true, content };
  }
  op.responses = responses;
  if (needsAuth) {
    op.security = [{ [BEARER_SCHEME]: [] }];
    op['x-switchyard-requiring-claims'] = endpoint.requiringClaims.map((c) => ({ ...c }));
  }
  op['x-switchyard-service'] = service;
  op['x-switchyard-version'] = version;
  if (endpoint.timeoutMs !== undefined) op['x-switchyard-timeout-ms'] = endpoint.timeoutMs;
  return op;
}

function propertySchema(schema: JsonSchema | undefined, name: string): JsonSchema | undefined {
  if (schema === undefined || typeof schema === 'boolean') return undefined;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  return properties?.[name];
}
