/**
 * Which transport a request is sent over when its route or service names an order
 * (`routing.transportOrder`, docs/configuration.md): the first transport in the order with an
 * eligible instance, skipping a path (service × transport) that failed to send a request in the
 * last PATH_COOLDOWN_MS. The request path fails over to the next transport only when the
 * transport reports the REQUEST was never sent (SY_TRANSPORT_REQUEST_NOT_SENT); any other
 * failure may come after a handler ran it, and is answered 502. Each path's counts (served,
 * not sent, failovers) are kept here for `/metrics` and the routing view.
 */
import type { Clock, TransportType } from '@switchyard/core';
import type { InstanceView, RoutingState } from '@switchyard/core/internal';
import type { TransportOrderConfig } from './config/schema.js';

/** How long a path that failed to send is passed over while another transport in the order has an instance. */
export const PATH_COOLDOWN_MS = 1_000;

interface Path {
  readonly service: string;
  readonly transport: TransportType;
  served: number;
  notSent: number;
  /** Failovers away from this path. */
  failovers: number;
  /** Until when (clock ms) the path is passed over; 0 when it is not. */
  downUntil: number;
  lastFailureAt: number;
}

export interface PathView {
  readonly service: string;
  readonly transport: string;
  readonly healthy: boolean;
  readonly served: number;
  readonly notSent: number;
  readonly failovers: number;
  readonly lastFailureAt: number | null;
}

export class TransportPaths {
  private readonly paths = new Map<string, Path>();
  private readonly orders = new Map<string, readonly TransportType[] | undefined>();

  constructor(
    private readonly config: TransportOrderConfig,
    private readonly routing: RoutingState,
    private readonly clock: Clock,
  ) {}

  /** True when any route or service has an order (otherwise the request path never asks). */
  get isConfigured(): boolean {
    return this.config.default !== undefined || Object.keys(this.config.services).length > 0 || Object.keys(this.config.routes).length > 0;
  }

  /** The transport order of `route` (`METHOD /path`) of `service`, or undefined for "any transport". */
  orderOf(service: string, route: string): readonly TransportType[] | undefined {
    const key = `${service} ${route}`;
    if (this.orders.has(key)) return this.orders.get(key);
    const order = (this.config.routes[route] ?? this.config.services[service] ?? this.config.default) as readonly TransportType[] | undefined;
    this.orders.set(key, order);
    return order;
  }

  /**
   * The instance for the next request over the first usable transport of `order` after `after`
   * (undefined: from the start). Paths cooling down after a failure are passed over while a later
   * transport has an instance, and used when none has.
   */
  pick(order: readonly TransportType[], service: string, version: string, region: string, routeKey: string, after?: TransportType): InstanceView | undefined {
    const start = after === undefined ? 0 : order.indexOf(after) + 1;
    const now = this.clock.now();
    let cooling: TransportType | undefined;
    for (let i = start; i < order.length; i++) {
      const t = order[i] as TransportType;
      const path = this.paths.get(`${service} ${t}`);
      if (path !== undefined && path.downUntil > now) {
        cooling ??= t;
        continue;
      }
      const instance = this.routing.pick(service, version, region, routeKey, t);
      if (instance !== undefined) return instance;
    }
    return cooling === undefined ? undefined : this.routing.pick(service, version, region, routeKey, cooling);
  }

  /** A response came back over `transport`. */
  served(service: string, transport: TransportType): void {
    this.path(service, transport).served += 1;
  }

  /** `transport` did not send a request of `service`: the path cools down; `failedOver` when another transport takes the request. */
  notSent(service: string, transport: TransportType, failedOver: boolean): void {
    const p = this.path(service, transport);
    const now = this.clock.now();
    p.notSent += 1;
    if (failedOver) p.failovers += 1;
    p.lastFailureAt = now;
    p.downUntil = now + PATH_COOLDOWN_MS;
  }

  /** Every path used so far (for `/metrics` and the routing view). */
  views(): PathView[] {
    const now = this.clock.now();
    return [...this.paths.values()].map((p) => ({
      service: p.service,
      transport: p.transport,
      healthy: p.downUntil <= now,
      served: p.served,
      notSent: p.notSent,
      failovers: p.failovers,
      lastFailureAt: p.lastFailureAt === 0 ? null : p.lastFailureAt,
    }));
  }

  private path(service: string, transport: TransportType): Path {
    const key = `${service} ${transport}`;
    let p = this.paths.get(key);
    if (p === undefined) {
      p = { service, transport, served: 0, notSent: 0, failovers: 0, downUntil: 0, lastFailureAt: 0 };
      this.paths.set(key, p);
    }
    return p;
  }
}
