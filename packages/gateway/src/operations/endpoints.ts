/**
 * Operations endpoints served by the gateway itself (docs/operations.md, "Health endpoints"): `/health/live`,
 * `/health/ready`, `/metrics`, and the read-only routing view `/_switchyard/routes`. These paths
 * take precedence over service endpoints; they answer GET (and HEAD) only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@switchyard/core';
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
}

/** Returns the request-path hook: true when `path` was an operations endpoint and has been answered. */
export function operationsEndpoints(sources: OperationsSources): (path: string, req: IncomingMessage, res: ServerResponse) => boolean {
  const paths = new Set<string>(Object.values(OPERATIONS_PATHS));
  return (path, req, res) => {
    if (!paths.has(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: { code: 'SY_GATEWAY_METHOD_NOT_ALLOWED', message: 'operations endpoints answer GET only' } }, { allow: 'GET, HEAD' });
      return true;
    }
    switch (path) {
      case OPERATIONS_PATHS.live:
        sendJson(res, 200, { live: true });
        return true;
      case OPERATIONS_PATHS.ready: {
        const r = sources.readiness();
        sendJson(res, r.ready ? 200 : 503, r);
        return true;
      }
      case OPERATIONS_PATHS.routes:
        sendJson(res, 200, sources.routesView());
        return true;
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
        return true;
      default:
        return false;
    }
  };
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
