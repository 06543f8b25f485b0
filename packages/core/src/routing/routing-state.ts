/**
 * The gateway's routing state: which instances exist, what they serve, how healthy they are,
 * which one takes a request, and when an instance must be asked for its HELLO again (RESYNC).
 * Pure and synchronous; time comes from the injected Clock. Every transport feeds the same state
 * (through a TransportFeed: applyControl(), lost(), backendRecovered()), and the gateway calls
 * sweep() on a timer. The parts: instance-registry.ts (instances and indexes), version-choice.ts,
 * routing-snapshot.ts (the JSON view), resync-schedule.ts (the RESYNC rate limit).
 */
import type { ControlFrame, EndpointDescriptor, HeartbeatFrame, HelloFrame, HttpMethod } from '../protocol/frames.js';
import type { InstanceLink, TransportType } from '../transport/types.js';
import { takesWork } from './health.js';
import { InstanceRegistry, type Registered } from './instance-registry.js';
import { resolveRoutingOptions, type ResolvedRoutingOptions, type RoutingStateOptions } from './options.js';
import { ResyncSchedule } from './resync-schedule.js';
import { healthCounts, routingSnapshot } from './routing-snapshot.js';
import type { ControlOutcome, HealthChange, InstanceHealth, InstanceView, RouteMatch, RoutingSnapshot, VersionChoice } from './types.js';
import { VersionChooser } from './version-choice.js';
import { checkRegistration } from './registration-policy.js';
import type { RegistrationRefusedError } from '../errors.js';

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
  private readonly registry: InstanceRegistry;
  private readonly versions: VersionChooser;
  private readonly resyncs: ResyncSchedule;
  /** Instances that said GOODBYE → until when their late HEARTBEATs are ignored rather than RESYNCed. */
  private readonly departed = new Map<string, number>();
  private readonly refusals: Record<RegistrationRefusedError['why'], number> = { 'instance-changed': 0, 'endpoints-differ': 0, 'too-many-instances': 0, 'too-many-endpoints': 0 };

  constructor(options: RoutingStateOptions) {
    this.options = resolveRoutingOptions(options);
    this.registry = new InstanceRegistry(this.options);
    this.versions = new VersionChooser(this.options.defaultVersions, this.registry);
    this.resyncs = new ResyncSchedule(this.options.resyncMinIntervalMs);
  }

  /** How many times the route table was built: once per change of the endpoint set, never per request. */
  get routeTableBuilds(): number {
    return this.registry.routeTableBuilds;
  }

  /** HELLOs refused by the registration policy since start, by rule (for `/metrics`). */
  registrationRefusals(): Readonly<Record<RegistrationRefusedError['why'], number>> {
    return { ...this.refusals };
  }

  /**
   * Applies a validated HELLO, HEARTBEAT or GOODBYE that arrived over `link`. A `resync` outcome
   * is this state's decision that the instance must send HELLO again (docs/protocol.md §6): it
   * beat without a known HELLO, with other endpoints, or after its backend recovered; at most
   * once per `resyncMinIntervalMs` per instance. The caller sends it over `link`. Throws
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
        this.resyncs.forget(id);
        if (this.registry.remove(id) === undefined) return { kind: 'ignored', instanceId: id, why: 'unknown-instance' };
        return { kind: 'removed', instanceId: id };
      }
    }
  }

  /** The transport knows the instance is gone (e.g. its connection closed): it is removed at once. */
  lost(instanceId: string, reason: string): HealthChange | undefined {
    const rec = this.registry.remove(instanceId);
    if (rec === undefined) return undefined;
    return { ...identify(rec), from: rec.lastHealth, to: 'stale', removed: true, reason };
  }

  /**
   * The backend of `transport` came back from a loss (or lost its data): frames may have been
   * missed, HELLOs among them. Every instance reached over it is asked for its HELLO on its next
   * HEARTBEAT, so the view heals within one heartbeat interval; until then it is still routed to.
   * Returns how many instances that concerns.
   */
  backendRecovered(transport: TransportType): number {
    const n = this.registry.doubtHellos(transport);
    for (const rec of this.registry.records()) if (rec.helloDoubtful) this.resyncs.forget(rec.descriptor.instanceId);
    return n;
  }

  /** Applies the clock: degrades silent instances, removes stale ones. Returns every transition since the last look. */
  sweep(): HealthChange[] {
    const now = this.options.clock.now();
    for (const [id, until] of this.departed) if (until <= now) this.departed.delete(id);
    this.resyncs.sweep(now);
    const changes: HealthChange[] = [];
    for (const rec of this.registry.records()) {
      const health = this.registry.healthOf(rec, now);
      if (health === rec.lastHealth) continue;
      const removed = health === 'stale';
      changes.push({ ...identify(rec), from: rec.lastHealth, to: health, removed, reason: removed ? `no heartbeat for ${now - rec.lastSeenAt} ms` : transitionReason(rec, now, this.options.degradedAfterMs) });
      if (removed) this.registry.remove(rec.descriptor.instanceId);
      else rec.lastHealth = health;
    }
    return changes;
  }

  /** Matches method and path (query string ignored) against every registered endpoint. */
  match(method: string, path: string): RouteMatch {
    return this.registry.routeTable().match(method, path);
  }

  /**
   * Chooses the version of a found route: `requested` (the `x-switchyard-version` header: a
   * version or a semver range), else the configured default, else the highest release version
   * with an eligible instance (pre-releases only when no release version has one).
   */
  chooseVersion(match: Extract<RouteMatch, { kind: 'found' }>, requested?: string): VersionChoice {
    return this.versions.choose(match, requested);
  }

  /**
   * Instances that may take a request for `service@version`, best first: healthy (degraded only
   * when none is healthy; draining and stale never), the `region` first. With `routeKey` (from a
   * RouteCandidate), only instances that serve that endpoint; with `transport`, only instances
   * registered over it.
   */
  eligibleInstances(service: string, version: string, region?: string, routeKey?: string, transport?: TransportType): InstanceView[] {
    return this.registry.eligibleInstances(service, version, region, routeKey, transport);
  }

  /**
   * The instance that gets the next request: best eligible group, least in-flight here, round
   * robin on ties; with `transport`, among the instances registered over it (a route's transport
   * preference, asked once per transport in its order).
   */
  pick(service: string, version: string, region?: string, routeKey?: string, transport?: TransportType): InstanceView | undefined {
    return this.registry.pick(service, version, region, routeKey, transport);
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
    return this.registry.beginDispatch(instanceId);
  }

  /** True when some version of `service` has an instance that takes work (readiness: `requiredServices`). */
  isServiceAvailable(service: string): boolean {
    const now = this.options.clock.now();
    for (const rec of this.registry.records()) {
      if (rec.descriptor.service === service && takesWork(this.registry.healthOf(rec, now))) return true;
    }
    return false;
  }

  /** One instance, or undefined when it is not registered. */
  instance(instanceId: string): InstanceView | undefined {
    const rec = this.registry.get(instanceId);
    return rec === undefined ? undefined : this.registry.view(rec, this.options.clock.now());
  }

  /** Registered instances by health (for the `instances by health` metric). */
  counts(): Record<InstanceHealth, number> {
    return healthCounts(this.registry, this.options.clock.now());
  }

  /** The JSON routing view. */
  snapshot(): RoutingSnapshot {
    return routingSnapshot(this.registry, this.options.clock.now(), this.options.defaultVersions);
  }

  private hello(frame: HelloFrame, link: InstanceLink): ControlOutcome {
    const refusal = this.options.registration === false ? undefined : checkRegistration(this.registry, frame.payload, this.options.registration);
    if (refusal !== undefined) {
      this.refusals[refusal.why] += 1;
      throw refusal;
    }
    const { instance, endpointsHash } = frame.payload;
    const id = instance.instanceId;
    this.departed.delete(id);
    this.resyncs.forget(id);
    const previous = this.registry.register(frame.payload, link, this.options.clock.now());
    const endpointsChanged =
      previous === undefined ||
      previous.endpointsHash !== endpointsHash ||
      previous.descriptor.service !== instance.service ||
      previous.descriptor.version !== instance.version;
    return { kind: 'registered', instanceId: id, replaced: previous !== undefined, endpointsChanged };
  }

  private heartbeat(frame: HeartbeatFrame, link: InstanceLink): ControlOutcome {
    const p = frame.payload;
    const id = p.instanceId;
    const now = this.options.clock.now();
    const rec = this.registry.get(id);
    if (rec === undefined) {
      if (this.departed.has(id)) return { kind: 'ignored', instanceId: id, why: 'departed' };
      if (!this.resyncs.due(id, now)) return { kind: 'ignored', instanceId: id, why: 'resync-not-due' };
      return { kind: 'resync', instanceId: id, link, why: 'unknown-instance' };
    }
    if (p.seq <= rec.lastSeq) return { kind: 'ignored', instanceId: id, why: 'stale-seq' };
    const from = this.registry.beat(rec, p, now);
    const why = p.endpointsHash !== rec.endpointsHash ? 'endpoints-changed' : rec.helloDoubtful ? 'backend-recovered' : undefined;
    if (why !== undefined && this.resyncs.due(id, now)) return { kind: 'resync', instanceId: id, link, why };
    return { kind: 'updated', instanceId: id, from, to: rec.lastHealth };
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
