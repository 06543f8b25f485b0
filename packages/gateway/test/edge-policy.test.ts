import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectionsPerClient } from '../src/http/connection-cap.js';
import { checkingIntervalMs } from '../src/http/server-options.js';
import { clientErrorCode } from '../src/http/client-error.js';
import { isSecretParam, REDACTED_LOG_PATHS, scrubUrl } from '../src/log-redaction.js';
import { claimMatches } from '../src/policy/claim-match.js';
import { isSafeHeaderValue } from '../src/policy/header-value.js';
import { connectionNamedHeaders, isHopByHop } from '../src/policy/hop-by-hop.js';
import { forwardableHeaders, meetsClaims, parseGatewayConfig, ReservedHeaders, DEFAULT_RESERVED_HEADERS, type GatewayConfigError } from '../src/index.js';

const claims = suite('edge policy: claims');

claims('a claim of any JSON type is compared without throwing', () => {
  assert.ok(claimMatches('admin', 'admin'));
  assert.ok(claimMatches('read admin', 'admin'));
  assert.ok(claimMatches(['user', 'admin'], 'admin'));
  assert.ok(claimMatches(42, '42'));
  assert.ok(claimMatches(true, 'true'));
  for (const value of [{ admin: true }, { toString: 'admin' }, { toString: () => 'admin' }, [{ toString: 'admin' }], null, undefined, [[ 'admin' ]]]) {
    assert.not.ok(claimMatches(value, 'admin'), `${JSON.stringify(value)} must not match`);
  }
});

claims('a claim inherited from the object prototype does not count as present', () => {
  const identity = { anonymous: false, subject: 'x', claims: {} };
  assert.not.ok(meetsClaims(identity, [{ claim: 'constructor' }]));
  assert.not.ok(meetsClaims(identity, [{ claim: 'toString' }]));
  assert.ok(meetsClaims({ ...identity, claims: { role: 'admin' } }, [{ claim: 'role' }]));
});

claims('control characters make an identity value unsafe as a header; a tab and UTF-8 do not', () => {
  assert.not.ok(isSafeHeaderValue('ada\r\nx-user-id: root'));
  assert.not.ok(isSafeHeaderValue('a\u0000b'));
  assert.not.ok(isSafeHeaderValue('a\u007fb'));
  assert.ok(isSafeHeaderValue('ada\tlovelace josé 日本'));
});

claims.run();

const headers = suite('edge policy: headers');

headers('reserved identity headers match with underscores in place of dashes, in any case', () => {
  const reserved = new ReservedHeaders(DEFAULT_RESERVED_HEADERS);
  for (const name of ['x_user_id', 'X_USER-ID', 'x-switchyard_identity_subject', 'X_Tenant_Id', 'x_scopes']) assert.ok(reserved.isReserved(name), name);
  assert.not.ok(reserved.isReserved('x_user_ids'));
  assert.ok(new ReservedHeaders(['x_role']).isReserved('x-role'));
});

headers('hop-by-hop headers and those named in Connection are not forwarded', () => {
  assert.ok(isHopByHop('proxy-anything'));
  assert.ok(isHopByHop('te'));
  assert.not.ok(isHopByHop('x-te'));
  assert.equal([...(connectionNamedHeaders(['Keep-Alive, X-A', ' x-b ,close']) ?? [])], ['x-a', 'x-b']);
  assert.is(connectionNamedHeaders('close'), undefined);
  const out = forwardableHeaders({ connection: 'x-a', 'x-a': '1', 'keep-alive': 't', 'proxy-authorization': 'p', upgrade: 'h2c', 'x-b': '2', 'x-list': ['a', 'b'] });
  assert.equal(out, { 'x-b': '2', 'x-list': 'a, b' });
});

headers.run();

const logs = suite('edge policy: log redaction and server limits');

