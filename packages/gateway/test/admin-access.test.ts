/**
 * Admin access (src/admin/access.ts): roles from static tokens (inline, file, environment) and from
 * a JWT claim; cross-site requests refused before credentials; config mistakes named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminAccess, createAuthenticator, crossSiteReason, parseGatewayConfig, type AccessDecision } from '../src/index.js';

const base = { transports: [{ type: 'messaging', backend: 'memory' }] };
const secret = 'a-test-secret-of-at-least-32-bytes!!';
const OPERATOR = 'op-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abc';

async function accessFor(raw: Record<string, unknown>, env: Record<string, string> = {}): Promise<AdminAccess> {
  const config = await parseGatewayConfig({ ...base, ...raw }, env);
  if (config.admin === undefined) throw new Error('admin config expected');
  return AdminAccess.create(config.admin, config.ops.adminClaim, await createAuthenticator(config.auth), config.auth.jwt !== undefined);
}

const granted = (d: AccessDecision): string => (d.kind === 'granted' ? `${d.principal.name}:${d.principal.role}:${d.principal.via}` : `${d.status}`);
const bearer = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({ host: 'gw:8080', authorization: `Bearer ${token}`, ...extra });

const test = suite('admin access');

test('static tokens grant their role; operator includes viewer; viewer is refused operator actions with 403', async () => {
  const access = await accessFor({ admin: { tokens: [{ name: 'olivia', role: 'operator', token: OPERATOR }, { name: 'victor', role: 'viewer', token: VIEWER }] } });
  assert.is(granted(await access.check(bearer(OPERATOR), 'operator')), 'olivia:operator:token');
  assert.is(granted(await access.check(bearer(OPERATOR), 'viewer')), 'olivia:operator:token');
  assert.is(granted(await access.check(bearer(VIEWER), 'viewer')), 'victor:viewer:token');
  const refused = await access.check(bearer(VIEWER), 'operator');
  assert.is(refused.kind === 'refused' && refused.status, 403);
  assert.is(granted(await access.check(bearer('unknown-token-0123456789'), 'viewer')), '401');
  assert.is(granted(await access.check({ host: 'gw:8080' }, 'viewer')), '401');
  assert.is(granted(await access.check({ host: 'gw:8080', authorization: `Basic ${OPERATOR}` }, 'viewer')), '401');
});

test('tokens come from a YAML file and from SWITCHYARD_ADMIN__TOKENS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-admin-'));
  const file = join(dir, 'tokens.yaml');
  writeFileSync(file, `- name: filed\n  role: viewer\n  token: ${VIEWER}\n`);
  const access = await accessFor({ admin: { tokensFile: file } }, { SWITCHYARD_ADMIN__TOKENS: JSON.stringify([{ name: 'env', role: 'operator', token: OPERATOR }]) });
  assert.is(granted(await access.check(bearer(VIEWER), 'viewer')), 'filed:viewer:token');
  assert.is(granted(await access.check(bearer(OPERATOR), 'operator')), 'env:operator:token');
});

test('a JWT verified by auth.jwt grants the role its roleClaim names, viewer for ops.adminClaim; a verified one with neither is refused 403, an unverified one 401', async () => {
  const access = await accessFor({ auth: { jwt: { secret } }, admin: { roleClaim: 'switchyard_role' } });
  const sign = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
  assert.is(granted(await access.check(bearer(await sign({ sub: 'ana', switchyard_role: 'operator' })), 'operator')), 'ana:operator:jwt');
  assert.is(granted(await access.check(bearer(await sign({ sub: 'ben', switchyard_role: ['viewer'] })), 'viewer')), 'ben:viewer:jwt');
  assert.is(granted(await access.check(bearer(await sign({ sub: 'ben', switchyard_role: 'viewer' })), 'operator')), '403');
  assert.is(granted(await access.check(bearer(await sign({ sub: 'cy' })), 'viewer')), '403');
  assert.is(granted(await access.check(bearer(await sign({ sub: 'dee', scope: 'read switchyard:admin' })), 'viewer')), 'dee:viewer:jwt');
  assert.is(granted(await access.check(bearer(await sign({ sub: 'dee', scope: 'read switchyard:admin' })), 'operator')), '403', 'ops.adminClaim grants viewer only');
  const forged = await new SignJWT({ sub: 'eve', switchyard_role: 'operator' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-of-at-least-32-bytes!'));
  assert.is(granted(await access.check(bearer(forged), 'viewer')), '401');
});

test('a cross-site request is refused before its token is looked at', async () => {
  const access = await accessFor({ admin: { tokens: [{ name: 'olivia', role: 'operator', token: OPERATOR }] } });
  const signals: Array<Record<string, string>> = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }, { origin: 'null' }];
  for (const extra of signals) {
    const d = await access.check(bearer(OPERATOR, extra), 'viewer');
    assert.is(d.kind === 'refused' && d.status, 403, JSON.stringify(extra));
    assert.match(d.kind === 'refused' ? d.message : '', /cross-site request refused/);
  }
  assert.is(crossSiteReason({ host: 'gw:8080', origin: 'http://gw:8080', 'sec-fetch-site': 'same-origin' }), undefined);
  assert.is(crossSiteReason({ host: 'gw:8080', 'sec-fetch-site': 'none' }), undefined);
  assert.is(crossSiteReason({ host: 'gw:8080' }), undefined, 'a non-browser client sends neither header');
});

test('config mistakes are named: no grant, short token, roleClaim without auth.jwt, repeated token, bad file', async () => {
  const problems = async (raw: Record<string, unknown>): Promise<string> => {
    try {
      await parseGatewayConfig({ ...base, ...raw });
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.match(await problems({ admin: {} }), /admin.*grants no access: give tokens, tokensFile or roleClaim/);
  const short = await problems({ admin: { tokens: [{ name: 'x', role: 'operator', token: 'short-secret' }] } });
  assert.match(short, /admin\.tokens\[0\]\.token: must be at least 16 characters/);
  assert.not.match(short, /short-secret/, 'the token is not echoed');
  assert.match(await problems({ admin: { tokens: [{ name: 'x', role: 'root', token: OPERATOR }] } }), /admin\.tokens\[0\]\.role/);
  const failure = async (raw: Record<string, unknown>): Promise<string> => {
    try {
      await accessFor(raw);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.match(await failure({ admin: { roleClaim: 'role' } }), /admin\.roleClaim "role" needs auth\.jwt/);
  assert.match(await failure({ admin: { tokens: [{ name: 'a', role: 'viewer', token: VIEWER }, { name: 'b', role: 'operator', token: VIEWER }] } }), /admin token "b" repeats a token/);
  assert.match(await failure({ admin: { tokensFile: '/nonexistent/tokens.yaml' } }), /admin\.tokensFile "\/nonexistent\/tokens\.yaml" cannot be read/);
  const dir = mkdtempSync(join(tmpdir(), 'sy-admin-'));
  writeFileSync(join(dir, 't.json'), JSON.stringify([{ name: 'a', role: 'viewer' }]));
  assert.match(await failure({ admin: { tokensFile: join(dir, 't.json') } }), /at \[0\.token\]/);
});

test.run();

const none = suite('admin access without the admin section');

none('only a verified JWT carrying ops.adminClaim is an administrator, at role viewer', async () => {
  const config = await parseGatewayConfig({ ...base, auth: { jwt: { secret }, anonymous: { subject: 'anonymous' } } });
  const access = await AdminAccess.create(config.admin, config.ops.adminClaim, await createAuthenticator(config.auth), true);
  const sign = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
  assert.is(granted(await access.check(bearer(await sign({ sub: 'ada', scope: 'switchyard:admin' })), 'viewer')), 'ada:viewer:jwt');
  assert.is(granted(await access.check(bearer(await sign({ sub: 'ada', scope: 'switchyard:admin' })), 'operator')), '403');
  assert.is(granted(await access.check(bearer(await sign({ sub: 'bob', scope: 'read' })), 'viewer')), '403');
  assert.is(granted(await access.check({ host: 'gw:8080' }, 'viewer')), '401', 'the anonymous identity is never an administrator');
  assert.is(granted(await access.check(bearer(OPERATOR), 'viewer')), '401', 'no static tokens without the admin section');
});

none.run();
