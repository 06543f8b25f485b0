/**
 * The gateway's routing state (SPEC §4 rules, §6 Health and request path): which instances
 * exist, what they serve, how healthy they are, and which one takes a request. Pure and
 * synchronous; time comes from the injected Clock; every transport feeds the same state through
 * applyControl() and lost(), and the gateway calls sweep() on a timer.
 */
import semver from 'semver';
import type { EndpointDescriptor, HttpMethod, InstanceDescriptor, InstanceStatus } from '../protocol/frames.js';
import type { ControlFrame, HeartbeatFrame, HelloFrame } from '../protocol/frames.js';
import type { InstanceLink } from '../transport/types.js';
import { healthAt, takesWork } from './health.js';
import { orderEligible, RoundRobin } from './instance-selector.js';
import { resolveRoutingOptions, type ResolvedRoutingOptions, type RoutingStateOptions } from './options.js';
import { RouteTable, routeKeyOf, type RouteProvider } from './route-table.js';
import { checkRegistration, type RegistrationView } from './registration-policy.js';
import type { RegistrationRefusedError } from '../errors.js';
import type {
  ControlOutcome,
  HealthChange,
  InstanceHealth,
  InstanceSnapshot,
  InstanceView,
  RouteCandidate,
  RouteMatch,
  RoutingSnapshot,
  VersionChoice,
} from './types.js';

/** Distinct versions whose pre-release flag is remembered; past this the cache starts over. */
const PRERELEASE_CACHE_MAX = 1_000;

interface Registered {
  readonly descriptor: InstanceDescriptor;
  readonly link: InstanceLink;
  readonly endpoints: readonly EndpointDescriptor[];
  readonly endpointsHash: string;
  readonly routeKeys: ReadonlySet<string>;
  readonly providerKeys: readonly string[];
  /** Registration order; among instances of one version, the newest HELLO's endpoint descriptors win. */
  readonly order: number;
  readonly registeredAt: number;
  reportedStatus: InstanceStatus;
  reportedInFlight: number;
  lastSeq: number;
  lastSeenAt: number;
  lastHealth: InstanceHealth;
}

/** The outcome of routing one request from method and path to an instance. */
export type RouteDecision =
  | {
      readonly kind: 'dispatch';
      readonly service: string;
      readonly version: string;
      readonly endpoint: EndpointDescriptor;
      readonly params: Readonly<Record<string, string>>;
      readonly instance: InstanceView;
    }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly HttpMethod[] }
  | { readonly kind: 'version-not-found'; readonly service: string; readonly requested: string; readonly source: 'header' | 'default' }
  | { readonly kind: 'unavailable'; readonly service: string; readonly versions: readonly string[] };

export class RoutingState {
  private readonly options: ResolvedRoutingOptions;
  private readonly instances = new Map<string, Registered>();
  /** `service@version` → instance ids. */
  private readonly byVersion = new Map<string, Set<string>>();
  /** Service → the order at which it first registered, kept while it has any instance (route precedence). */
  private readonly serviceOrder = new Map<string, number>();
  /** Provider key (service, version, endpoint) → how many instances declare it. */
  private readonly providers = new Map<string, { count: number; provider: RouteProvider }>();
  /** Instances that said GOODBYE → until when their late HEARTBEATs are ignored rather than RESYNCed. */
  private readonly departed = new Map<string, number>();
  /** Requests this gateway has dispatched and not finished, by instance (outlives re-registration). */
  private readonly localInFlight = new Map<string, number>();
  private readonly roundRobin = new RoundRobin();
  private readonly prereleaseCache = new Map<string, boolean>();
  private readonly refusals: Record<RegistrationRefusedError['why'], number> = { 'instance-changed': 0, 'endpoints-differ': 0, 'too-many-instances': 0, 'too-many-endpoints': 0 };
  private table: RouteTable | undefined;
  private nextOrder = 0;
  private builds = 0;

