/**
 * Operations endpoints served by the gateway itself (docs/operations.md, "Health endpoints"): `/health/live`,
 * `/health/ready`, `/metrics`, and the read-only routing view `/_switchyard/routes`. These paths
 * take precedence over service endpoints; they answer GET (and HEAD) only. Health is always
 * public; the routing view and the metrics are public, admin-only or absent per listener
 * (docs/operations.md "Operations listener and access").
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@switchyard/core';
import type { AccessDecision } from '../admin/access.js';
import type { GatewayMetrics } from './metrics.js';

export const OPERATIONS_PATHS = Object.freeze({
  live: '/health/live',
  ready: '/health/ready',
  metrics: '/metrics',
  routes: '/_switchyard/routes',
});

/** Readiness with its reasons, so an operator sees why a replica is out of rotation. */
export interface Readiness {
  readonly ready: boolean;
  readonly transports: ReadonlyArray<{ readonly transport: string; readonly ready: boolean }>;
  readonly requiredServices: ReadonlyArray<{ readonly service: string; readonly eligible: boolean }>;
  readonly draining: boolean;
}

export interface OperationsSources {
  readiness(): Readiness;
  routesView(): unknown;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Decides `admin` access (the gateway's AdminAccess at role `viewer`); without it an `admin` view answers 401. */
  readonly admin?: (headers: IncomingHttpHeaders) => Promise<AccessDecision>;
}

/** Who may read a view on one listener: anyone, an administrator, or nobody (not served: the path falls through). */
export type ViewAccess = 'public' | 'admin' | 'absent';

export interface OperationsAccess {
  readonly routes: ViewAccess;
  readonly metrics: ViewAccess;
}

/** Everything public: the separate `ops` listener, and the default of {@link operationsEndpoints}. */
export const PUBLIC_OPERATIONS: OperationsAccess = Object.freeze({ routes: 'public', metrics: 'public' });

export type OperationsHook = (path: string, req: IncomingMessage, res: ServerResponse) => boolean;

/** Returns the request-path hook: true when `path` was an operations endpoint and has been answered. */
export function operationsEndpoints(sources: OperationsSources, access: OperationsAccess = PUBLIC_OPERATIONS): OperationsHook {
  const paths = new Set<string>([OPERATIONS_PATHS.live, OPERATIONS_PATHS.ready]);
  if (access.routes !== 'absent') paths.add(OPERATIONS_PATHS.routes);
  if (access.metrics !== 'absent') paths.add(OPERATIONS_PATHS.metrics);
  const serve = (path: string, res: ServerResponse): void => answer(sources, path, res);
  return (path, req, res) => {
    if (!paths.has(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: { code: 'SY_GATEWAY_METHOD_NOT_ALLOWED', message: 'operations endpoints answer GET only' } }, { allow: 'GET, HEAD' });
      return true;
    }
    const needed = path === OPERATIONS_PATHS.routes ? access.routes : path === OPERATIONS_PATHS.metrics ? access.metrics : 'public';
    if (needed === 'public') serve(path, res);
    else answerAdmin(sources, req, res, () => serve(path, res));
    return true;
  };
}

function answerAdmin(sources: OperationsSources, req: IncomingMessage, res: ServerResponse, serve: () => void): void {
  const check = sources.admin ?? (() => Promise.resolve<AccessDecision>({ kind: 'refused', status: 401, code: 'SY_GATEWAY_UNAUTHENTICATED', message: 'no admin access is configured' }));
  check(req.headers).then(
    (decision) => {
      if (decision.kind === 'granted') serve();
      else sendJson(res, decision.status, { error: { code: decision.code, message: `this view needs admin access (role viewer): ${decision.message}` } }, decision.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    },
    (err: unknown) => {
      sources.logger.error({ err: (err as Error).message }, 'admin check failed');
      sendJson(res, 500, { error: { code: 'SY_GATEWAY_INTERNAL', message: 'admin check failed' } });
    },
  );
}

function answer(sources: OperationsSources, path: string, res: ServerResponse): void {
  switch (path) {
    case OPERATIONS_PATHS.live:
      sendJson(res, 200, { live: true });
      return;
    case OPERATIONS_PATHS.ready: {
      const r = sources.readiness();
      sendJson(res, r.ready ? 200 : 503, r);
      return;
    }
    case OPERATIONS_PATHS.routes:
      sendJson(res, 200, sources.routesView());
      return;
    case OPERATIONS_PATHS.metrics:
      sources.metrics.render().then(
        (text) => {
          res.writeHead(200, { 'content-type': sources.metrics.contentType, 'content-length': String(Buffer.byteLength(text)) });
          res.end(text);
        },
        (err: unknown) => {
          sources.logger.error({ err: (err as Error).message }, 'metrics collection failed');
          sendJson(res, 500, { error: { code: 'SY_GATEWAY_INTERNAL', message: 'metrics collection failed' } });
        },
      );
      return;
    default:
      answerNotFound(res);
  }
}

/** The 404 of a listener that serves only operations endpoints. */
export function answerNotFound(res: ServerResponse): void {
  sendJson(res, 404, { error: { code: 'SY_GATEWAY_NOT_FOUND', message: 'no operations endpoint at this path' } });
}

function sendJson(res: ServerResponse, status: number, value: unknown, extra?: Readonly<Record<string, string>>): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...extra,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
  });
  res.end(body);
}
