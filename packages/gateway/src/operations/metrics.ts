/**
 * Prometheus metrics (prom-client, one registry per gateway so several gateways in one process
 * do not collide). Request metrics are updated on the hot path through cached label children;
 * instance and queue gauges are computed at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Metric names, for docs and tests. */
export const METRIC_NAMES = Object.freeze({
  requests: 'switchyard_gateway_requests_total',
  duration: 'switchyard_gateway_request_duration_seconds',
  inFlight: 'switchyard_gateway_requests_in_flight',
  instances: 'switchyard_gateway_instances',
  transportReady: 'switchyard_gateway_transport_ready',
  queueDepth: 'switchyard_gateway_queue_depth',
  queueDeadLetters: 'switchyard_gateway_queue_dead_letters',
  transportCounter: 'switchyard_gateway_transport_events_total',
});

/** What the scrape-time collectors read. */
export interface MetricsSources {
  /** Instance count by health (`healthy`, `degraded`, `draining`, ...). */
  instancesByHealth(): Readonly<Record<string, number>>;
  /** Readiness per transport (`messaging#0` → true). */
  transportReadiness(): ReadonlyArray<{ transport: string; ready: boolean }>;
  /** Queue stats of messaging transports, per queue. */
  queueStats(): Promise<ReadonlyArray<{ transport: string; queue: string; depth: number; deadLetters: number }>>;
  /** Monotonic transport counters (dispatched, responses, dropped responses, cancels). */
  transportCounters(): ReadonlyArray<{ transport: string; event: string; value: number }>;
}

interface RequestChildren {
  readonly observe: (seconds: number) => void;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status' | 'transport'>;
  private readonly duration: Histogram<'route'>;
  private readonly inFlight: Gauge;
  private readonly durationByRoute = new Map<string, RequestChildren>();
  private readonly requestCounters = new Map<string, () => void>();

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_gateway_' });
    this.requests = new Counter({
      name: METRIC_NAMES.requests,
      help: 'HTTP requests answered, by route (METHOD template, or "unmatched"), status and transport',
      labelNames: ['route', 'status', 'transport'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: METRIC_NAMES.duration,
      help: 'HTTP request latency through the gateway, by route',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.inFlight = new Gauge({ name: METRIC_NAMES.inFlight, help: 'HTTP requests in flight', registers: [this.registry] });
    new Gauge({
      name: METRIC_NAMES.instances,
      help: 'Registered service instances by health',
      labelNames: ['health'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [health, n] of Object.entries(sources.instancesByHealth())) this.set({ health }, n);
      },
    });
    new Gauge({
      name: METRIC_NAMES.transportReady,
      help: '1 when the router transport can carry requests',
      labelNames: ['transport'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of sources.transportReadiness()) this.set({ transport: t.transport }, t.ready ? 1 : 0);
      },
    });
    // Both queue gauges come from one stats read per scrape (shared while it is in flight).
    let statsRead: ReturnType<MetricsSources['queueStats']> | undefined;
    const queueStats = (): ReturnType<MetricsSources['queueStats']> => {
      statsRead ??= sources.queueStats().finally(() => {
        statsRead = undefined;
      });
      return statsRead;
    };
    new Gauge({
      name: METRIC_NAMES.queueDepth,
      help: 'Messages waiting in a Messaging transport queue',
      labelNames: ['transport', 'queue'],
      registers: [this.registry],
      async collect() {
        const stats = await queueStats();
        this.reset();
        for (const s of stats) this.set({ transport: s.transport, queue: s.queue }, s.depth);
      },
    });
    new Gauge({
      name: METRIC_NAMES.queueDeadLetters,
      help: 'Dead letters of a Messaging transport queue',
      labelNames: ['transport', 'queue'],
      registers: [this.registry],
      async collect() {
        const stats = await queueStats();
        this.reset();
        for (const s of stats) this.set({ transport: s.transport, queue: s.queue }, s.deadLetters);
      },
    });
    new Counter({
      name: METRIC_NAMES.transportCounter,
      help: 'Router transport events (dispatched, responses, dropped responses, cancels)',
      labelNames: ['transport', 'event'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const c of sources.transportCounters()) this.inc({ transport: c.transport, event: c.event }, c.value);
      },
    });
  }

  requestStarted(): void {
    this.inFlight.inc();
  }

  /** One answered request. Label children are cached so the hot path does no label hashing after warm-up. */
  requestFinished(route: string, status: number, transport: string, seconds: number): void {
    this.inFlight.dec();
    const key = `${route}\u0000${status}\u0000${transport}`;
    let inc = this.requestCounters.get(key);
    if (inc === undefined) {
      const child = this.requests.labels({ route, status: String(status), transport });
      inc = () => child.inc();
      if (this.requestCounters.size < 10_000) this.requestCounters.set(key, inc);
    }
    inc();
    let d = this.durationByRoute.get(route);
    if (d === undefined) {
      const child = this.duration.labels({ route });
      d = { observe: (s) => child.observe(s) };
      if (this.durationByRoute.size < 10_000) this.durationByRoute.set(route, d);
    }
    d.observe(seconds);
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
