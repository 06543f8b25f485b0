/**
 * Per-route request rate and latency percentiles for the console, read from the gateway's own
 * latency histogram (the one `/metrics` exports). Percentiles are the upper bound of the bucket
 * the rank falls in, so they are as coarse as the buckets; the rate is over the last window
 * of at least `windowMs` between two reads.
 */
import type { Clock } from '@switchyard/core';
import type { Histogram } from 'prom-client';
import { METRIC_NAMES, type GatewayMetrics } from '../operations/metrics.js';

export interface RouteRow {
  /** `METHOD template`, or `unmatched`. */
  readonly route: string;
  readonly requests: number;
  /** Requests per second over the last window; undefined until a window has passed. */
  readonly ratePerSecond: number | undefined;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

interface Sample {
  readonly at: number;
  readonly count: number;
}

export class RouteStats {
  private readonly previous = new Map<string, Sample>();
  private readonly latest = new Map<string, Sample>();

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
    private readonly windowMs = 5_000,
  ) {}

  async snapshot(): Promise<RouteRow[]> {
    const histogram = this.metrics.registry.getSingleMetric(METRIC_NAMES.duration) as Histogram | undefined;
    if (histogram === undefined) return [];
    const data = await histogram.get();
    const byRoute = new Map<string, { buckets: Array<{ le: number; count: number }>; count: number }>();
    for (const v of data.values) {
      const route = String(v.labels.route);
      const entry = byRoute.get(route) ?? { buckets: [], count: 0 };
      byRoute.set(route, entry);
      if (v.metricName?.endsWith('_bucket') === true && v.labels.le !== undefined) {
        entry.buckets.push({ le: v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), count: v.value });
      } else if (v.metricName?.endsWith('_count') === true) {
        entry.count = v.value;
      }
    }
    const now = this.clock.now();
    const rows: RouteRow[] = [];
    for (const [route, { buckets, count }] of byRoute) {
      buckets.sort((a, b) => a.le - b.le);
      rows.push({ route, requests: count, ratePerSecond: this.rate(route, count, now), p50Ms: quantileMs(buckets, count, 0.5), p99Ms: quantileMs(buckets, count, 0.99) });
    }
    return rows.sort((a, b) => b.requests - a.requests);
  }

  private rate(route: string, count: number, now: number): number | undefined {
    let latest = this.latest.get(route);
    if (latest === undefined) {
      latest = { at: now, count };
      this.latest.set(route, latest);
    } else if (now - latest.at >= this.windowMs) {
      this.previous.set(route, latest);
      latest = { at: now, count };
      this.latest.set(route, latest);
    }
    const from = this.previous.get(route);
    if (from === undefined || now <= from.at) return undefined;
    return ((count - from.count) * 1_000) / (now - from.at);
  }
}

function quantileMs(buckets: ReadonlyArray<{ le: number; count: number }>, total: number, q: number): number | undefined {
  if (total === 0) return undefined;
  const rank = q * total;
  for (const b of buckets) if (b.count >= rank) return Number.isFinite(b.le) ? b.le * 1_000 : undefined;
  return undefined;
}
