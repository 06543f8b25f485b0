import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorBody, GATEWAY_HTTP_ERRORS, statusOf, type GatewayHttpErrorCode } from '../src/index.js';

const table = suite('gateway error table');

table('each situation in the README error table maps to its status', () => {
  const expected: Record<string, number> = {
    SY_GATEWAY_NOT_FOUND: 404,
    SY_GATEWAY_METHOD_NOT_ALLOWED: 405,
    SY_GATEWAY_UNAUTHENTICATED: 401,
    SY_GATEWAY_FORBIDDEN: 403,
    SY_GATEWAY_NO_INSTANCE: 503,
    SY_GATEWAY_TIMEOUT: 504,
    SY_GATEWAY_PAYLOAD_TOO_LARGE: 413,
    SY_GATEWAY_RATE_LIMITED: 429,
    SY_GATEWAY_BAD_GATEWAY: 502,
    SY_GATEWAY_BAD_REQUEST: 400,
    SY_GATEWAY_REQUEST_TIMEOUT: 408,
    SY_GATEWAY_URI_TOO_LONG: 414,
    SY_GATEWAY_HEADERS_TOO_LARGE: 431,
  };
  for (const [code, status] of Object.entries(expected)) assert.is(statusOf(code as GatewayHttpErrorCode), status, code);
});

table('every code follows SY_GATEWAY_* and has a message', () => {
  for (const [code, e] of Object.entries(GATEWAY_HTTP_ERRORS)) {
    assert.match(code, /^SY_GATEWAY_[A-Z_]+$/);
    assert.ok(e.message.length > 10, code);
  }
});

table('the error body is {"error":{"code","message","requestId"}}', () => {
  const body = JSON.parse(errorBody('SY_GATEWAY_NOT_FOUND', 'req-1')) as unknown;
  assert.equal(body, { error: { code: 'SY_GATEWAY_NOT_FOUND', message: GATEWAY_HTTP_ERRORS.SY_GATEWAY_NOT_FOUND.message, requestId: 'req-1' } });
});

table.run();
