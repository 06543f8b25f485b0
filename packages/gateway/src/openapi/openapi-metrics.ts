/** The OpenAPI feature's metrics, on the gateway's registry (docs/operations.md, "Metrics"). */
import { Counter, type Registry } from 'prom-client';

/** Names of the OpenAPI and validation metrics, for docs and tests. */
export const OPENAPI_METRIC_NAMES = Object.freeze({
  rebuilds: 'switchyard_gateway_openapi_rebuilds_total',
  descriptionFetches: 'switchyard_gateway_description_fetches_total',
  invalidRequests: 'switchyard_gateway_invalid_requests_total',
  invalidResponses: 'switchyard_gateway_invalid_responses_total',
});

/** The counters, registered on the gateway's registry. */
export class OpenApiMetrics {
  private readonly rebuildCounter: Counter;
  private readonly fetchCounter: Counter<'outcome'>;
  private readonly invalidRequestCounter: Counter;
  private readonly invalidResponseCounter: Counter;

  constructor(registry: Registry) {
    this.rebuildCounter = new Counter({ name: OPENAPI_METRIC_NAMES.rebuilds, help: 'OpenAPI documents rebuilt after the routes or descriptions changed', registers: [registry] });
    this.fetchCounter = new Counter({
      name: OPENAPI_METRIC_NAMES.descriptionFetches,
      help: 'Service description fetches by outcome (ok, failed, invalid)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.invalidRequestCounter = new Counter({ name: OPENAPI_METRIC_NAMES.invalidRequests, help: 'Requests answered 400 by schema validation, never dispatched', registers: [registry] });
    this.invalidResponseCounter = new Counter({ name: OPENAPI_METRIC_NAMES.invalidResponses, help: 'Responses that did not match their declared schema (validation: requests-and-responses)', registers: [registry] });
  }

  rebuilt(): void {
    this.rebuildCounter.inc();
  }

  fetched(outcome: 'ok' | 'failed' | 'invalid'): void {
    this.fetchCounter.inc({ outcome });
  }

  invalidRequest(): void {
    this.invalidRequestCounter.inc();
  }

  invalidResponse(): void {
    this.invalidResponseCounter.inc();
  }
}
