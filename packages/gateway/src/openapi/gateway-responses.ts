/**
 * The gateway's own answers as OpenAPI components: the error body of every gateway error
 * (docs/operations.md, "Errors"), the 400 problem body of request validation, and the responses
 * each operation can get from the gateway before or instead of the service.
 */
import { GATEWAY_HTTP_ERRORS } from '../errors.js';

export const ERROR_SCHEMA = Object.freeze({
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'a stable SY_* code' },
        message: { type: 'string' },
        requestId: { type: 'string' },
        errors: {
          type: 'array',
          description: 'every validation error, when code is SY_GATEWAY_INVALID_REQUEST',
          items: {
            type: 'object',
            required: ['pointer', 'keyword', 'message'],
            properties: {
              pointer: { type: 'string', description: 'JSON pointer into {params, query, headers, body}, e.g. /query/limit' },
              keyword: { type: 'string', description: 'the JSON Schema keyword that failed' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
  },
});

const RETRY_AFTER = { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } };

const error = (description: string, retryAfter = false): Record<string, unknown> => ({
  description,
  ...(retryAfter ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/SwitchyardError' } } },
});

/** `components.responses`, named by what they mean. */
export const GATEWAY_RESPONSES = Object.freeze({
  GatewayBadRequest: error('the request does not match the endpoint\'s schemas (every error listed) or could not be read'),
  GatewayUnauthenticated: error(GATEWAY_HTTP_ERRORS.SY_GATEWAY_UNAUTHENTICATED.message),
  GatewayForbidden: error(GATEWAY_HTTP_ERRORS.SY_GATEWAY_FORBIDDEN.message),
  GatewayNotFound: error('no endpoint, or no version matching x-switchyard-version, serves this request'),
  GatewayPayloadTooLarge: error(GATEWAY_HTTP_ERRORS.SY_GATEWAY_PAYLOAD_TOO_LARGE.message),
  GatewayRateLimited: error(GATEWAY_HTTP_ERRORS.SY_GATEWAY_RATE_LIMITED.message, true),
  GatewayBadGateway: error(GATEWAY_HTTP_ERRORS.SY_GATEWAY_BAD_GATEWAY.message),
  GatewayUnavailable: error(GATEWAY_HTTP_ERRORS.SY_GATEWAY_NO_INSTANCE.message, true),
  GatewayTimeout: error(GATEWAY_HTTP_ERRORS.SY_GATEWAY_TIMEOUT.message),
});

/** Status → component name for every operation; 401 and 403 only where the route needs authentication. */
export function gatewayResponseRefs(needsAuth: boolean): Record<string, { $ref: string }> {
  const ref = (name: keyof typeof GATEWAY_RESPONSES) => ({ $ref: `#/components/responses/${name}` });
  return {
    '400': ref('GatewayBadRequest'),
    ...(needsAuth ? { '401': ref('GatewayUnauthenticated'), '403': ref('GatewayForbidden') } : {}),
    '404': ref('GatewayNotFound'),
    '413': ref('GatewayPayloadTooLarge'),
    '429': ref('GatewayRateLimited'),
    '502': ref('GatewayBadGateway'),
    '503': ref('GatewayUnavailable'),
    '504': ref('GatewayTimeout'),
  };
}
