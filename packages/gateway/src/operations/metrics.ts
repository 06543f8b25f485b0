/**
 * Prometheus metrics (prom-client, one registry per gateway so several gateways in one process
 * do not collide). The request counter is kept in plain objects on the hot path and handed to
 * prom-client at scrape time: prom-client's labelled `inc` hashes and validates the labels on
 * every call, even through a `labels()` child. Durations still go through cached histogram
 * children. Instance and queue gauges are computed at scrape time.
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
  queueDeadLettersDropped: 'switchyard_gateway_queue_dead_letters_dropped_total',
  transportCounter: 'switchyard_gateway_transport_events_total',
  registrationsRefused: 'switchyard_gateway_registrations_refused_total',
  rateLimitFallbacks: 'switchyard_gateway_rate_limit_fallbacks_total',
});

/** How often the event-loop lag metrics take a sample (a timer of this period runs for them). */
const EVENT_LOOP_SAMPLE_MS = 100;
/** Default metrics that break Prometheus naming rules; see the GatewayMetrics constructor. */
const UNCONVENTIONAL_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** What the scrape-time collectors read. */
export interface MetricsSources {
  /** Instance count by health (`healthy`, `degraded`, `draining`, ...). */
  instancesByHealth(): Readonly<Record<string, number>>;
  /** Readiness per transport (`messaging#0` → true). */
  transportReadiness(): ReadonlyArray<{ transport: string; ready: boolean }>;
  /** Queue stats of messaging transports, per queue. */
  queueStats(): Promise<ReadonlyArray<{ transport: string; queue: string; depth: number; deadLetters: number; deadLettersDropped?: number | undefined }>>;
  /** Monotonic transport counters (dispatched, responses, dropped responses, cancels). */
  transportCounters(): ReadonlyArray<{ transport: string; event: string; value: number }>;
  /** HELLOs the registration policy refused, by rule. */
  registrationRefusals(): Readonly<Record<string, number>>;
}

interface RequestChildren {
  readonly observe: (seconds: number) => void;
}

/** One series of the request counter. */
interface RequestCount {
  readonly labels: { readonly route: string; readonly status: string; readonly transport: string };
  value: number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'route'>;
  private readonly inFlight: Gauge;
  private readonly durationByRoute = new Map<string, RequestChildren>();
  /** route → status → transport → count: lookups by the caller's strings, no key built per request. */
  private readonly requestCounts = new Map<string, Map<number, Map<string, RequestCount>>>();

  constructor(sources: MetricsSources) {
    // The event-loop lag histogram samples every EVENT_LOOP_SAMPLE_MS: prom-client's 10 ms
    // default woke an idle gateway 100 times a second, more than everything else together.
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_gateway_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    // prom-client's defaults include three gauges named `*_total`, which Prometheus reserves for
    // counters (`promtool check metrics` rejects them). Each is the sum of the labelled gauge
    // beside it (e.g. `nodejs_active_handles{type}`), so dropping them loses nothing.
    for (const name of UNCONVENTIONAL_DEFAULT_METRICS) this.registry.removeSingleMetric(`switchyard_gateway_${name}`);
    const requestCounts = this.requestCounts;
    new Counter({
      name: METRIC_NAMES.requests,
      help: 'HTTP requests answered, by route (METHOD template, or "unmatched"), status and transport',
      labelNames: ['route', 'status', 'transport'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const byStatus of requestCounts.values()) {
          for (const byTransport of byStatus.values()) {
            for (const c of byTransport.values()) this.inc(c.labels, c.value);
          }
        }
      },
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
    const queueGauge = (name: string, help: string, value: (s: Awaited<ReturnType<typeof queueStats>>[number]) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['transport', 'queue'],
        registers: [this.registry],
        async collect() {
          const stats = await queueStats();
          this.reset();
          for (const s of stats) this.set({ transport: s.transport, queue: s.queue }, value(s));
        },
      });
    };
    queueGauge(METRIC_NAMES.queueDepth, 'Messages waiting in a Messaging transport queue', (s) => s.depth);
    queueGauge(METRIC_NAMES.queueDeadLetters, 'Dead letters of a Messaging transport queue', (s) => s.deadLetters);
    new Counter({
      name: METRIC_NAMES.queueDeadLettersDropped,
      help: "Dead letters dropped by the backend's retention (max length, max age), all processes together; only for backends with retention",
      labelNames: ['transport', 'queue'],
      registers: [this.registry],
      async collect() {
        const stats = await queueStats();
        this.reset();
        for (const s of stats) if (s.deadLettersDropped !== undefined) this.inc({ transport: s.transport, queue: s.queue }, s.deadLettersDropped);
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
    new Counter({
      name: METRIC_NAMES.registrationsRefused,
      help: 'HELLOs refused by the registration policy, by rule (instance-changed, endpoints-differ, too-many-instances, too-many-endpoints)',
      labelNames: ['reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [reason, value] of Object.entries(sources.registrationRefusals())) this.inc({ reason }, value);
      },
    });
  }

  requestStarted(): void {
    this.inFlight.inc();
  }

  /** One answered request. */
  requestFinished(route: string, status: number, transport: string, seconds: number): void {
    this.inFlight.dec();
    this.requestCount(route, status, transport).value += 1;
    let d = this.durationByRoute.get(route);
    if (d === undefined) {
      const child = this.duration.labels({ route });
      d = { observe: (s) => child.observe(s) };
      if (this.durationByRoute.size < 10_000) this.durationByRoute.set(route, d);
    }
    d.observe(seconds);
  }

  /**
   * The series of (route, status, transport), created on first use. Unbounded like prom-client's
   * own: routes are templates or "unmatched", so the label set is bounded by configuration.
   */
  private requestCount(route: string, status: number, transport: string): RequestCount {
    let byStatus = this.requestCounts.get(route);
    if (byStatus === undefined) this.requestCounts.set(route, (byStatus = new Map()));
    let byTransport = byStatus.get(status);
    if (byTransport === undefined) byStatus.set(status, (byTransport = new Map()));
    let count = byTransport.get(transport);
    if (count === undefined) {
      count = { labels: { route, status: String(status), transport }, value: 0 };
      byTransport.set(transport, count);
    }
    return count;
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
