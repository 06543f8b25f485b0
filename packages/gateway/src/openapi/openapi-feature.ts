/**
 * The gateway's OpenAPI feature in one object: the description store fed by HELLO, the
 * aggregated documents and `/docs` served ahead of the routes, and request validation before
 * dispatch. `createGateway` builds it and wires it at three call sites (HELLO hook, path hook,
 * request-path validation).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, EndpointDescriptor, GatewayTransport, HelloFrame, InstanceLink, Logger, ResponsePayload, TransportType } from '@switchyard/core';
import type { RoutingState } from '@switchyard/core/internal';
import type { GatewayConfig } from '../config/schema.js';
import type { GatewayMetrics } from '../operations/metrics.js';
import { DescriptionStore } from './description-store.js';
import { DocsPage } from './docs-page.js';
import { OpenApiDocumentSet } from './openapi-documents.js';
import { openApiEndpoints } from './openapi-endpoints.js';
import { OpenApiMetrics } from './openapi-metrics.js';
import { RequestValidator, type RequestParts, type ValidationError } from './request-validator.js';

/** What the request path calls before dispatch and after the response; absent when `validation: off`. */
export interface RequestValidation {
  /** Every error of the request; empty when valid or when there is nothing to validate against. */
  validateRequest(instanceId: string, endpoint: EndpointDescriptor, request: RequestParts): ValidationError[];
  /** Answers 400 with every error listed (the request is not dispatched). */
  reject(res: ServerResponse, requestIdHeader: string, requestId: string, errors: readonly ValidationError[]): void;
  /**
   * With `requests-and-responses`: checks the response and, when it does not match, logs it and
   * returns the `x-switchyard-response-invalid` header to add; otherwise undefined.
   */
  checkResponse(instanceId: string, endpoint: EndpointDescriptor, response: ResponsePayload, requestId: string): Readonly<Record<string, string>> | undefined;
}

export interface OpenApiFeature {
  readonly store: DescriptionStore;
  readonly documents: OpenApiDocumentSet;
  /** The HELLO hook. */
  announced(frame: HelloFrame, link: InstanceLink): void;
  /** The path hook: true when it answered `/openapi*`, `/docs*` or the reserved description path. */
  serve(path: string, req: IncomingMessage, res: ServerResponse): boolean;
  readonly validation: RequestValidation | undefined;
  /** After the transports stopped: waits for description fetches still settling. */
  close(): Promise<void>;
}

export interface OpenApiFeatureDeps {
  readonly config: Readonly<GatewayConfig>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly routing: RoutingState;
  readonly metrics: GatewayMetrics;
  readonly transports: () => ReadonlyMap<TransportType, GatewayTransport>;
}

export function createOpenApiFeature(deps: OpenApiFeatureDeps): OpenApiFeature {
  const { config, clock, logger, routing } = deps;
  const metrics = new OpenApiMetrics(deps.metrics.registry);
  const store = new DescriptionStore({
    clock,
    logger,
    transports: deps.transports,
    isLive: (id) => routing.instance(id) !== undefined,
    fetched: (o) => metrics.fetched(o),
  });
  const documents = new OpenApiDocumentSet({
    routing,
    store,
    logger,
    defaultVersions: config.routing.defaultVersions,
    jwt: config.auth.jwt !== undefined,
    rebuilt: () => metrics.rebuilt(),
  });
  const serve = openApiEndpoints(documents, new DocsPage(), logger);
  const validator = config.validation === 'off' ? undefined : new RequestValidator(store, logger);
  const checksResponses = config.validation === 'requests-and-responses';
  const validation: RequestValidation | undefined =
    validator === undefined
      ? undefined
      : {
          validateRequest: (instanceId, endpoint, request) => validator.validateRequest(instanceId, endpoint, request),
          reject: (res, requestIdHeader, requestId, errors) => {
            metrics.invalidRequest();
            const body = JSON.stringify({
              error: { code: 'SY_GATEWAY_INVALID_REQUEST', message: `the request does not match the endpoint's schemas (${errors.length} error${errors.length === 1 ? '' : 's'})`, requestId, errors },
            });
            res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), [requestIdHeader]: requestId });
            res.end(body);
          },
          checkResponse: (instanceId, endpoint, response, requestId) => {
            if (!checksResponses) return undefined;
            const errors = validator.validateResponse(instanceId, endpoint, response.status, response.headers['content-type'], response.body);
            if (errors.length === 0) return undefined;
            metrics.invalidResponse();
            logger.warn({ requestId, instanceId, route: `${endpoint.method} ${endpoint.path}`, status: response.status, errors }, 'response does not match its declared schema');
            return { 'x-switchyard-response-invalid': String(errors.length) };
          },
        };
  return {
    store,
    documents,
    announced: (frame, link) => store.announced(frame, link),
    serve,
    validation,
    close: () => store.close(),
  };
}
