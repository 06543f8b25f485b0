/**
 * The gateway's one table of error code → HTTP status → message (packages/gateway/README.md, "Errors"), the
 * JSON error body every non-2xx gateway answer carries, and the gateway's own typed errors.
 */
import { SwitchyardError } from '@switchyard/core';

/** What a client can get from the gateway itself (not from a service). */
export const GATEWAY_HTTP_ERRORS = Object.freeze({
  SY_GATEWAY_BAD_REQUEST: { status: 400, message: 'the request could not be read (malformed target, path, method or header)' },
  SY_GATEWAY_INVALID_REQUEST: { status: 400, message: "the request does not match the endpoint's schemas; `errors` lists every mismatch" },
  SY_GATEWAY_UNAUTHENTICATED: { status: 401, message: 'credentials are missing or invalid: send a valid bearer token' },
  SY_GATEWAY_FORBIDDEN: { status: 403, message: 'the verified caller lacks a claim this endpoint requires' },
  SY_GATEWAY_NOT_FOUND: { status: 404, message: 'no endpoint matches this path' },
  SY_GATEWAY_VERSION_NOT_FOUND: { status: 404, message: 'no registered version of this service matches x-switchyard-version (or the configured default)' },
  SY_GATEWAY_METHOD_NOT_ALLOWED: { status: 405, message: 'the path exists but not for this method; see the Allow header' },
  SY_GATEWAY_REQUEST_TIMEOUT: { status: 408, message: 'the request did not arrive in time (http.headersTimeoutMs, http.requestTimeoutMs or http.bodyIdleTimeoutMs)' },
  SY_GATEWAY_PAYLOAD_TOO_LARGE: { status: 413, message: 'the request body is larger than http.maxBodyBytes' },
  SY_GATEWAY_URI_TOO_LONG: { status: 414, message: 'the request target (path and query) is longer than http.maxRequestTargetBytes' },
  SY_GATEWAY_RATE_LIMITED: { status: 429, message: 'too many requests; retry after the Retry-After header' },
  SY_GATEWAY_HEADERS_TOO_LARGE: { status: 431, message: 'the request headers are larger than http.maxHeaderBytes' },
  SY_GATEWAY_INTERNAL: { status: 500, message: 'the gateway failed unexpectedly; see its log for the request id' },
  SY_GATEWAY_BAD_GATEWAY: { status: 502, message: 'the instance could not be reached or sent an invalid response' },
  SY_GATEWAY_NO_INSTANCE: { status: 503, message: 'no eligible instance serves this endpoint right now' },
  SY_GATEWAY_OVERLOADED: { status: 503, message: 'the service is at capacity: this request could not finish within its deadline; retry after the Retry-After header' },
  SY_GATEWAY_SHUTTING_DOWN: { status: 503, message: 'the gateway is shutting down; retry on another replica' },
  SY_GATEWAY_TIMEOUT: { status: 504, message: 'the instance did not answer before the deadline; the request was cancelled' },
} as const);

export type GatewayHttpErrorCode = keyof typeof GATEWAY_HTTP_ERRORS;

/** Status for a gateway error code. */
export function statusOf(code: GatewayHttpErrorCode): number {
  return GATEWAY_HTTP_ERRORS[code].status;
}

/** The JSON error body of every gateway error answer: `{"error":{"code","message","requestId"}}`. */
export function errorBody(code: GatewayHttpErrorCode, requestId: string, message?: string): string {
  return JSON.stringify({ error: { code, message: message ?? GATEWAY_HTTP_ERRORS[code].message, requestId } });
}

/** The config file or environment failed validation; `problems` names every key at fault with the value it got. */
export class GatewayConfigError extends SwitchyardError {
  readonly code = 'SY_GATEWAY_INVALID_CONFIG';
  constructor(readonly problems: readonly string[], readonly source = 'gateway config') {
    super(`invalid ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'GatewayConfigError';
  }
}

/** A config file that cannot be read or parsed as YAML/JSON. */
export class GatewayConfigFileError extends SwitchyardError {
  readonly code = 'SY_GATEWAY_CONFIG_FILE';
  constructor(readonly file: string, readonly detail: string, options?: ErrorOptions) {
    super(`cannot load gateway config file "${file}": ${detail}`, options);
    this.name = 'GatewayConfigFileError';
  }
}

/** Auth keys (secret, PEM, JWKS file) that cannot be loaded at start. */
export class GatewayAuthSetupError extends SwitchyardError {
  readonly code = 'SY_GATEWAY_AUTH_SETUP';
  constructor(readonly key: string, detail: string, options?: ErrorOptions) {
    super(`auth setup failed at ${key}: ${detail}`, options);
    this.name = 'GatewayAuthSetupError';
  }
}
