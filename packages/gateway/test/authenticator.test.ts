import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createAuthenticator, meetsClaims, parseGatewayConfig } from '../src/index.js';

const base = { transports: [{ type: 'messaging', backend: 'memory' }] };
const secret = 'a-test-secret-of-at-least-32-bytes!!';

async function hsToken(claims: Record<string, unknown>, opts: { iss?: string; aud?: string; exp?: string; key?: string } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(opts.exp ?? '5m');
  if (opts.iss !== undefined) jwt.setIssuer(opts.iss);
  if (opts.aud !== undefined) jwt.setAudience(opts.aud);
  return jwt.sign(new TextEncoder().encode(opts.key ?? secret));
}

const jwt = suite('JWT authentication');

jwt('a valid HS256 token with the right issuer and audience yields the verified identity', async () => {
  const config = await parseGatewayConfig({ ...base, auth: { jwt: { secret, issuer: 'https://issuer', audience: 'switchyard' } } });
  const auth = await createAuthenticator(config.auth);
  const token = await hsToken({ sub: 'alice', tenant: 'acme', scope: 'read write' }, { iss: 'https://issuer', aud: 'switchyard' });
  const out = await auth.authenticate(`Bearer ${token}`);
  assert.is(out.kind, 'verified');
  if (out.kind !== 'verified') return;
  assert.is(out.identity.subject, 'alice');
  assert.is(out.identity.tenant, 'acme');
  assert.equal(out.identity.scopes, ['read', 'write']);
  assert.is(out.identity.anonymous, false);
});

jwt('a wrong issuer, audience, signature or an expired token is invalid', async () => {
  const config = await parseGatewayConfig({ ...base, auth: { jwt: { secret, issuer: 'https://issuer', audience: 'switchyard', clockToleranceSec: 0 } } });
  const auth = await createAuthenticator(config.auth);
  const cases = [
    await hsToken({ sub: 'a' }, { iss: 'https://evil', aud: 'switchyard' }),
    await hsToken({ sub: 'a' }, { iss: 'https://issuer', aud: 'other' }),
    await hsToken({ sub: 'a' }, { iss: 'https://issuer', aud: 'switchyard', key: 'another-secret-of-at-least-32-bytes!' }),
    await hsToken({ sub: 'a' }, { iss: 'https://issuer', aud: 'switchyard', exp: '-1m' }),
    'not.a.jwt',
  ];
  for (const token of cases) assert.is((await auth.authenticate(`Bearer ${token}`)).kind, 'invalid', token);
  assert.is((await auth.authenticate('Basic dXNlcjpwYXNz')).kind, 'invalid');
});

jwt('without credentials the outcome is none, or the configured anonymous identity', async () => {
  const none = await createAuthenticator((await parseGatewayConfig({ ...base, auth: { jwt: { secret } } })).auth);
  assert.is((await none.authenticate(undefined)).kind, 'none');
  const anon = await createAuthenticator((await parseGatewayConfig({ ...base, auth: { jwt: { secret }, anonymous: { subject: 'guest', scopes: ['public'] } } })).auth);
  const out = await anon.authenticate(undefined);
  assert.is(out.kind, 'anonymous');
  if (out.kind === 'anonymous') {
    assert.is(out.identity.anonymous, true);
    assert.is(out.identity.subject, 'guest');
    assert.equal(out.identity.scopes, ['public']);
  }
});

jwt('RS256 via a PEM file and ES256 via a JWKS file verify', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-gw-jwt-'));
  const rs = await generateKeyPair('RS256');
  writeFileSync(join(dir, 'rs.pem'), await exportSPKI(rs.publicKey));
  const es = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(es.publicKey)), kid: 'k1', alg: 'ES256' };
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));

  const rsAuth = await createAuthenticator((await parseGatewayConfig({ ...base, auth: { jwt: { publicKeyFile: join(dir, 'rs.pem') } } })).auth);
  const rsToken = await new SignJWT({ sub: 'rs-user' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m').sign(rs.privateKey);
  assert.is((await rsAuth.authenticate(`Bearer ${rsToken}`)).kind, 'verified');

  const esAuth = await createAuthenticator((await parseGatewayConfig({ ...base, auth: { jwt: { jwksFile: join(dir, 'jwks.json') } } })).auth);
  const esToken = await new SignJWT({ sub: 'es-user' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setExpirationTime('5m').sign(es.privateKey);
  assert.is((await esAuth.authenticate(`Bearer ${esToken}`)).kind, 'verified');
  assert.is((await esAuth.authenticate(`Bearer ${rsToken}`)).kind, 'invalid', 'a token signed by another key');
});

jwt('ES256 via a JWKS URL verifies, and the key set is fetched once and cached', async () => {
  const { createServer } = await import('node:http');
  const es = await generateKeyPair('ES256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(es.publicKey)), kid: 'url-key', alg: 'ES256' }] });
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const auth = await createAuthenticator(
      (await parseGatewayConfig({ ...base, auth: { jwt: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: 'https://idp', audience: 'api' } } })).auth,
    );
    const sign = (sub: string): Promise<string> =>
      new SignJWT({ sub }).setProtectedHeader({ alg: 'ES256', kid: 'url-key' }).setIssuer('https://idp').setAudience('api').setExpirationTime('5m').sign(es.privateKey);
    assert.is((await auth.authenticate(`Bearer ${await sign('u1')}`)).kind, 'verified');
    assert.is((await auth.authenticate(`Bearer ${await sign('u2')}`)).kind, 'verified');
    assert.is(fetches, 1, 'the JWKS is cached');
  } finally {
    server.close();
  }
});

jwt('a missing key file fails setup naming the config key', async () => {
  try {
    await createAuthenticator((await parseGatewayConfig({ ...base, auth: { jwt: { publicKeyFile: '/nonexistent/key.pem' } } })).auth);
    assert.unreachable('setup should fail');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'SY_GATEWAY_AUTH_SETUP');
    assert.match((err as Error).message, /auth\.jwt\.publicKeyFile/);
  }
});

jwt.run();

const claims = suite('requiringClaims');

const alice = { anonymous: false, subject: 'alice', claims: { sub: 'alice', role: 'admin', groups: ['ops', 'dev'], scope: 'read write' } };

claims('no requirement is always met', () => {
  assert.ok(meetsClaims(null, []));
});

claims('a claim must exist, and equal or contain the value when one is given', () => {
  assert.ok(meetsClaims(alice, [{ claim: 'role' }]));
  assert.ok(meetsClaims(alice, [{ claim: 'role', value: 'admin' }]));
  assert.ok(meetsClaims(alice, [{ claim: 'groups', value: 'ops' }]));
  assert.ok(meetsClaims(alice, [{ claim: 'scope', value: 'write' }]));
  assert.not.ok(meetsClaims(alice, [{ claim: 'role', value: 'root' }]));
  assert.not.ok(meetsClaims(alice, [{ claim: 'groups', value: 'finance' }]));
  assert.not.ok(meetsClaims(alice, [{ claim: 'tenant' }]));
  assert.not.ok(meetsClaims(alice, [{ claim: 'role' }, { claim: 'missing' }]));
});

claims('nobody and an anonymous identity never meet a requirement', () => {
  assert.not.ok(meetsClaims(null, [{ claim: 'role' }]));
  assert.not.ok(meetsClaims({ anonymous: true, subject: 'guest', claims: { role: 'admin' } }, [{ claim: 'role' }]));
});

claims.run();