logs('credential-like query values are scrubbed from URLs; other parameters are kept', () => {
  assert.is(scrubUrl('/a?access_token=s1&page=2&api-key=s2&code=s3&password=s4&x=1'), '/a?access_token=[redacted]&page=2&api-key=[redacted]&code=[redacted]&password=[redacted]&x=1');
  assert.is(scrubUrl('/a?ACCESS%5FTOKEN=s'), '/a?ACCESS%5FTOKEN=[redacted]');
  assert.is(scrubUrl('/plain/path'), '/plain/path');
  assert.is(scrubUrl(7), 7);
  assert.ok((scrubUrl(`/${'a'.repeat(5_000)}`) as string).length < 1_100);
  for (const name of ['token', 'id_token', 'client_secret', 'X-Amz-Signature', 'sig', 'jwt']) assert.ok(isSecretParam(name), name);
  for (const name of ['page', 'keyword', 'codec', 'q']) assert.not.ok(isSecretParam(name), name);
});

logs('the redact paths cover secret headers at the top, in headers, and one level down', () => {
  for (const path of ['authorization', 'headers.authorization', '*.headers.authorization', 'headers["set-cookie"]', '*.cookie']) {
    assert.ok(REDACTED_LOG_PATHS.includes(path), path);
  }
});

logs('connections are counted per address and the cap frees a slot when one closes', () => {
  const cap = new ConnectionsPerClient(2);
  assert.ok(cap.tryOpen('a'));
  assert.ok(cap.tryOpen('a'));
  assert.not.ok(cap.tryOpen('a'));
  assert.ok(cap.tryOpen('b'));
  cap.closed('a');
  assert.is(cap.countOf('a'), 1);
  assert.ok(cap.tryOpen('a'));
});

logs('parser errors map to 431, 408, 413 or 400, and deadlines are checked often enough', () => {
  assert.is(clientErrorCode('HPE_HEADER_OVERFLOW'), 'SY_GATEWAY_HEADERS_TOO_LARGE');
  assert.is(clientErrorCode('ERR_HTTP_REQUEST_TIMEOUT'), 'SY_GATEWAY_REQUEST_TIMEOUT');
  assert.is(clientErrorCode('HPE_CHUNK_EXTENSIONS_OVERFLOW'), 'SY_GATEWAY_PAYLOAD_TOO_LARGE');
  assert.is(clientErrorCode('HPE_INVALID_METHOD'), 'SY_GATEWAY_BAD_REQUEST');
  assert.is(checkingIntervalMs(10_000), 1_000);
  assert.is(checkingIntervalMs(400), 50);
  assert.is(checkingIntervalMs(2_000), 200);
});

logs.run();

const config = suite('edge policy: config');
const transports = [{ type: 'messaging', backend: 'memory' }];

config('the edge limits and ops access have production defaults', async () => {
  const c = await parseGatewayConfig({ transports });
  assert.equal(
    [c.http.maxRequestTargetBytes, c.http.maxHeaderBytes, c.http.headersTimeoutMs, c.http.requestTimeoutMs, c.http.bodyIdleTimeoutMs, c.http.maxConnectionsPerClient],
    [8_192, 16_384, 10_000, 60_000, 10_000, 1_024],
  );
  assert.equal(c.ops, { host: '0.0.0.0', metrics: 'public', adminClaim: { claim: 'scope', value: 'switchyard:admin' } });
  assert.is((await parseGatewayConfig({ transports, auth: { jwt: { secret: 'x'.repeat(32) } } })).auth.jwt?.requireExp, true);
});

config('a headers timeout longer than the request timeout is refused, naming the key', async () => {
  const err = await (async () => {
    try {
      await parseGatewayConfig({ transports, http: { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 } });
    } catch (e) {
      return e as GatewayConfigError;
    }
    return undefined;
  })();
  assert.is(err?.code, 'SY_GATEWAY_INVALID_CONFIG');
  assert.match(err?.message ?? '', /http\.headersTimeoutMs/);
});

config('ops keys are read from the environment like every other key', async () => {
  const c = await parseGatewayConfig({ transports }, { SWITCHYARD_OPS__PORT: '9090', SWITCHYARD_OPS__METRICS: 'admin' });
  assert.is(c.ops.port, 9_090);
  assert.is(c.ops.metrics, 'admin');
});

config.run();
