/**
 * What the admin API reads and acts on, gathered from the gateway's parts: the routing state
 * (instances), the Messaging transport (queues, dead letters), the router transports (RESYNC) and
 * the drained set. The API sees only this interface, so its tests can give it plain objects.
 */
import { TransportType, type Clock, type DeadLetterStore, type GatewayTransport, type MessageQueue, type QueueActivity, type QueueStats } from '@switchyard/core';
import { GATEWAY_CONTROL_QUEUE, regionRequestsQueue, serviceControlQueue, type InstanceHealth, type RoutingState } from '@switchyard/core/internal';
import type { TransportSet } from '../transport-set.js';
import type { DrainedInstances, DrainOutcome } from './drained-instances.js';
import type { RouteRow, RouteStats } from './route-stats.js';

/** One row of the instance table. */
export interface InstanceRow {
  readonly instanceId: string;
  readonly service: string;
  readonly version: string;
  readonly region: string;
  readonly transport: string;
  readonly address: string;
  readonly health: InstanceHealth;
  /** Drained by an operator through this gateway (the instance's own heartbeats say `draining` once it took the DRAIN). */
  readonly drained: boolean;
  readonly lastHeartbeatAgeMs: number;
  /** In-flight the instance reported (all gateways) and what this gateway has outstanding on it. */
  readonly reportedInFlight: number;
  readonly localInFlight: number;
  readonly registeredAt: number;
}

/** One row of the queue table; `consumers` and `oldestWaitingAgeMs` are absent when the backend cannot tell. */
export interface QueueRow extends QueueStats, Partial<QueueActivity> {
  readonly queue: string;
  readonly transport: string;
}

export interface AdminSources {
  instances(): InstanceRow[];
  /** Per-route request rate and latency from this gateway's own measurements. */
  routes(): Promise<RouteRow[]>;
  /** Names of the Messaging transport's queues this gateway knows of (empty without one). */
  queueNames(): string[];
  queueStats(queue: string): Promise<QueueStats & Partial<QueueActivity>>;
  deadLetters(queue: string): DeadLetterStore<unknown> | undefined;
  /** Sends RESYNC to one instance or to every known one; returns how many were asked. */
  resync(instanceId?: string): Promise<number>;
  /** Drains an instance: marks it here and sends it DRAIN (drained-instances.ts). */
  drain(instanceId: string, request: { reason?: string; requestedBy?: string }): Promise<DrainOutcome>;
  /** Takes a drain back: forgets the mark and sends UNDRAIN. */
  undrain(instanceId: string, request: { reason?: string; requestedBy?: string }): Promise<DrainOutcome>;
}

/** What the Messaging gateway transport offers the admin API beyond the transport contract. */
interface AdminQueueTransport extends GatewayTransport {
  adminQueue(queue: string): MessageQueue<unknown>;
}

const isAdminQueueTransport = (t: GatewayTransport | undefined): t is AdminQueueTransport =>
  t !== undefined && typeof (t as Partial<AdminQueueTransport>).adminQueue === 'function';

export interface GatewayAdminParts {
  readonly routing: RoutingState;
  readonly transports: TransportSet;
  readonly drained: DrainedInstances;
  readonly routeStats: RouteStats;
  readonly clock: Clock;
}

export function gatewayAdminSources(parts: GatewayAdminParts): AdminSources {
  const { routing, transports, drained, clock } = parts;
  const messaging = transports.byType.get(TransportType.Messaging);
  const queueTransport = isAdminQueueTransport(messaging) ? messaging : undefined;

  const knownQueues = new Set<string>([GATEWAY_CONTROL_QUEUE]);
  const instances = (): InstanceRow[] => {
    const now = clock.now();
    const rows: InstanceRow[] = [];
    for (const service of routing.snapshot().services) {
      for (const version of service.versions) {
        for (const i of version.instances) {
          rows.push({
            instanceId: i.instanceId,
            service: service.name,
            version: version.version,
            region: i.region,
            transport: i.transport,
            address: i.address,
            health: i.health,
            drained: drained.isDrained(i.instanceId),
            lastHeartbeatAgeMs: Math.max(0, now - i.lastSeenAt),
            reportedInFlight: i.reportedInFlight,
            localInFlight: i.localInFlight,
            registeredAt: i.registeredAt,
          });
        }
      }
    }
    return rows;
  };

  return {
    instances,
    routes: () => parts.routeStats.snapshot(),
    queueNames() {
      if (queueTransport === undefined) return [];
      // Queues of services that have left stay listed: their dead letters still need an operator.
      for (const row of instances()) {
        if (row.transport !== TransportType.Messaging) continue;
        knownQueues.add(regionRequestsQueue(row.service, row.version, row.region));
        knownQueues.add(serviceControlQueue(row.service));
      }
      return [...knownQueues].sort();
    },
    async queueStats(queue) {
      if (queueTransport === undefined) throw new Error('no Messaging transport');
      const q = queueTransport.adminQueue(queue);
      const [stats, activity] = await Promise.all([q.stats(), q.activity()]);
      return { ...stats, ...activity };
    },
    deadLetters: (queue) => queueTransport?.adminQueue(queue).deadLetters,
    async resync(instanceId) {
      const targets = instanceId === undefined ? routing.snapshot().services.flatMap((s) => s.versions.flatMap((v) => v.instances.map((i) => i.instanceId))) : [instanceId];
      let asked = 0;
      for (const id of targets) {
        const view = routing.instance(id);
        if (view === undefined) continue;
        const transport = transports.byType.get(view.link.transport);
        if (transport === undefined) continue;
        await transport.resync({ instanceId: id, service: view.service, version: view.version, link: view.link });
        asked += 1;
      }
      return asked;
    },
    drain: (instanceId, request) => drained.drain(instanceId, request),
    undrain: (instanceId, request) => drained.undrain(instanceId, request),
  };
}
