/**
 * The admission and transport-path series of `/metrics` (docs/operations.md, "Overload"), read at
 * scrape time from the counts the admission step and the transport paths keep in plain objects.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TransportPaths } from '../transport-paths.js';
import { SHED_REASONS, type Admission } from './admission.js';

export const ADMISSION_METRIC_NAMES = Object.freeze({
  admitted: 'switchyard_gateway_admission_admitted_total',
  shed: 'switchyard_gateway_admission_shed_total',
  limit: 'switchyard_gateway_admission_limit',
  limitInFlight: 'switchyard_gateway_admission_in_flight',
  pathRequests: 'switchyard_gateway_path_requests_total',
  pathHealthy: 'switchyard_gateway_path_healthy',
});

export function registerAdmissionMetrics(registry: Registry, admission: Admission | undefined, paths: TransportPaths | undefined): void {
  if (admission !== undefined) {
    new Counter({
      name: ADMISSION_METRIC_NAMES.admitted,
      help: 'Requests the admission step let through, by route',
      labelNames: ['service', 'route'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of admission.routeStats()) this.inc({ service: r.service, route: r.route }, r.admitted);
      },
    });
    new Counter({
      name: ADMISSION_METRIC_NAMES.shed,
      help: 'Requests shed (503 SY_GATEWAY_OVERLOADED) by route and reason (route-limit, service-limit, backlog)',
      labelNames: ['service', 'route', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of admission.routeStats()) for (const reason of SHED_REASONS) this.inc({ service: r.service, route: r.route, reason }, r.shed[reason]);
      },
    });
    new Gauge({
      name: ADMISSION_METRIC_NAMES.limit,
      help: 'Current concurrency limit, by scope (route, service) and name',
      labelNames: ['scope', 'name'],
      registers: [registry],
      collect() {
        this.reset();
        for (const l of admission.limits()) this.set({ scope: l.scope, name: l.name }, l.limit);
      },
    });
    new Gauge({
      name: ADMISSION_METRIC_NAMES.limitInFlight,
      help: 'Admitted requests in flight under each concurrency limit, by scope (route, service) and name',
      labelNames: ['scope', 'name'],
      registers: [registry],
      collect() {
        this.reset();
        for (const l of admission.limits()) this.set({ scope: l.scope, name: l.name }, l.inFlight);
      },
    });
  }
  if (paths !== undefined) {
    new Counter({
      name: ADMISSION_METRIC_NAMES.pathRequests,
      help: 'Requests of routes with a transport order, by service, transport and outcome (served, not-sent, failover)',
      labelNames: ['service', 'transport', 'outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of paths.views()) {
          this.inc({ service: p.service, transport: p.transport, outcome: 'served' }, p.served);
          this.inc({ service: p.service, transport: p.transport, outcome: 'not-sent' }, p.notSent);
          this.inc({ service: p.service, transport: p.transport, outcome: 'failover' }, p.failovers);
        }
      },
    });
    new Gauge({
      name: ADMISSION_METRIC_NAMES.pathHealthy,
      help: '1 unless the path (service over transport) failed to send a request in the last second',
      labelNames: ['service', 'transport'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of paths.views()) this.set({ service: p.service, transport: p.transport }, p.healthy ? 1 : 0);
      },
    });
  }
}