  constructor(options: RoutingStateOptions) {
    this.options = resolveRoutingOptions(options);
  }

  /** How many times the route table was built: once per change of the endpoint set, never per request. */
  get routeTableBuilds(): number {
    return this.builds;
  }

  /** HELLOs refused by the registration policy since start, by rule (for `/metrics`). */
  registrationRefusals(): Readonly<Record<RegistrationRefusedError['why'], number>> {
    return { ...this.refusals };
  }

  /**
   * Applies a validated HELLO, HEARTBEAT or GOODBYE that arrived over `link`. Throws
   * RegistrationRefusedError (SY_ROUTING_REGISTRATION_REFUSED), changing nothing, for a HELLO the
   * registration policy refuses (registration-policy.ts).
   */
  applyControl(frame: ControlFrame, link: InstanceLink): ControlOutcome {
    switch (frame.type) {
      case 'HELLO':
        return this.hello(frame, link);
      case 'HEARTBEAT':
        return this.heartbeat(frame, link);
      case 'GOODBYE': {
        const id = frame.payload.instanceId;
        this.departed.set(id, this.options.clock.now() + this.options.staleAfterMs);
        if (!this.instances.has(id)) return { kind: 'ignored', instanceId: id, why: 'unknown-instance' };
        this.remove(id);
        return { kind: 'removed', instanceId: id };
      }
    }
  }

  /** The transport knows the instance is gone (e.g. its connection closed): it is removed at once. */
  lost(instanceId: string, reason: string): HealthChange | undefined {
    const rec = this.instances.get(instanceId);
    if (rec === undefined) return undefined;
    this.remove(instanceId);
    return { ...identify(rec), from: rec.lastHealth, to: 'stale', removed: true, reason };
  }

  /** Applies the clock: degrades silent instances, removes stale ones. Returns every transition since the last look. */
  sweep(): HealthChange[] {
    const now = this.options.clock.now();
    for (const [id, until] of this.departed) if (until <= now) this.departed.delete(id);
    const changes: HealthChange[] = [];
    for (const [id, rec] of this.instances) {
      const health = this.healthOf(rec, now);
      if (health === rec.lastHealth) continue;
      const removed = health === 'stale';
      changes.push({ ...identify(rec), from: rec.lastHealth, to: health, removed, reason: removed ? `no heartbeat for ${now - rec.lastSeenAt} ms` : transitionReason(rec, now, this.options.degradedAfterMs) });
      if (removed) this.remove(id);
      else rec.lastHealth = health;
    }
    return changes;
  }

  /** Matches method and path (query string ignored) against every registered endpoint. */
  match(method: string, path: string): RouteMatch {
    return this.routeTable().match(method, path);
  }

  /**
   * Chooses the version of a found route (SPEC §6): `requested` (the `x-switchyard-version`
   * header: a version or a semver range), else the configured default, else the highest release
   * version with an eligible instance (pre-releases only when no release version has one).
   */
  chooseVersion(match: Extract<RouteMatch, { kind: 'found' }>, requested?: string): VersionChoice {
    const { service, candidates } = match;
    const selector = requested?.trim();
    if (selector !== undefined && selector !== '') return this.fromSelector(match, selector, 'header');
    const configured = this.options.defaultVersions.get(service);
    if (configured !== undefined) return this.fromSelector(match, configured, 'default');
    // Plain loops, no per-request closures: this runs for every request without a version header.
    let chosen: RouteCandidate | undefined;
    for (const c of candidates) {
      if (!this.isPrerelease(c.version) && this.hasEligible(service, c.version, c.routeKey)) {
        chosen = c;
        break;
      }
    }
    if (chosen === undefined) {
      for (const c of candidates) {
        if (this.hasEligible(service, c.version, c.routeKey)) {
          chosen = c;
          break;
        }
      }
    }
    if (chosen === undefined) return { kind: 'unavailable', service, versions: candidates.map((c) => c.version) };
    return { kind: 'chosen', service, version: chosen.version, candidate: chosen, source: 'highest' };
  }

