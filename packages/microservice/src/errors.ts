/**
 * Errors of the microservice SDK. Each has a stable `code` (SY_SERVICE_*); branch on `code`.
 * Invalid arguments (name, version, path template) use core's InvalidArgumentError (SY_INVALID_ARGUMENT).
 */
import { SwitchyardError } from '@switchyard/core';

export const SERVICE_ERROR_CODES = Object.freeze({
  DuplicateEndpoint: 'SY_SERVICE_DUPLICATE_ENDPOINT',
  InvalidState: 'SY_SERVICE_INVALID_STATE',
  InvalidConfig: 'SY_SERVICE_INVALID_CONFIG',
  InvalidJson: 'SY_SERVICE_INVALID_JSON',
  BodyIsStream: 'SY_SERVICE_BODY_IS_STREAM',
} as const);

/** Two endpoints with the same method and path template. */
export class DuplicateEndpointError extends SwitchyardError {
  readonly code = SERVICE_ERROR_CODES.DuplicateEndpoint;
  constructor(readonly method: string, readonly path: string) {
    super(`endpoint ${method} ${path} is registered twice; register each method + path template once`);
    this.name = 'DuplicateEndpointError';
  }
}

/** A call that the service's lifecycle state does not allow (an endpoint added after start, start twice). */
export class MicroserviceStateError extends SwitchyardError {
  readonly code = SERVICE_ERROR_CODES.InvalidState;
  constructor(readonly operation: string, readonly state: string) {
    super(`cannot ${operation}: the service is ${state}`);
    this.name = 'MicroserviceStateError';
  }
}

/** A service config file that cannot be used; `problems` lists every one, each naming its key. */
export class InvalidServiceConfigError extends SwitchyardError {
  readonly code = SERVICE_ERROR_CODES.InvalidConfig;
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`invalid service config (${source}): ${problems.join('; ')}`);
    this.name = 'InvalidServiceConfigError';
  }
}

/** `req.json()` on a body that is not JSON; the SDK answers 400 when a handler lets it escape. */
export class InvalidJsonBodyError extends SwitchyardError {
  readonly code = SERVICE_ERROR_CODES.InvalidJson;
  constructor(readonly requestId: string, options?: ErrorOptions) {
    super(`the body of request ${requestId} is not valid JSON`, options);
    this.name = 'InvalidJsonBodyError';
  }
}

/** `req.body`, `text()` or `json()` on a request whose body streams: read `req.stream` instead. */
export class BodyIsStreamError extends SwitchyardError {
  readonly code = SERVICE_ERROR_CODES.BodyIsStream;
  constructor(readonly requestId: string) {
    super(`the body of request ${requestId} streams (the endpoint is declared streaming): read it from req.stream`);
    this.name = 'BodyIsStreamError';
  }
}
