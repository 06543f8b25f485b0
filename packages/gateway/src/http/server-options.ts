/**
 * The Node HTTP server options that bound what one client can hold: how long its headers and
 * its whole request may take to arrive, how long an idle keep-alive connection stays open, and
 * how large the request line plus headers may be (431 past it).
 */
import type { ServerOptions } from 'node:http';
import type { HttpConfig } from '../config/schema.js';

/**
 * Node checks the header and request deadlines on a timer (30 s by default), so a deadline is
 * overrun by up to one interval; a tenth of the shorter deadline, between 50 ms and 1 s, keeps
 * the overrun small at the cost of one scan of the open connections per interval.
 */
export function checkingIntervalMs(headersTimeoutMs: number): number {
  return Math.min(1_000, Math.max(50, Math.floor(headersTimeoutMs / 10)));
}

export function httpServerOptions(http: Pick<HttpConfig, 'keepAliveTimeoutMs' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'maxHeaderBytes'>): ServerOptions {
  return {
    keepAliveTimeout: http.keepAliveTimeoutMs,
    headersTimeout: http.headersTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    maxHeaderSize: http.maxHeaderBytes,
    connectionsCheckingInterval: checkingIntervalMs(http.headersTimeoutMs),
  };
}
