import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_RESERVED_HEADERS, forwardableHeaders, IDENTITY_HEADERS, ReservedHeaders, writeIdentityHeaders } from '../src/index.js';

const strip = suite('identity header policy: stripping');

strip('every reserved header a client sent is removed, whatever its letter case', () => {
  const reserved = new ReservedHeaders(DEFAULT_RESERVED_HEADERS);
  const headers: Record<string, string> = {
    'X-Switchyard-Identity-Subject': 'admin',
    'x-switchyard-identity-tenant': 'acme',
    'X-SWITCHYARD-IDENTITY-ANYTHING-NEW': 'x',
    'X-Tenant-Id': 'acme',
    'x-scopes': 'admin',
    'X-USER-ID': 'root',
    'x-forwarded-user': 'root',
    'content-type': 'text/plain',
    'x-custom': 'kept',
  };
  const removed = reserved.strip(headers);
  assert.equal(Object.keys(headers).sort(), ['content-type', 'x-custom']);
  assert.is(removed.length, 7);
});

strip('a configured list replaces the default, and a trailing * matches by prefix', () => {
  const reserved = new ReservedHeaders(['X-Internal-*', 'x-role']);
  assert.ok(reserved.isReserved('x-internal-anything'));
  assert.ok(reserved.isReserved('X-ROLE'));
  assert.not.ok(reserved.isReserved('x-user-id'));
  assert.not.ok(reserved.isReserved('x-internal'));
});

strip('hop-by-hop headers are not forwarded and repeated headers are joined', () => {
  const out = forwardableHeaders({ connection: 'keep-alive', 'transfer-encoding': 'chunked', accept: 'a', 'x-multi': ['1', '2'] });
  assert.equal(out, { accept: 'a', 'x-multi': '1, 2' });
});

strip.run();

const write = suite('identity header policy: writing');

write('identity headers come from the verified principal', () => {
  const reserved = new ReservedHeaders(DEFAULT_RESERVED_HEADERS);
  const headers: Record<string, string> = {};
  writeIdentityHeaders(headers, { anonymous: false, subject: 'alice', tenant: 'acme', scopes: ['read', 'write'], claims: {} }, reserved);
  assert.is(headers[IDENTITY_HEADERS.subject], 'alice');
  assert.is(headers[IDENTITY_HEADERS.tenant], 'acme');
  assert.is(headers[IDENTITY_HEADERS.scopes], 'read write');
  assert.is(headers[IDENTITY_HEADERS.anonymous], 'false');
  assert.is(headers['x-user-id'], 'alice');
  assert.is(headers['x-tenant-id'], 'acme');
  assert.is(headers['x-scopes'], 'read write');
});

write('no identity writes no identity header', () => {
  const headers: Record<string, string> = {};
  writeIdentityHeaders(headers, null, new ReservedHeaders(DEFAULT_RESERVED_HEADERS));
  assert.equal(headers, {});
});

write('plain headers the operator did not reserve are not overwritten by the gateway', () => {
  const headers: Record<string, string> = { 'x-user-id': 'client-chosen' };
  writeIdentityHeaders(headers, { anonymous: true, subject: 'anonymous', claims: {} }, new ReservedHeaders(['x-switchyard-identity-*']));
  assert.is(headers['x-user-id'], 'client-chosen');
  assert.is(headers[IDENTITY_HEADERS.subject], 'anonymous');
  assert.is(headers[IDENTITY_HEADERS.anonymous], 'true');
});

write.run();
