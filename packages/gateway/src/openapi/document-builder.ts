/**
 * The aggregated OpenAPI 3.1 documents (docs/operations.md, "OpenAPI and /docs"): one main
 * document with each service's default version, and one per registered service version. Built
 * from the routing state (what is routable now) and the fetched descriptions; conflicts between
 * services (one route shape claimed by two, one operationId used twice) are listed in
 * `x-switchyard-conflicts`, never merged silently.
 */
import semver from 'semver';
import type { EndpointDescriptor, OperationDescription } from '@switchyard/core';
import type { InstanceView, RoutingSnapshot } from '@switchyard/core/internal';
import { ERROR_SCHEMA, GATEWAY_RESPONSES } from './gateway-responses.js';
import { BEARER_SCHEME, buildOperation, defaultOperationId, openApiPath, templateParams, type OperationSource } from './openapi-operation.js';

/** What the builder reads; the gateway passes its routing state and description store. */
export interface DocumentSources {
  readonly snapshot: RoutingSnapshot;
  instance(instanceId: string): InstanceView | undefined;
  descriptionOf(instanceId: string): { readonly operations: readonly OperationDescription[] } | undefined;
  /** Configured default versions (a version or a range) by service. */
  readonly defaultVersions: Readonly<Record<string, string>>;
  /** True when the gateway verifies JWTs (auth.jwt is configured). */
  readonly jwt: boolean;
}

export type Conflict =
  | { readonly kind: 'route'; readonly method: string; readonly path: string; readonly servedBy: string; readonly shadowed: string }
  | { readonly kind: 'operationId'; readonly operationId: string; readonly services: readonly string[]; readonly renamedTo: string };

export interface OpenApiDocuments {
  readonly main: Record<string, unknown>;
  /** `service/version` → that version's document. */
  readonly versions: ReadonlyMap<string, Record<string, unknown>>;
  readonly conflicts: readonly Conflict[];
}

interface VersionOperations {
  readonly service: string;
  readonly version: string;
  readonly sources: readonly OperationSource[];
}

export function buildDocuments(s: DocumentSources): OpenApiDocuments {
  const all = collect(s);
  const winners = new Map<string, string>();
  for (const r of s.snapshot.routes) winners.set(`${r.method} ${shapeOf(r.path)}`, r.service);

  const conflicts: Conflict[] = [];
  const mainSources: OperationSource[] = [];
  for (const [service, versions] of groupByService(all)) {
    const chosen = defaultVersion(versions.map((v) => v.version), s.defaultVersions[service]);
    const ops = versions.find((v) => v.version === chosen);
    for (const src of ops?.sources ?? []) {
      const winner = winners.get(`${src.endpoint.method} ${shapeOf(src.endpoint.path)}`);
      if (winner !== undefined && winner !== service) {
        conflicts.push({ kind: 'route', method: src.endpoint.method, path: src.endpoint.path, servedBy: winner, shadowed: service });
        continue;
      }
      mainSources.push(src);
    }
  }
  const main = document('Switchyard gateway', 'Every service behind this gateway, at its default version.', mainSources, s.jwt, conflicts, false);
  const byVersion = new Map<string, Record<string, unknown>>();
  for (const v of all) {
    byVersion.set(`${v.service}/${v.version}`, document(`${v.service} ${v.version}`, `Version ${v.version} of ${v.service}, as routed by this gateway.`, v.sources, s.jwt, [], true));
  }
  return { main, versions: byVersion, conflicts };
}

