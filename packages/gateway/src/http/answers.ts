/**
 * How the gateway answers a client and accounts for it: the gateway error answer (status and
 * JSON body from the one code table in errors.ts), the instance's response relayed, and for
 * every answer the metrics and, with `log.requests`, one log line. One writeHead + end per answer.
 */
import type { Logger, ResponsePayload } from '@switchyard/core';
import { errorBody, GATEWAY_HTTP_ERRORS, type GatewayHttpErrorCode } from '../errors.js';
import type { GatewayMetrics } from '../operations/metrics.js';
import type { Exchange, ExchangeAnswers } from './exchange.js';

/** Hop-by-hop and framing headers of an instance's response that the gateway sets itself. */
const SKIP_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer']);

export class Answers implements ExchangeAnswers {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    private readonly requestIdHeader: string,
    private readonly logRequests: boolean,
  ) {}

  /** Answers with the gateway error `code` (its status and JSON body), unless an answer already went out. */
  fail(ex: Exchange, code: GatewayHttpErrorCode, extra?: Readonly<Record<string, string>>): void {
    const status = GATEWAY_HTTP_ERRORS[code].status;
    const res = ex.res;
    if (!res.headersSent && !res.destroyed) {
      const body = errorBody(code, ex.requestId);
      res.writeHead(status, {
        ...extra,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        [this.requestIdHeader]: ex.requestId,
      });
      res.end(body);
    }
    this.finished(ex, status, code);
  }

  /** Relays the instance's response with the request id. */
  respond(ex: Exchange, response: ResponsePayload): void {
    const out: Record<string, string> = {};
    for (const name in response.headers) {
      if (!SKIP_RESPONSE_HEADERS.has(name)) out[name] = response.headers[name] as string;
    }
    out[this.requestIdHeader] = ex.requestId;
    out['content-length'] = String(response.body.byteLength);
    ex.res.writeHead(response.status, out);
    ex.res.end(response.body);
    ex.instanceId = response.instanceId;
    this.finished(ex, response.status);
  }

  /** Counts the answer in the metrics and, with `log.requests`, logs it. */
  finished(ex: Exchange, status: number, code?: string): void {
    const ms = performance.now() - ex.started;
    this.metrics.requestFinished(ex.route, status, ex.transport === '' ? 'none' : ex.transport, ms / 1000);
    if (this.logRequests) {
      this.logger.info(
        {
          requestId: ex.requestId,
          method: ex.method,
          path: ex.path,
          route: ex.route,
          status,
          durationMs: Math.round(ms * 100) / 100,
          transport: ex.transport,
          instanceId: ex.instanceId === '' ? undefined : ex.instanceId,
          code,
        },
        'request',
      );
    }
  }
}
