/**
 * `createGateway(config, deps)` builds everything (transports, routing, policy, metrics, HTTP
 * server) without listening; `start()` starts the transports and then listens; `stop()` shuts
 * down in order: stop accepting → finish in-flight (bounded by http.shutdownGraceMs) or cancel
 * it → stop the sweep → stop transports in config order.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGatewayTransports,
  RoutingState,
  systemClock,
  type Clock,
  type GatewayTransport,
  type Logger,
  type TransportConfigEntry,
} from '@switchyard/core';
import { GATEWAY_DEFAULTS, type GatewayConfig } from './config/schema.js';
import { GatewayConfigError } from './errors.js';
import { RequestPath } from './http/request-handler.js';
import { createGatewayLogger } from './logger.js';
import { operationsEndpoints, type Readiness } from './operations/endpoints.js';
import { GatewayMetrics } from './operations/metrics.js';
import { createAuthenticator, type Authenticator } from './policy/authenticator.js';
import { ReservedHeaders } from './policy/identity-headers.js';
import { RateLimiter } from './policy/rate-limiter.js';
import { DepartedRoutes } from './departed-routes.js';
import { TransportSet } from './transport-set.js';
import { createAdminSurface, type AdminSurface } from './admin/admin-surface.js';
import { DrainedInstances } from './admin/drained-instances.js';

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
  /** The base URL (`http://host:port`) once started. */
  url(): string;
  /** Ready per SPEC §6: every transport up and every required service has an eligible instance. */
  readiness(): Readiness;
  /** Graceful shutdown; idempotent. */
  stop(): Promise<void>;
}

/** Builds a gateway from a validated config (see `parseGatewayConfig`). Nothing listens or connects until `start()`. */
export async function createGateway(config: Readonly<GatewayConfig>, deps: GatewayDeps = {}): Promise<Gateway> {
  const clock = deps.clock ?? systemClock;
  const pino = deps.logger === undefined ? createGatewayLogger(config) : undefined;
  const logger: Logger = deps.logger ?? (pino?.logger as Logger);
  let routing: RoutingState;
  try {
    routing =
      deps.routing ??
      new RoutingState({
        clock,
        logger,
        degradedAfterMs: config.health.degradedAfterMs,
        staleAfterMs: config.health.staleAfterMs,
        defaultVersions: config.routing.defaultVersions,
      });
  } catch (err) {
    throw new GatewayConfigError([(err as Error).message], 'routing config');
  }
  let transportList: readonly GatewayTransport[];
  if (deps.transports !== undefined) {
    transportList = deps.transports;
  } else {
    try {
      transportList = await createGatewayTransports(config.transports as readonly TransportConfigEntry[], {
        clock,
        logger,
        node: { id: config.node.id, region: config.node.region },
      });
    } catch (err) {
      // The factory names the key (`transports[0].backend`); report it like every other config problem.
      throw new GatewayConfigError([(err as Error).message], 'transports config');
    }
  }
  const departed = new DepartedRoutes(clock, config.routing.rememberDepartedMs);
  // Admin: after each control frame, a drained instance is marked draining again (admin/drained-instances.ts).
  const drained = new DrainedInstances(routing);
  const transports = new TransportSet(transportList, routing, departed, logger, clock, (frame) => drained.afterControl(frame));
  const authenticator = deps.authenticator ?? (await createAuthenticator(config.auth));
  const reserved = new ReservedHeaders(config.auth.reservedHeaders);
  const rl = config.rateLimit;
  const clientLimiter = rl.perClient === undefined ? undefined : new RateLimiter(clock, { ...rl.perClient, maxKeys: rl.maxClients });
  const routeLimiter = rl.perRoute === undefined ? undefined : new RateLimiter(clock, rl.perRoute);

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
  });
  const operations = operationsEndpoints({
    readiness,
    metrics,
    logger,
    routesView: () => ({
      node: config.node,
      transports: transports.readiness(),
      routing: routing.snapshot(),
    }),
  });
  // Admin: the API and console paths go first, then the operations endpoints (admin/admin-surface.ts).
  const admin =
    config.admin === undefined
      ? undefined
      : await createAdminSurface({ config: config.admin, jwtConfigured: config.auth.jwt !== undefined, authenticator, routing, transports, drained, metrics, clock, logger });
  const operationsHook = admin === undefined ? operations : (path: string, req: IncomingMessage, res: ServerResponse): boolean => admin.handle(path, req, res) || operations(path, req, res);
  const requestPath = new RequestPath({
    config,
    clock,
    logger,
    routing,
    departed,
    transports: transports.byType,
    authenticator,
    reserved,
    metrics,
    clientLimiter,
    routeLimiter,
    operations: operationsHook,
  });

  const server: Server = createServer({ keepAliveTimeout: config.http.keepAliveTimeoutMs }, requestPath.handle);
  // `Expect: 100-continue` with a declared body over the limit gets its 413 without "100 Continue",
  // so the client need not send the body at all.
  server.on('checkContinue', (req, res) => {
    if (!(Number(req.headers['content-length']) > config.http.maxBodyBytes)) res.writeContinue();
    requestPath.handle(req, res);
  });
  let baseUrl = '';
  let stopSweep: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  const start = async (): Promise<string> => {
    await transports.start();
    stopSweep = clock.every(config.routing.sweepIntervalMs, () => {
      for (const change of routing.sweep()) {
        if (change.removed) departed.departed(change.instanceId);
        logger.info({ instanceId: change.instanceId, service: change.service, from: change.from, to: change.to, reason: change.reason }, 'instance health changed');
      }
      departed.sweep();
      clientLimiter?.sweep();
      routeLimiter?.sweep();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
    logger.info({ url: baseUrl, transports: transportList.map((t) => t.type) }, `gateway listening on ${baseUrl}`);
    return baseUrl;
  };

  const doStop = async (): Promise<void> => {
    draining = true;
    requestPath.startDraining();
    logger.info({ inFlight: requestPath.inFlight.size }, 'gateway stopping: no new requests; draining in-flight');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
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
    await admin?.close();
    await transports.stop(GATEWAY_DEFAULTS.transportStopTimeoutMs);
    requestPath.close();
    logger.info({}, 'gateway stopped');
    pino?.flushSync();
  };

  return {
    config,
    routing,
    metrics,
    logger,
    admin,
    start,
    url: () => baseUrl,
    readiness,
    stop: () => (stopping ??= doStop()),
  };
}
