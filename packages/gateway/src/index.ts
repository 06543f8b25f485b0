/**
 * @switchyard/gateway — the public surface: build a gateway from a validated config, the config
 * loader, the error table, and the policy pieces (identity headers, JWT, rate limits) for reuse.
 */

// --- gateway ----------------------------------------------------------------------------------
export { createGateway, type Gateway, type GatewayDeps } from './gateway.js';

// --- config -----------------------------------------------------------------------------------
export { parseGatewayConfig, loadGatewayConfig, type ParseOptions } from './config/load.js';
export {
  GATEWAY_DEFAULTS,
  DEFAULT_RESERVED_HEADERS,
  type GatewayConfig,
  type GatewayConfigInput,
  type JwtConfig,
  type AnonymousConfig,
  type RateLimitConfig,
  type TransportEntry,
} from './config/schema.js';
export { ENV_PREFIX, readEnvOverrides, type EnvOverride } from './config/env.js';
export { LISTENER_DEFAULTS, type HttpTlsConfig, type Http2Limits } from './config/listener-schema.js';

// --- errors -----------------------------------------------------------------------------------
export {
  GATEWAY_HTTP_ERRORS,
  type GatewayHttpErrorCode,
  statusOf,
  errorBody,
  GatewayConfigError,
  GatewayConfigFileError,
  GatewayAuthSetupError,
} from './errors.js';

// --- policy -----------------------------------------------------------------------------------
export { ReservedHeaders, IDENTITY_HEADERS, forwardableHeaders, writeIdentityHeaders } from './policy/identity-headers.js';
export { createAuthenticator, meetsClaims, type Authenticator, type AuthOutcome } from './policy/authenticator.js';
export { RateLimiter, type BucketOptions } from './policy/rate-limiter.js';

// --- logging --------------------------------------------------------------------------------
export { createGatewayLogger, type GatewayLog } from './logger.js';
export { REDACTED_LOG_PATHS, scrubUrl } from './log-redaction.js';

// --- operations -------------------------------------------------------------------------------
export { METRIC_NAMES, GatewayMetrics, type MetricsSources } from './operations/metrics.js';
export { OPERATIONS_PATHS, type Readiness } from './operations/endpoints.js';
export { AdminAccess, crossSiteReason, type AccessDecision, type AdminPrincipal } from './admin/access.js';
export { ADMIN_PREFIX } from './admin/admin-api.js';
export { type AdminSurface } from './admin/admin-surface.js';
export { type InstanceRow, type QueueRow } from './admin/admin-sources.js';
export { summarize as summarizeDeadLetter, detail as describeDeadLetter, type DeadLetterSummary, type DeadLetterDetail } from './admin/dead-letter-view.js';
export { type RedriveTaskView, type RedriveState } from './admin/redrive-tasks.js';
export { type RouteRow } from './admin/route-stats.js';
export { CONSOLE_PATH, CONSOLE_DIST } from './admin/console-assets.js';
export { ADMIN_ROLES, type AdminConfig, type AdminRole } from './config/admin-schema.js';

// --- OpenAPI and validation -------------------------------------------------------------------
export { OPENAPI_PATHS } from './openapi/openapi-endpoints.js';
export { OPENAPI_METRIC_NAMES } from './openapi/openapi-metrics.js';
export type { ValidationError } from './openapi/request-validator.js';