  private fromSelector(match: Extract<RouteMatch, { kind: 'found' }>, value: string, source: 'header' | 'default'): VersionChoice {
    const { service, candidates } = match;
    const matching = semver.validRange(value) === null ? [] : candidates.filter((c) => semver.satisfies(c.version, value));
    if (matching.length === 0) return { kind: 'version-not-found', service, requested: value, source };
    const chosen = matching.find((c) => this.hasEligible(service, c.version, c.routeKey));
    if (chosen === undefined) return { kind: 'unavailable', service, versions: matching.map((c) => c.version) };
    return { kind: 'chosen', service, version: chosen.version, candidate: chosen, source };
  }

  /** semver.prerelease() parses the version on every call; registered versions are few, so remember the answer. */
  private isPrerelease(version: string): boolean {
    let pre = this.prereleaseCache.get(version);
    if (pre === undefined) {
      pre = semver.prerelease(version) !== null;
      if (this.prereleaseCache.size >= PRERELEASE_CACHE_MAX) this.prereleaseCache.clear();
      this.prereleaseCache.set(version, pre);
    }
    return pre;
  }

  /**
   * Instances that may take a request for `service@version`, best first: healthy (degraded only
   * when none is healthy; draining and stale never), the `region` first. With `routeKey` (from a
   * RouteCandidate), only instances that serve that endpoint.
   */
  eligibleInstances(service: string, version: string, region?: string, routeKey?: string): InstanceView[] {
    const now = this.options.clock.now();
    const ids = this.byVersion.get(`${service}@${version}`);
    if (ids === undefined) return [];
    const views: InstanceView[] = [];
    for (const id of ids) {
      const rec = this.instances.get(id) as Registered;
      if (routeKey !== undefined && !rec.routeKeys.has(routeKey)) continue;
      const health = this.healthOf(rec, now);
      if (takesWork(health)) views.push(view(rec, health, this.localInFlight.get(rec.descriptor.instanceId) ?? 0));
    }
    return orderEligible(views, region);
  }

  /** The instance that gets the next request: best eligible group, least in-flight here, round robin on ties. */
  pick(service: string, version: string, region?: string, routeKey?: string): InstanceView | undefined {
    const key = `${service}@${version}`;
    const ids = this.byVersion.get(key);
    if (ids !== undefined && ids.size === 1) {
      // One registered instance (the common deployment per version): it is the pick when it is
      // eligible, so skip building, filtering and ordering views. The round-robin cursor still
      // advances, exactly as choose() would, so later picks are unchanged.
      const rec = this.instances.get(ids.values().next().value as string) as Registered;
      if (routeKey !== undefined && !rec.routeKeys.has(routeKey)) return undefined;
      const health = this.healthOf(rec, this.options.clock.now());
      if (!takesWork(health)) return undefined;
      this.roundRobin.advance(key);
      return view(rec, health, this.localInFlight.get(rec.descriptor.instanceId) ?? 0);
    }
    return this.roundRobin.choose(key, this.eligibleInstances(service, version, region, routeKey), region);
  }

  /** match → chooseVersion → pick in one call, for callers with nothing to do in between. */
  route(method: string, path: string, options: { version?: string; region?: string } = {}): RouteDecision {
    const match = this.match(method, path);
    if (match.kind !== 'found') return match;
    const choice = this.chooseVersion(match, options.version);
    if (choice.kind !== 'chosen') return choice;
    const instance = this.pick(choice.service, choice.version, options.region, choice.candidate.routeKey);
    if (instance === undefined) return { kind: 'unavailable', service: choice.service, versions: [choice.version] };
    return { kind: 'dispatch', service: choice.service, version: choice.version, endpoint: choice.candidate.endpoint, params: choice.candidate.params, instance };
  }

