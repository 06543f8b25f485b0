/**
 * The gateway config's defaults, kept apart from the schema that applies them (schema.ts) so the
 * running gateway reads them without loading the config validator.
 */
import { hostname } from 'node:os';

/** The node id of a gateway whose config names none: `gw-<hostname>-<pid>` (the gateway's process). */
export function defaultNodeId(processId: number = process.pid): string {
  return `gw-${hostname()}-${processId}`;
}

/** Identity headers stripped from every client request by default (`auth.reservedHeaders`, docs/configuration.md). A trailing `*` is a prefix match. */
export const DEFAULT_RESERVED_HEADERS: readonly string[] = Object.freeze([
  'x-switchyard-identity-*',
  'x-tenant-id',
  'x-scopes',
  'x-user-id',
  'x-forwarded-user',
]);

/** Every default of the gateway config, frozen. */
export const GATEWAY_DEFAULTS = Object.freeze({
  region: 'default',
  host: '0.0.0.0',
  port: 8080,
  maxBodyBytes: 10 * 1024 * 1024,
  requestIdHeader: 'x-request-id',
  shutdownGraceMs: 10_000,
  /** Longest wait for one transport's stop() during shutdown (not configurable). */
  transportStopTimeoutMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  /** Request line target (path + query) over this answers 414. */
  maxRequestTargetBytes: 8 * 1024,
  /** Request line + headers over this answer 431 (Node's `maxHeaderSize`). */
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  bodyIdleTimeoutMs: 10_000,
  /** Bytes of a streamed body buffered and in flight at once, per direction and exchange. */
  streamWindowBytes: 1024 * 1024,
  maxConnectionsPerClient: 1_024,
  opsHost: '0.0.0.0',
  adminClaim: Object.freeze({ claim: 'scope', value: 'switchyard:admin' }),
  defaultTimeoutMs: 30_000,
  sweepIntervalMs: 1_000,
  rememberDepartedMs: 300_000,
  resyncMinIntervalMs: 1_000,
  degradedAfterMs: 15_000,
  staleAfterMs: 30_000,
  retryAfterSeconds: 1,
  clockToleranceSec: 5,
  tenantClaim: 'tenant',
  scopesClaim: 'scope',
  maxClients: 100_000,
  sharedRateLimitTimeoutMs: 50,
  logLevel: 'info' as const,
});
