/**
 * Method + path matching over every registered endpoint, on find-my-way. Templates become
 * find-my-way paths with positional parameter names (`/items/{id}` → `/items/:p0`, a final
 * `{path...}` → `*`), so two templates that differ only in parameter names share one route, and
 * each version still gets params under its own names. The table is immutable: RoutingState
 * builds a new one when the set of endpoints changes, never per request.
 */
import FindMyWay from 'find-my-way';
import semver from 'semver';
import type { EndpointDescriptor, HttpMethod } from '../protocol/frames.js';
import { parsePathTemplate } from '../protocol/path-template.js';
import { HTTP_METHODS } from '../protocol/validate.js';
import type { RouteCandidate, RouteMatch } from './types.js';

/** One endpoint of one service version, as it enters the table. */
export interface RouteProvider {
  readonly service: string;
  readonly version: string;
  readonly endpoint: EndpointDescriptor;
  /** Lower wins when two services declare the same route (earliest registration). */
  readonly order: number;
}

interface VersionRoute {
  readonly version: string;
  readonly endpoint: EndpointDescriptor;
  /** Param names by position; the rest parameter's name, if any, last. */
  readonly names: readonly string[];
  readonly rest: string | undefined;
}

interface RouteEntry {
  readonly key: string;
  readonly method: HttpMethod;
  readonly service: string;
  /** Highest version first. */
  readonly versions: readonly VersionRoute[];
  readonly shadowed: readonly string[];
}

/** A route the table holds, for the routing view. */
export interface RouteSummary {
  readonly key: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly service: string;
  readonly versions: readonly string[];
  readonly shadowed: readonly string[];
}

/** The route key of an endpoint: method plus path shape with positional params. */
export function routeKeyOf(endpoint: EndpointDescriptor): string {
  return `${endpoint.method} ${shapeOf(endpoint.path)}`;
}

function shapeOf(template: string): string {
  const segments = parsePathTemplate(template);
  // Templates were validated with the HELLO; a bad one here is a bug in the caller.
  if (typeof segments === 'string') throw new Error(`invalid path template ${template}: ${segments}`);
  let p = 0;
  return (
    '/' +
    segments
      .map((s) => {
        if (s.kind === 'literal') return s.value;
        if (s.kind === 'rest') return '*';
        return `:p${p++}`;
      })
      .join('/')
  );
}

export class RouteTable {
  private readonly router = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true, maxParamLength: 2048 });
  readonly routes: readonly RouteSummary[];

  constructor(providers: Iterable<RouteProvider>) {
    // key → service → {order, versions}
    const byKey = new Map<string, { method: HttpMethod; services: Map<string, { order: number; versions: Map<string, VersionRoute> }> }>();
    for (const p of providers) {
      const key = routeKeyOf(p.endpoint);
      let slot = byKey.get(key);
      if (slot === undefined) byKey.set(key, (slot = { method: p.endpoint.method, services: new Map() }));
      let svc = slot.services.get(p.service);
      if (svc === undefined) slot.services.set(p.service, (svc = { order: p.order, versions: new Map() }));
      svc.order = Math.min(svc.order, p.order);
      if (!svc.versions.has(p.version)) svc.versions.set(p.version, versionRoute(p.version, p.endpoint));
    }
    const routes: RouteSummary[] = [];
    for (const [key, slot] of byKey) {
      const owners = [...slot.services.entries()].sort((a, b) => a[1].order - b[1].order || (a[0] < b[0] ? -1 : 1));
      const [service, owner] = owners[0] as [string, { versions: Map<string, VersionRoute> }];
      const versions = [...owner.versions.values()].sort((a, b) => semver.rcompare(a.version, b.version));
      const entry: RouteEntry = { key, method: slot.method, service, versions, shadowed: owners.slice(1).map(([name]) => name) };
      this.router.on(slot.method, key.slice(key.indexOf(' ') + 1), noop, entry);
      routes.push({
        key,
        method: slot.method,
        path: (versions[0] as VersionRoute).endpoint.path,
        service,
        versions: versions.map((v) => v.version),
        shadowed: entry.shadowed,
      });
    }
    this.routes = routes;
  }

  /** Matches a request path (without the query string; a `?…` suffix is ignored). */
  match(method: string, path: string): RouteMatch {
    const found = this.router.find(method as HttpMethod, path);
    if (found !== null) {
      const entry = found.store as RouteEntry;
      const candidates = entry.versions.map((v) => candidate(entry.key, v, found.params));
      const top = candidates[0] as RouteCandidate;
      return { kind: 'found', service: entry.service, template: top.endpoint.path, params: top.params, candidates };
    }
    // Only a miss pays for the method scan that fills Allow.
    const allow = HTTP_METHODS.filter((m) => m !== method && this.router.find(m, path) !== null);
    return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }
}

function versionRoute(version: string, endpoint: EndpointDescriptor): VersionRoute {
  const segments = parsePathTemplate(endpoint.path);
  const names: string[] = [];
  let rest: string | undefined;
  if (typeof segments !== 'string') {
    for (const s of segments) {
      if (s.kind === 'param') names.push(s.name);
      else if (s.kind === 'rest') rest = s.name;
    }
  }
  return { version, endpoint, names, rest };
}

function candidate(routeKey: string, v: VersionRoute, raw: Readonly<Record<string, string | undefined>>): RouteCandidate {
  const params: Record<string, string> = {};
  for (let i = 0; i < v.names.length; i++) params[v.names[i] as string] = raw[`p${i}`] ?? '';
  if (v.rest !== undefined) params[v.rest] = raw['*'] ?? '';
  return { version: v.version, endpoint: v.endpoint, params, routeKey };
}

function noop(): void {}
