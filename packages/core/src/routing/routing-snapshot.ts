/** The JSON routing view (`GET /_switchyard/routes`, docs/operations.md): services, versions, instances with health, routes, counts. */
import semver from 'semver';
import type { HttpMethod } from '../protocol/frames.js';
import type { InstanceRegistry, Registered } from './instance-registry.js';
import type { InstanceHealth, InstanceSnapshot, InstanceView, RoutingSnapshot } from './types.js';

/** Registered instances by health (for the `instances by health` metric). */
export function healthCounts(registry: InstanceRegistry, now: number): Record<InstanceHealth, number> {
  const counts: Record<InstanceHealth, number> = { healthy: 0, degraded: 0, draining: 0, stale: 0 };
  for (const rec of registry.records()) counts[registry.healthOf(rec, now)]++;
  return counts;
}

export function routingSnapshot(registry: InstanceRegistry, now: number, defaultVersions: ReadonlyMap<string, string>): RoutingSnapshot {
  const services = new Map<string, Map<string, Registered[]>>();
  for (const rec of registry.records()) {
    const { service, version } = rec.descriptor;
    let versions = services.get(service);
    if (versions === undefined) services.set(service, (versions = new Map()));
    const list = versions.get(version);
    if (list === undefined) versions.set(version, [rec]);
    else list.push(rec);
  }
  return {
    at: now,
    counts: healthCounts(registry, now),
    services: [...services.entries()]
      .sort((a, b) => compareText(a[0], b[0]))
      .map(([name, versions]) => ({
        name,
        defaultVersion: defaultVersions.get(name) ?? null,
        versions: [...versions.entries()]
          .sort((a, b) => semver.rcompare(a[0], b[0]))
          .map(([version, recs]) => ({
            version,
            endpoints: endpointsOf(recs),
            instances: recs
              .sort((a, b) => compareText(a.descriptor.instanceId, b.descriptor.instanceId))
              .map((r) => instanceSnapshot(registry.view(r, now))),
          })),
      })),
    routes: registry.routeTable().routes.map(({ method, path, service, versions, shadowed }) => ({ method, path, service, versions, shadowed })),
  };
}

function endpointsOf(recs: readonly Registered[]): { method: HttpMethod; path: string }[] {
  const seen = new Map<string, { method: HttpMethod; path: string }>();
  for (const r of recs) for (const e of r.endpoints) seen.set(`${e.method} ${e.path}`, { method: e.method, path: e.path });
  return [...seen.values()].sort((a, b) => compareText(a.path, b.path) || compareText(a.method, b.method));
}

/** An instance in the view: what routing sees of it, its transport in place of its link and endpoints. */
function instanceSnapshot(view: InstanceView): InstanceSnapshot {
  const { service: _service, version: _version, link, endpoints: _endpoints, ...rest } = view;
  return { ...rest, transport: link.transport };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
