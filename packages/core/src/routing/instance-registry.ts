/**
 * The registered instances and their indexes: by service version, the endpoint providers the
 * route table is built from, and this gateway's own in-flight count per instance. It records
 * what control frames say; RoutingState decides what a frame means (register, update, RESYNC,
 * ignore). Health is computed on read from the clock (see health.ts).
 */
import type { EndpointDescriptor, HeartbeatPayload, HelloPayload, InstanceDescriptor, InstanceStatus } from '../protocol/frames.js';
import { BINARY_WIRE_FORMAT, JSON_WIRE_FORMAT, type WireFormat } from '../protocol/limits.js';
import type { InstanceLink, TransportType } from '../transport/types.js';
import { healthAt, takesWork } from './health.js';
import { orderEligible, RoundRobin } from './instance-selector.js';
import type { ResolvedRoutingOptions } from './options.js';
import type { RegistrationView } from './registration-policy.js';
import { RouteTable, routeKeyOf, type RouteProvider } from './route-table.js';
import type { InstanceHealth, InstanceView } from './types.js';

/** One registration: the last HELLO of an instance and what its HEARTBEATs said since. */
export interface Registered {
  readonly descriptor: InstanceDescriptor;
  readonly link: InstanceLink;
  readonly endpoints: readonly EndpointDescriptor[];
  readonly endpointsHash: string;
  readonly routeKeys: ReadonlySet<string>;
  readonly providerKeys: readonly string[];
  /** Registration order; among instances of one version, the newest HELLO's endpoint descriptors win. */
  readonly order: number;
  /** The newest wire format the instance reads (its HELLO's `wireFormats`; 1 when absent). */
  readonly wireFormat: WireFormat;
  /**
   * The wire format REQUESTs to its version travel in: the newest one every registered instance
   * of the version reads. Per version, not per instance: on Messaging the instances of a version
   * share one requests queue, so any of them may read a REQUEST.
   */
  requestWireFormat: WireFormat;
  readonly registeredAt: number;
  reportedStatus: InstanceStatus;
  reportedInFlight: number;
  lastSeq: number;
  lastSeenAt: number;
  lastHealth: InstanceHealth;
  /** Set when the link's backend recovered from a loss: frames (a HELLO among them) may have been missed. */
  helloDoubtful: boolean;
}

export class InstanceRegistry implements RegistrationView {
  private readonly instances = new Map<string, Registered>();
  /** `service@version` → instance ids. */
  private readonly byVersion = new Map<string, Set<string>>();
  /** Service → the order at which it first registered, kept while it has any instance (route precedence). */
  private readonly serviceOrder = new Map<string, number>();
  /** Provider key (service, version, endpoint) → how many instances declare it. */
  private readonly providers = new Map<string, { count: number; provider: RouteProvider }>();
  /** Requests this gateway has dispatched and not finished, by instance (outlives re-registration). */
  private readonly localInFlight = new Map<string, number>();
  private readonly roundRobin = new RoundRobin();
  private table: RouteTable | undefined;
  private nextOrder = 0;
  private builds = 0;

  constructor(private readonly options: ResolvedRoutingOptions) {}

  /** How many times the route table was built: once per change of the endpoint set, never per request. */
  get routeTableBuilds(): number {
    return this.builds;
  }

  get(instanceId: string): Registered | undefined {
    return this.instances.get(instanceId);
  }

  records(): IterableIterator<Registered> {
    return this.instances.values();
  }

  // What the registration policy reads (RegistrationView). HELLOs are rare, so the scans here
  // cost nothing per request.

  registered(instanceId: string): { service: string; version: string; endpoints: readonly EndpointDescriptor[] } | undefined {
    const rec = this.instances.get(instanceId);
    return rec === undefined ? undefined : { service: rec.descriptor.service, version: rec.descriptor.version, endpoints: rec.endpoints };
  }

  liveEndpoints(service: string, version: string, instanceId: string): readonly EndpointDescriptor[] | undefined {
    for (const id of this.byVersion.get(`${service}@${version}`) ?? []) if (id !== instanceId) return this.instances.get(id)?.endpoints;
    return undefined;
  }

  instancesOf(service: string): number {
    let n = 0;
    for (const rec of this.instances.values()) if (rec.descriptor.service === service) n++;
    return n;
  }

  endpointCount(): number {
    return this.providers.size;
  }

  /** Records a HELLO (a new registration, or a re-registration replacing the previous one). Returns the previous one. */
  register(hello: HelloPayload, link: InstanceLink, now: number): Registered | undefined {
    const { instance, endpoints, endpointsHash } = hello;
    const id = instance.instanceId;
    const previous = this.instances.get(id);
    const order = this.nextOrder++;
    const providerKeys = endpoints.map((endpoint) => `${instance.service}\u0000${instance.version}\u0000${JSON.stringify(endpoint)}`);
    // Attach the new registration before detaching the old one, so an unchanged endpoint set
    // never drops to zero providers and never forces a route-table rebuild.
    providerKeys.forEach((key, i) => this.addProvider(key, { service: instance.service, version: instance.version, endpoint: endpoints[i] as EndpointDescriptor, order }));
    if (!this.serviceOrder.has(instance.service)) {
      this.serviceOrder.set(instance.service, order);
      this.table = undefined;
    }
    this.instances.set(id, {
      descriptor: instance,
      link,
      endpoints,
      endpointsHash,
      routeKeys: new Set(endpoints.map(routeKeyOf)),
      providerKeys,
      order,
      wireFormat: hello.wireFormats?.includes(BINARY_WIRE_FORMAT) === true ? BINARY_WIRE_FORMAT : JSON_WIRE_FORMAT,
      requestWireFormat: JSON_WIRE_FORMAT,
      registeredAt: now,
      reportedStatus: 'healthy',
      reportedInFlight: 0,
      // A HELLO starts a new sequence: a restarted instance counts heartbeats from 0 again.
      lastSeq: -1,
      lastSeenAt: now,
      lastHealth: 'healthy',
      helloDoubtful: false,
    });
    if (previous !== undefined) this.detach(previous);
    const versionKey = `${instance.service}@${instance.version}`;
    let ids = this.byVersion.get(versionKey);
    if (ids === undefined) this.byVersion.set(versionKey, (ids = new Set()));
    ids.add(id);
    this.updateWireFormat(versionKey);
    return previous;
  }

