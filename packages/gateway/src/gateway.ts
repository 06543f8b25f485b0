/**
 * `createGateway(config, deps)` builds everything (transports, routing, policy, metrics, HTTP
 * server) without listening; `start()` starts the transports and then listens; `stop()` shuts
 * down in order: stop accepting → finish in-flight (bounded by http.shutdownGraceMs) or cancel
 * it → stop the sweep → stop transports in config order.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Container } from 'inversify';
import { TOKENS, TransportType, pluginLoaderModule, type Clock, type GatewayTransport, type Logger } from '@switchyard/core';
import { gatewayTransportsModule, routingModule, type RegistrationLimits, type RoutingState, type TransportConfigEntry } from '@switchyard/core/internal';
import { GATEWAY_DEFAULTS } from './config/defaults.js';
import type { GatewayConfig } from './config/schema.js';
import { GatewayConfigError } from './errors.js';
import { importFromGateway } from './import-package.js';
import { createClientListener } from './http/listener.js';
import { RequestPath } from './http/request-handler.js';
import { httpServerOptions } from './http/server-options.js';
import { operationsEndpoints, PUBLIC_OPERATIONS, type Readiness } from './operations/endpoints.js';
import { OpsListener } from './operations/ops-listener.js';
import { GatewayMetrics } from './operations/metrics.js';
import { gatewayModule } from './module.js';
import type { GatewayLog } from './logger.js';
import type { Authenticator } from './policy/authenticator.js';
import { ClientCertificates } from './policy/client-certificate.js';
import { ReservedHeaders } from './policy/identity-headers.js';
import { createRateLimiters } from './policy/rate-limits.js';
import { DepartedRoutes } from './departed-routes.js';
import { createOpenApiFeature } from './openapi/openapi-feature.js';
import { TransportSet } from './transport-set.js';
import { AdminAccess } from './admin/access.js';
import { createAdminSurface, type AdminSurface } from './admin/admin-surface.js';
import { DrainedInstances } from './admin/drained-instances.js';
import { Admission } from './admission/admission.js';
import { registerAdmissionMetrics } from './admission/admission-metrics.js';
import { BacklogMonitor } from './admission/backlog-monitor.js';
import { RegionHandover } from './region-handover.js';
import { TransportPaths } from './transport-paths.js';

/** What `createGateway` can be given instead of building it from config (tests, embedding). */
export interface GatewayDeps {
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default a pino JSON logger on stdout at `log.level` */
  readonly logger?: Logger;
  /** Router transports to use instead of building them from `config.transports`. */
  readonly transports?: readonly GatewayTransport[];
  /** Routing state to use instead of a new one built from `routing` and `health` config. */
  readonly routing?: RoutingState;
  /** Authenticator to use instead of one built from `config.auth`. */
  readonly authenticator?: Authenticator;
}