/** Every registered service version with its operations: endpoints of its newest instance, documented by the newest fetched description. */
function collect(s: DocumentSources): VersionOperations[] {
  const out: VersionOperations[] = [];
  for (const service of s.snapshot.services) {
    for (const v of service.versions) {
      const instances = v.instances
        .map((i) => s.instance(i.instanceId))
        .filter((i): i is InstanceView => i !== undefined)
        .sort((a, b) => b.registeredAt - a.registeredAt);
      const newest = instances[0];
      if (newest === undefined) continue;
      let described: readonly OperationDescription[] | undefined;
      for (const i of instances) {
        described = s.descriptionOf(i.instanceId)?.operations;
        if (described !== undefined) break;
      }
      const sources = newest.endpoints.map((endpoint: EndpointDescriptor) => ({
        service: service.name,
        version: v.version,
        endpoint,
        description: described?.find((o) => o.method === endpoint.method && o.path === endpoint.path),
      }));
      out.push({ service: service.name, version: v.version, sources });
    }
  }
  return out;
}

function groupByService(all: readonly VersionOperations[]): Map<string, VersionOperations[]> {
  const out = new Map<string, VersionOperations[]>();
  for (const v of all) {
    const list = out.get(v.service);
    if (list === undefined) out.set(v.service, [v]);
    else list.push(v);
  }
  return out;
}

/** The configured default (the highest version it admits), else the highest release version, else the highest version. */
export function defaultVersion(versions: readonly string[], configured: string | undefined): string | undefined {
  const sorted = [...versions].sort(semver.rcompare);
  if (configured !== undefined) return sorted.find((v) => semver.satisfies(v, configured));
  return sorted.find((v) => semver.prerelease(v) === null) ?? sorted[0];
}

/** A template with parameter names erased: two templates of one shape match the same requests. */
function shapeOf(template: string): string {
  return template.replace(/\{[^}]+?\.\.\.\}/g, '{...}').replace(/\{[^}]+\}/g, '{}');
}

function document(
  title: string,
  description: string,
  sources: readonly OperationSource[],
  jwt: boolean,
  conflicts: Conflict[],
  pinVersion: boolean,
): Record<string, unknown> {
  const components: Record<string, unknown> = { SwitchyardError: ERROR_SCHEMA };
  const paths: Record<string, Record<string, unknown>> = {};
  /** Shape → the template the document uses for it (the first seen), so one shape is one path item. */
  const canonical = new Map<string, string>();
  const operationIds = new Map<string, string>();
  let needsBearer = jwt;
  for (const src of [...sources].sort(bySourceOrder)) {
    const shape = shapeOf(src.endpoint.path);
    let template = canonical.get(shape);
    if (template === undefined) canonical.set(shape, (template = src.endpoint.path));
    const wanted = src.description?.operationId ?? defaultOperationId(src.service, src.endpoint.method, src.endpoint.path);
    let operationId = wanted;
    const owner = operationIds.get(wanted);
    if (owner !== undefined) {
      for (let n = 2; operationIds.has(operationId); n++) operationId = `${wanted}_${n}`;
      conflicts.push({ kind: 'operationId', operationId: wanted, services: [owner, src.service], renamedTo: operationId });
    }
    operationIds.set(operationId, src.service);
    const names = templateParams(template).map((p) => p.name);
    const op = buildOperation(src, operationId, names, components, pinVersion);
    if (src.endpoint.requiringClaims.length > 0) needsBearer = true;
    const key = openApiPath(template);
    paths[key] ??= {};
    (paths[key] as Record<string, unknown>)[src.endpoint.method.toLowerCase()] = op;
  }
  const doc: Record<string, unknown> = {
    openapi: '3.1.0',
    info: { title, version: '1.0.0', description },
    paths,
    components: {
      schemas: components,
      responses: GATEWAY_RESPONSES,
      ...(needsBearer ? { securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } } : {}),
    },
  };
  if (conflicts.length > 0) doc['x-switchyard-conflicts'] = conflicts;
  return doc;
}

function bySourceOrder(a: OperationSource, b: OperationSource): number {
  const ka = `${a.service}\u0000${a.endpoint.path}\u0000${a.endpoint.method}`;
  const kb = `${b.service}\u0000${b.endpoint.path}\u0000${b.endpoint.method}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
