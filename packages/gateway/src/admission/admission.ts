/**
 * The admission step of the request path (the one place that decides whether the gateway sheds a
 * request for capacity): before dispatch, a request must fit under its route's concurrency limit
 * and its service's, and, when it goes to a Messaging queue, that queue's backlog must leave it
 * time to finish inside its deadline. A refusal is answered 503 SY_GATEWAY_OVERLOADED with
 * Retry-After by the caller; the decision reads only counters in memory (microseconds, no
 * transport call). Limits and counts are kept per route and per service, created on first use.
 */
import type { AdmissionConfig, LimitConfig } from '../config/admission-schema.js';
import { AdaptiveLimit, FixedLimit, type ConcurrencyLimit } from './concurrency-limit.js';
import type { BacklogMonitor } from './backlog-monitor.js';

/** Why a request was shed (the `reason` label of the shed counter). */
export type ShedReason = 'route-limit' | 'service-limit' | 'backlog';

export const SHED_REASONS: readonly ShedReason[] = Object.freeze(['route-limit', 'service-limit', 'backlog']);

/** The limits and counts of one route (`METHOD /path` of one service). */
export interface RouteAdmission {
  readonly route: string;
  readonly service: string;
  readonly limit: ConcurrencyLimit | undefined;
  readonly serviceLimit: ConcurrencyLimit | undefined;
  admitted: number;
  readonly shed: Record<ShedReason, number>;
}

/** The outcome of one admission: the route's slot to release, or why it was shed. */
export type AdmissionDecision = RouteAdmission | ShedReason;

export class Admission {
  private readonly routes = new Map<string, RouteAdmission>();
  private readonly services = new Map<string, ConcurrencyLimit | undefined>();

  constructor(
    private readonly config: AdmissionConfig,
    private readonly backlog: BacklogMonitor | undefined,
  ) {}

  get retryAfterSeconds(): number {
    return this.config.retryAfterSeconds;
  }

  /**
   * Decides one request of `route` (its label, `METHOD /path`) of `service`, with deadline
   * `timeoutMs`, going to `queue` (a Messaging requests queue; undefined for a direct transport).
   * Admitted: the route's record, whose slots `release` must give back exactly once.
   */
  admit(service: string, route: string, timeoutMs: number, queue: string | undefined): AdmissionDecision {
    const r = this.routeOf(service, route);
    if (queue !== undefined && this.backlog !== undefined && this.backlog.expectedWaitMs(queue) > this.config.backlog.maxWaitShare * timeoutMs) {
      r.shed.backlog += 1;
      return 'backlog';
    }
    if (r.limit !== undefined && !r.limit.tryAcquire()) {
      r.shed['route-limit'] += 1;
      return 'route-limit';
    }
    if (r.serviceLimit !== undefined && !r.serviceLimit.tryAcquire()) {
      r.limit?.release(undefined, timeoutMs);
      r.shed['service-limit'] += 1;
      return 'service-limit';
    }
    r.admitted += 1;
    return r;
  }

  /** Gives an admitted request's slots back; `latencyMs` undefined when nothing was measured (never dispatched, client left). */
  release(r: RouteAdmission, latencyMs: number | undefined, timeoutMs: number): void {
    r.limit?.release(latencyMs, timeoutMs);
    r.serviceLimit?.release(latencyMs, timeoutMs);
  }

  /** Every route's counts (for `/metrics`). */
  routeStats(): Iterable<RouteAdmission> {
    return this.routes.values();
  }

  /** Every limit now, by scope and name (for `/metrics` and the routing view). */
  limits(): Array<{ scope: 'route' | 'service'; name: string; limit: number; inFlight: number }> {
    const out: Array<{ scope: 'route' | 'service'; name: string; limit: number; inFlight: number }> = [];
    for (const r of this.routes.values()) if (r.limit !== undefined) out.push({ scope: 'route', name: r.route, limit: r.limit.limit, inFlight: r.limit.inFlight });
    for (const [name, l] of this.services) if (l !== undefined) out.push({ scope: 'service', name, limit: l.limit, inFlight: l.inFlight });
    return out;
  }

  private routeOf(service: string, route: string): RouteAdmission {
    let byRoute = this.routes.get(route);
    if (byRoute !== undefined && byRoute.service === service) return byRoute;
    // Two services with the same route template (different versions' owners) keep separate records.
    const key = byRoute === undefined ? route : `${service}\u0000${route}`;
    byRoute = this.routes.get(key);
    if (byRoute !== undefined) return byRoute;
    let serviceLimit = this.services.get(service);
    if (!this.services.has(service)) {
      serviceLimit = makeLimit(this.config.services[service] ?? this.config.service);
      this.services.set(service, serviceLimit);
    }
    const created: RouteAdmission = {
      route,
      service,
      limit: makeLimit(this.config.routes[route] ?? this.config.route),
      serviceLimit,
      admitted: 0,
      shed: { 'route-limit': 0, 'service-limit': 0, backlog: 0 },
    };
    this.routes.set(key, created);
    return created;
  }
}

/** A limit from its config, or undefined for `off`. */
export function makeLimit(c: LimitConfig): ConcurrencyLimit | undefined {
  if (c.limit === 'off') return undefined;
  if (c.limit === 'adaptive') {
    return new AdaptiveLimit({ initialLimit: c.initialLimit, minLimit: c.minLimit, maxLimit: c.maxLimit, deadlineShare: c.deadlineShare, tolerance: c.tolerance });
  }
  return new FixedLimit(c.limit);
}