  /** Counts a request dispatched to `instanceId` until the returned function is called (once). */
  beginDispatch(instanceId: string): () => void {
    this.localInFlight.set(instanceId, (this.localInFlight.get(instanceId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.localInFlight.get(instanceId) ?? 1) - 1;
      if (left <= 0) this.localInFlight.delete(instanceId);
      else this.localInFlight.set(instanceId, left);
    };
  }

  /** True when some version of `service` has an instance that takes work (readiness: `requiredServices`). */
  isServiceAvailable(service: string): boolean {
    const now = this.options.clock.now();
    for (const rec of this.instances.values()) {
      if (rec.descriptor.service === service && takesWork(this.healthOf(rec, now))) return true;
    }
    return false;
  }

  /** One instance, or undefined when it is not registered. */
  instance(instanceId: string): InstanceView | undefined {
    const rec = this.instances.get(instanceId);
    return rec === undefined ? undefined : view(rec, this.healthOf(rec, this.options.clock.now()), this.localInFlight.get(instanceId) ?? 0);
  }

  /** Registered instances by health (for the `instances by health` metric). */
  counts(): Record<InstanceHealth, number> {
    const now = this.options.clock.now();
    const counts: Record<InstanceHealth, number> = { healthy: 0, degraded: 0, draining: 0, stale: 0 };
    for (const rec of this.instances.values()) counts[this.healthOf(rec, now)]++;
    return counts;
  }

  /** The JSON routing view. */
  snapshot(): RoutingSnapshot {
    const now = this.options.clock.now();
    const services = new Map<string, Map<string, Registered[]>>();
    for (const rec of this.instances.values()) {
      const { service, version } = rec.descriptor;
      let versions = services.get(service);
      if (versions === undefined) services.set(service, (versions = new Map()));
      const list = versions.get(version);
      if (list === undefined) versions.set(version, [rec]);
      else list.push(rec);
    }
    return {
      at: now,
      counts: this.counts(),
      services: [...services.entries()]
        .sort((a, b) => compareText(a[0], b[0]))
        .map(([name, versions]) => ({
          name,
          defaultVersion: this.options.defaultVersions.get(name) ?? null,
          versions: [...versions.entries()]
            .sort((a, b) => semver.rcompare(a[0], b[0]))
            .map(([version, recs]) => ({
              version,
              endpoints: this.endpointsOf(recs),
              instances: recs.sort((a, b) => compareText(a.descriptor.instanceId, b.descriptor.instanceId)).map((r) => instanceSnapshot(r, this.healthOf(r, now), this.localInFlight.get(r.descriptor.instanceId) ?? 0)),
            })),
        })),
      routes: this.routeTable().routes.map(({ method, path, service, versions, shadowed }) => ({ method, path, service, versions, shadowed })),
    };
  }

  private hello(frame: HelloFrame, link: InstanceLink): ControlOutcome {
    const refusal = this.options.registration === false ? undefined : checkRegistration(this.registrationView, frame.payload, this.options.registration);
    if (refusal !== undefined) {
      this.refusals[refusal.why] += 1;
      throw refusal;
    }
    const { instance, endpoints, endpointsHash } = frame.payload;
    const id = instance.instanceId;
    const now = this.options.clock.now();
    this.departed.delete(id);
    const previous = this.instances.get(id);
    const endpointsChanged =
      previous === undefined ||
      previous.endpointsHash !== endpointsHash ||
      previous.descriptor.service !== instance.service ||
      previous.descriptor.version !== instance.version;
    const order = this.nextOrder++;
    const providerKeys = endpoints.map((endpoint) => `${instance.service}\u0000${instance.version}\u0000${JSON.stringify(endpoint)}`);
    // Attach the new registration before detaching the old one, so an unchanged endpoint set
    // never drops to zero providers and never forces a route-table rebuild.
    providerKeys.forEach((key, i) => this.addProvider(key, { service: instance.service, version: instance.version, endpoint: endpoints[i] as EndpointDescriptor, order }));
    if (!this.serviceOrder.has(instance.service)) {
      this.serviceOrder.set(instance.service, order);
      this.table = undefined;
    }
    const rec: Registered = {
      descriptor: instance,
      link,
      endpoints,
      endpointsHash,
      routeKeys: new Set(endpoints.map(routeKeyOf)),
      providerKeys,
      order,
      registeredAt: now,
      reportedStatus: 'healthy',
      reportedInFlight: 0,
      // A HELLO starts a new sequence: a restarted instance counts heartbeats from 0 again.
      lastSeq: -1,
      lastSeenAt: now,
      lastHealth: 'healthy',
    };
    this.instances.set(id, rec);
    if (previous !== undefined) this.detach(previous);
    const versionKey = `${instance.service}@${instance.version}`;
    let ids = this.byVersion.get(versionKey);
    if (ids === undefined) this.byVersion.set(versionKey, (ids = new Set()));
    ids.add(id);
    return { kind: 'registered', instanceId: id, replaced: previous !== undefined, endpointsChanged };
  }

  /** What the registration policy reads; HELLOs are rare, so the scans here cost nothing per request. */
  private readonly registrationView: RegistrationView = {
    registered: (id) => {
      const rec = this.instances.get(id);
      return rec === undefined ? undefined : { service: rec.descriptor.service, version: rec.descriptor.version, endpoints: rec.endpoints };
    },
    liveEndpoints: (service, version, instanceId) => {
      for (const id of this.byVersion.get(`${service}@${version}`) ?? []) if (id !== instanceId) return this.instances.get(id)?.endpoints;
      return undefined;
    },
    instancesOf: (service) => {
      let n = 0;
      for (const rec of this.instances.values()) if (rec.descriptor.service === service) n++;
      return n;
    },
    endpointCount: () => this.providers.size,
  };

  private heartbeat(frame: HeartbeatFrame, link: InstanceLink): ControlOutcome {
    const p = frame.payload;
    const id = p.instanceId;
    const rec = this.instances.get(id);
    if (rec === undefined) {
      if (this.departed.has(id)) return { kind: 'ignored', instanceId: id, why: 'departed' };
      return { kind: 'resync', instanceId: id, link, why: 'unknown-instance' };
    }
    if (p.seq <= rec.lastSeq) return { kind: 'ignored', instanceId: id, why: 'stale-seq' };
    const now = this.options.clock.now();
    rec.lastSeq = p.seq;
    rec.lastSeenAt = now;
    rec.reportedStatus = p.status;
    rec.reportedInFlight = p.inFlight;
    const from = rec.lastHealth;
    rec.lastHealth = this.healthOf(rec, now);
    if (p.endpointsHash !== rec.endpointsHash) return { kind: 'resync', instanceId: id, link, why: 'endpoints-changed' };
    return { kind: 'updated', instanceId: id, from, to: rec.lastHealth };
  }

  private remove(id: string): void {
    const rec = this.instances.get(id);
    if (rec === undefined) return;
    this.instances.delete(id);
    this.detach(rec);
  }

  /** Drops a registration's index entries and providers; the instances map is the caller's business. */
  private detach(rec: Registered): void {
    const { service, version, instanceId } = rec.descriptor;
    const versionKey = `${service}@${version}`;
    const ids = this.byVersion.get(versionKey);
    ids?.delete(instanceId);
    if (ids !== undefined && ids.size === 0) {
      this.byVersion.delete(versionKey);
      this.roundRobin.forget(versionKey);
    }
    for (const key of rec.providerKeys) {
      const slot = this.providers.get(key);
      if (slot === undefined) continue;
      if (--slot.count === 0) {
        this.providers.delete(key);
        this.table = undefined;
      }
    }
    for (const other of this.instances.values()) {
      if (other !== rec && other.descriptor.service === service) return;
    }
    this.serviceOrder.delete(service);
    this.table = undefined;
  }

  private addProvider(key: string, provider: RouteProvider): void {
    const slot = this.providers.get(key);
    if (slot !== undefined) {
      slot.count++;
      return;
    }
    this.providers.set(key, { count: 1, provider });
    this.table = undefined;
  }

  private routeTable(): RouteTable {
    if (this.table !== undefined) return this.table;
    const providers: RouteProvider[] = [];
    // Newest registration first within a version: RouteTable keeps the first descriptor it sees
    // for a service version, so the newest HELLO's timeout and claims win.
    const slots = [...this.providers.values()].sort((a, b) => b.provider.order - a.provider.order);
    for (const { provider } of slots) {
      providers.push({ ...provider, order: this.serviceOrder.get(provider.service) ?? provider.order });
    }
    const table = new RouteTable(providers);
    for (const route of table.routes) {
      if (route.shadowed.length > 0) {
        this.options.logger.warn(
          { method: route.method, path: route.path, service: route.service, shadowed: route.shadowed },
          `route ${route.method} ${route.path} is declared by several services; "${route.service}" registered first and serves it`,
        );
      }
    }
    this.table = table;
    this.builds++;
    return table;
  }

  private hasEligible(service: string, version: string, routeKey: string): boolean {
    const ids = this.byVersion.get(`${service}@${version}`);
    if (ids === undefined) return false;
    const now = this.options.clock.now();
    for (const id of ids) {
      const rec = this.instances.get(id) as Registered;
      if (rec.routeKeys.has(routeKey) && takesWork(this.healthOf(rec, now))) return true;
    }
    return false;
  }

  private endpointsOf(recs: readonly Registered[]): { method: HttpMethod; path: string }[] {
    const seen = new Map<string, { method: HttpMethod; path: string }>();
    for (const r of recs) for (const e of r.endpoints) seen.set(`${e.method} ${e.path}`, { method: e.method, path: e.path });
    return [...seen.values()].sort((a, b) => compareText(a.path, b.path) || compareText(a.method, b.method));
  }

  private healthOf(rec: Registered, now: number): InstanceHealth {
    return healthAt(rec, now, this.options.degradedAfterMs, this.options.staleAfterMs);
  }
}

function identify(rec: Registered): { instanceId: string; service: string; version: string } {
  return { instanceId: rec.descriptor.instanceId, service: rec.descriptor.service, version: rec.descriptor.version };
}

function transitionReason(rec: Registered, now: number, degradedAfterMs: number): string {
  if (rec.reportedStatus === 'draining') return 'reported draining';
  if (now - rec.lastSeenAt >= degradedAfterMs) return `no heartbeat for ${now - rec.lastSeenAt} ms`;
  return `reported ${rec.reportedStatus}`;
}

function view(rec: Registered, health: InstanceHealth, localInFlight: number): InstanceView {
  const d = rec.descriptor;
  return {
    instanceId: d.instanceId,
    service: d.service,
    version: d.version,
    region: d.region,
    address: d.address,
    link: rec.link,
    health,
    reportedStatus: rec.reportedStatus,
    reportedInFlight: rec.reportedInFlight,
    localInFlight,
    lastSeq: rec.lastSeq,
    lastSeenAt: rec.lastSeenAt,
    registeredAt: rec.registeredAt,
    endpointsHash: rec.endpointsHash,
    endpoints: rec.endpoints,
  };
}

function instanceSnapshot(rec: Registered, health: InstanceHealth, localInFlight: number): InstanceSnapshot {
  return {
    instanceId: rec.descriptor.instanceId,
    region: rec.descriptor.region,
    address: rec.descriptor.address,
    transport: rec.link.transport,
    health,
    reportedStatus: rec.reportedStatus,
    reportedInFlight: rec.reportedInFlight,
    localInFlight,
    lastSeq: rec.lastSeq,
    lastSeenAt: rec.lastSeenAt,
    registeredAt: rec.registeredAt,
    endpointsHash: rec.endpointsHash,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