export interface Gateway {
  readonly config: Readonly<GatewayConfig>;
  readonly routing: RoutingState;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** The admin API, console and their access check; undefined unless `admin` is configured. */
  readonly admin: AdminSurface | undefined;
  /** Starts the transports, then listens on http.host:http.port. Resolves with the base URL. */
  start(): Promise<string>;
  /** The base URL (`http://host:port`, or `https://` with `http.tls`) once started. */
  url(): string;
  /** The base URL of the separate operations listener once started; undefined without `ops.port`. */
  opsUrl(): string | undefined;
  /** Ready (docs/operations.md, "Health endpoints"): every transport up and every required service has an eligible instance. */
  readiness(): Readiness;
  /** Graceful shutdown; idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds a gateway from a validated config (see `parseGatewayConfig`). Nothing listens or
 * connects until `start()`. The composition root: the container holds the abstractions (clock,
 * logger, routing state, router transports, plugin loader, authenticator), each a GatewayDeps
 * override away; the HTTP side is assembled from them here.
 */
export async function createGateway(config: Readonly<GatewayConfig>, deps: GatewayDeps = {}): Promise<Gateway> {
  const container = new Container();
  container.loadSync(
    gatewayModule(config),
    pluginLoaderModule({ importPackage: importFromGateway }),
    routingModule({
      degradedAfterMs: config.health.degradedAfterMs,
      staleAfterMs: config.health.staleAfterMs,
      resyncMinIntervalMs: config.routing.resyncMinIntervalMs,
      defaultVersions: config.routing.defaultVersions,
      registration: registrationLimits(config.routing),
    }),
    gatewayTransportsModule(config.transports as readonly TransportConfigEntry[], { id: config.node.id, region: config.node.region }),
  );
  const overrides: ReadonlyArray<readonly [symbol, unknown]> = [
    [TOKENS.Clock, deps.clock],
    [TOKENS.Logger, deps.logger],
    [TOKENS.GatewayTransports, deps.transports],
    [TOKENS.RoutingState, deps.routing],
    [TOKENS.Authenticator, deps.authenticator],
  ];
  for (const [token, value] of overrides) if (value !== undefined) container.rebindSync(token).toConstantValue(value);

  const clock = container.get<Clock>(TOKENS.Clock);
  const logger = container.get<Logger>(TOKENS.Logger);
  const log = deps.logger === undefined ? container.get<GatewayLog>(TOKENS.GatewayLog) : undefined;
  let routing: RoutingState;
  try {
    routing = container.get<RoutingState>(TOKENS.RoutingState);
  } catch (err) {
    throw new GatewayConfigError([(err as Error).message], 'routing config');
  }
  let transportList: readonly GatewayTransport[];
  try {
    transportList = await container.getAsync<readonly GatewayTransport[]>(TOKENS.GatewayTransports);
  } catch (err) {
    // The registry names the key (`transports[0].backend`); report it like every other config problem.
    throw new GatewayConfigError([(err as Error).message], 'transports config');
  }
  const authenticator = await container.getAsync<Authenticator>(TOKENS.Authenticator);
  // The one judge of admin access: the admin API and the routing view both ask it (admin/access.ts).
  const access = await AdminAccess.create(config.admin, config.ops.adminClaim, authenticator, config.auth.jwt !== undefined);
  const departed = new DepartedRoutes(clock, config.routing.rememberDepartedMs);
  // Admin: after each control frame, a drained instance is marked draining again (admin/drained-instances.ts).
  const drained = new DrainedInstances(routing, (type) => transportList.find((t) => t.type === type));
  // Regions over Messaging: the queued REQUESTs of a region whose last instance left are moved (region-handover.ts).
  const handover = new RegionHandover(transportList.find((t) => t.type === TransportType.Messaging), routing, config.node.region, clock, logger);
  const transports = new TransportSet(transportList, routing, departed, logger, clock, {
    control: (frame, _link, outcome) => {
      drained.afterControl(frame);
      if (outcome.kind === 'removed') handover.departed(outcome.instanceId);
    },
    lost: (instanceId, _reason, change) => {
      if (change?.removed === true) handover.departed(instanceId);
    },
  });
  transports.onHello((frame, link) => handover.registered(frame, link));
  const reserved = new ReservedHeaders(config.auth.reservedHeaders);
  const limiters = createRateLimiters(config.rateLimit, transportList, clock, logger);
  const clientLimiter = limiters.client;
  const routeLimiter = limiters.route;

  let draining = false;
  const readiness = (): Readiness => {
    const t = transports.readiness();
    const required = config.health.requiredServices.map((service) => ({ service, eligible: routing.isServiceAvailable(service) }));
    return {
      ready: !draining && t.every((x) => x.ready) && required.every((r) => r.eligible),
      transports: t,
      requiredServices: required,
      draining,
    };
  };
  const metrics = new GatewayMetrics({
    instancesByHealth: () => routing.counts(),
    transportReadiness: () => transports.readiness(),
    queueStats: () => transports.queueStats(),
    transportCounters: () => transports.counters(),
    registrationRefusals: () => routing.registrationRefusals(),
  });
  limiters.fallbacks?.register(metrics.registry);
  // Overload: admission before dispatch (admission/admission.ts) and transport order with failover (transport-paths.ts).
  const backlog = config.admission.enabled && config.admission.backlog.enabled
    ? new BacklogMonitor(transports.byType.get(TransportType.Messaging), clock, logger, config.admission.backlog.refreshMs)
    : undefined;
  const admission = config.admission.enabled ? new Admission(config.admission, backlog?.isActive === true ? backlog : undefined) : undefined;
  const transportPaths = new TransportPaths(config.routing.transportOrder, routing, clock);
  const paths = transportPaths.isConfigured ? transportPaths : undefined;
  registerAdmissionMetrics(metrics.registry, admission, paths);
  const operationSources = {
    readiness,
    metrics,
    logger,
    admin: (headers: IncomingHttpHeaders) => access.check(headers, 'viewer'),
    routesView: () => ({
      node: config.node,
      transports: transports.readiness(),
      routing: routing.snapshot(),
      ...(paths === undefined ? {} : { paths: paths.views() }),
      ...(admission === undefined ? {} : { admission: { limits: admission.limits(), backlog: backlog?.snapshot() ?? [] } }),
      ...(handover.activeQueues.length === 0 ? {} : { regionHandovers: handover.activeQueues }),
    }),
  };
  // Edge: with an ops listener the views live there; otherwise the routing view needs admin (docs/operations.md).
  const ops = config.ops.port === undefined ? undefined : new OpsListener(config.ops.host, config.ops.port, operationsEndpoints(operationSources), httpServerOptions(config.http));
  const operations = operationsEndpoints(operationSources, ops !== undefined ? { routes: 'absent', metrics: 'absent' } : { ...PUBLIC_OPERATIONS, routes: 'admin', metrics: config.ops.metrics });
  // OpenAPI: descriptions fetched on HELLO, documents and /docs ahead of the routes, validation before dispatch.
  const openapi = createOpenApiFeature({ config, clock, logger, routing, metrics, transports: () => transports.byType });
  transports.onHello(openapi.announced);
  // Admin: the API and console stay on the client listener (the console calls the API from its own
  // origin) even with ops.port; their paths go first, then OpenAPI's, then the operations endpoints (admin/admin-surface.ts).
  const admin = config.admin === undefined ? undefined : createAdminSurface({ config: config.admin, access, routing, transports, drained, metrics, clock, logger });
  const operationsHook = (path: string, req: IncomingMessage, res: ServerResponse): boolean =>
    (admin !== undefined && admin.handle(path, req, res)) || openapi.serve(path, req, res) || operations(path, req, res);
  const requestPath = new RequestPath({
    config,
    clock,
    logger,
    requestLogger: log?.requestLogger ?? logger,
    routing,
    departed,
    transports: transports.byType,
    authenticator,
    reserved,
    metrics,
    clientLimiter,
    routeLimiter,
    operations: operationsHook,
    validation: openapi.validation,
    admission,
    paths,
    ...(config.http.tls?.ca === undefined ? {} : { certificates: new ClientCertificates() }),
  });

  // HTTP/1.1, HTTPS or HTTP/2 as `http` config says; certificates are read (and checked) here.
  // Every kind gets the edge settings: server-options.ts timeouts and sizes, the JSON answer to
  // parser refusals, and the per-client connection cap (http/listener.ts).
  const server = createClientListener(config.http, requestPath.handle, { clock, logger });
  let baseUrl = '';
  let stopSweep: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  const start = async (): Promise<string> => {
    await transports.start();
    backlog?.start();
    stopSweep = clock.every(config.routing.sweepIntervalMs, () => {
      for (const change of routing.sweep()) {
        if (change.removed) {
          departed.departed(change.instanceId);
          handover.departed(change.instanceId);
        }
        logger.info({ instanceId: change.instanceId, service: change.service, from: change.from, to: change.to, reason: change.reason }, 'instance health changed');
      }
      departed.sweep();
      clientLimiter?.sweep();
      routeLimiter?.sweep();
    });
    const addr = await server.listen(config.http.port, config.http.host);
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    baseUrl = `${server.scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
    logger.info({ url: baseUrl, protocols: server.protocols, transports: transportList.map((t) => t.type) }, `gateway listening on ${baseUrl}`);
    if (ops !== undefined) {
      const opsUrl = await ops.start();
      logger.info({ url: opsUrl }, `operations endpoints listening on ${opsUrl}`);
    }
    return baseUrl;
  };

  const doStop = async (): Promise<void> => {
    draining = true;
    requestPath.startDraining();
    logger.info({ inFlight: requestPath.inFlight.size }, 'gateway stopping: no new requests; draining in-flight');
    const closed = server.close();
    server.closeIdleConnections();
    const graceTimer = new AbortController();
    const graceful = await Promise.race([
      requestPath.inFlight.idle().then(() => true),
      clock.sleep(config.http.shutdownGraceMs, graceTimer.signal).then(() => false, () => true),
    ]);
    graceTimer.abort();
    if (!graceful) {
      // The clients get 503 now; stopping the transports below CANCELs the requests at the instances.
      logger.warn({ inFlight: requestPath.inFlight.size }, 'shutdown grace expired: answering in-flight requests 503; transports will CANCEL them');
      requestPath.inFlight.answerAllShuttingDown();
    }
    server.closeIdleConnections();
    // Let answered responses flush before cutting what is left.
    const flushTimer = new AbortController();
    await Promise.race([closed, clock.sleep(1_000, flushTimer.signal).catch(() => undefined)]);
    flushTimer.abort();
    server.closeAllConnections();
    await closed;
    stopSweep?.();
    backlog?.stop();
    await handover.close();
    await admin?.close();
    await ops?.stop();
    await transports.stop(GATEWAY_DEFAULTS.transportStopTimeoutMs);
    await openapi.close();
    requestPath.close();
    logger.info({}, 'gateway stopped');
    log?.flushSync();
  };

  return {
    config,
    routing,
    metrics,
    logger,
    admin,
    start,
    url: () => baseUrl,
    opsUrl: () => (ops === undefined ? undefined : ops.url()),
    readiness,
    stop: () => (stopping ??= doStop()),
  };
}

/** The registration policy limits the config sets; core's defaults for the others. */
function registrationLimits(routing: { readonly maxInstancesPerService?: number | undefined; readonly maxEndpoints?: number | undefined }): Partial<RegistrationLimits> {
  const limits: { -readonly [K in keyof RegistrationLimits]?: number } = {};
  if (routing.maxInstancesPerService !== undefined) limits.maxInstancesPerService = routing.maxInstancesPerService;
  if (routing.maxEndpoints !== undefined) limits.maxEndpoints = routing.maxEndpoints;
  return limits;
}