  /** Records a HEARTBEAT newer than the last one as a sign of life. Returns the health before it. */
  beat(rec: Registered, heartbeat: HeartbeatPayload, now: number): InstanceHealth {
    rec.lastSeq = heartbeat.seq;
    rec.lastSeenAt = now;
    rec.reportedStatus = heartbeat.status;
    rec.reportedInFlight = heartbeat.inFlight;
    const from = rec.lastHealth;
    rec.lastHealth = this.healthOf(rec, now);
    return from;
  }

  remove(id: string): Registered | undefined {
    const rec = this.instances.get(id);
    if (rec === undefined) return undefined;
    this.instances.delete(id);
    this.detach(rec);
    return rec;
  }

  /** Marks every instance reached over `transport` as possibly unknown to it; returns how many. */
  doubtHellos(transport: InstanceLink['transport']): number {
    let n = 0;
    for (const rec of this.instances.values()) {
      if (rec.link.transport !== transport) continue;
      rec.helloDoubtful = true;
      n++;
    }
    return n;
  }

  /** The route table over every registered endpoint, rebuilt only after the endpoint set changed. */
  routeTable(): RouteTable {
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

  healthOf(rec: Registered, now: number): InstanceHealth {
    return healthAt(rec, now, this.options.degradedAfterMs, this.options.staleAfterMs);
  }

  localInFlightOf(instanceId: string): number {
    return this.localInFlight.get(instanceId) ?? 0;
  }

  view(rec: Registered, now: number): InstanceView {
    return this.viewOf(rec, this.healthOf(rec, now));
  }

  /** True when `service@version` has an instance serving `routeKey` that takes work. */
  hasEligible(service: string, version: string, routeKey: string): boolean {
    const ids = this.byVersion.get(`${service}@${version}`);
    if (ids === undefined) return false;
    const now = this.options.clock.now();
    for (const id of ids) {
      const rec = this.instances.get(id) as Registered;
      if (rec.routeKeys.has(routeKey) && takesWork(this.healthOf(rec, now))) return true;
    }
    return false;
  }

  /** See RoutingState.eligibleInstances. */
  eligibleInstances(service: string, version: string, region?: string, routeKey?: string, transport?: TransportType): InstanceView[] {
    const now = this.options.clock.now();
    const ids = this.byVersion.get(`${service}@${version}`);
    if (ids === undefined) return [];
    const views: InstanceView[] = [];
    for (const id of ids) {
      const rec = this.instances.get(id) as Registered;
      if (routeKey !== undefined && !rec.routeKeys.has(routeKey)) continue;
      if (transport !== undefined && rec.link.transport !== transport) continue;
      const health = this.healthOf(rec, now);
      if (takesWork(health)) views.push(this.viewOf(rec, health));
    }
    return orderEligible(views, region);
  }

  /** See RoutingState.pick. */
  pick(service: string, version: string, region?: string, routeKey?: string, transport?: TransportType): InstanceView | undefined {
    const key = `${service}@${version}`;
    const ids = this.byVersion.get(key);
    if (ids !== undefined && ids.size === 1) {
      // One registered instance (the common deployment per version): it is the pick when it is
      // eligible, so skip building, filtering and ordering views. The round-robin cursor still
      // advances, exactly as choose() would, so later picks are unchanged.
      const rec = this.instances.get(ids.values().next().value as string) as Registered;
      if (routeKey !== undefined && !rec.routeKeys.has(routeKey)) return undefined;
      if (transport !== undefined && rec.link.transport !== transport) return undefined;
      const health = this.healthOf(rec, this.options.clock.now());
      if (!takesWork(health)) return undefined;
      this.roundRobin.advance(key);
      return this.viewOf(rec, health);
    }
    return this.roundRobin.choose(key, this.eligibleInstances(service, version, region, routeKey, transport), region);
  }

  /** See RoutingState.beginDispatch. */
  beginDispatch(instanceId: string): () => void {
    this.localInFlight.set(instanceId, this.localInFlightOf(instanceId) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.localInFlight.get(instanceId) ?? 1) - 1;
      if (left <= 0) this.localInFlight.delete(instanceId);
      else this.localInFlight.set(instanceId, left);
    };
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
    this.updateWireFormat(versionKey);
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

  private viewOf(rec: Registered, health: InstanceHealth): InstanceView {
    return view(rec, health, this.localInFlightOf(rec.descriptor.instanceId));
  }

  /** Sets `requestWireFormat` on a version's instances after one of them registered or left (rare: never per request). */
  private updateWireFormat(versionKey: string): void {
    const records: Registered[] = [];
    for (const id of this.byVersion.get(versionKey) ?? []) records.push(this.instances.get(id) as Registered);
    const format: WireFormat = records.every((r) => r.wireFormat === BINARY_WIRE_FORMAT) ? BINARY_WIRE_FORMAT : JSON_WIRE_FORMAT;
    for (const r of records) r.requestWireFormat = format;
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
    wireFormat: rec.requestWireFormat,
  };
}
