/**
 * Who may read the operations views: on the client listener the routing view needs admin access
 * (role viewer: a token with ops.adminClaim, or an admin token) and health stays public; with
 * ops.port every view moves to its own listener, while the admin API stays on the client listener.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '@switchyard/core';
import { createGateway, parseGatewayConfig, type Gateway } from '../src/index.js';

const SECRET = 'operations-test-secret-of-32-bytes-at-least';
const bearer = async (claims: Record<string, unknown>): Promise<Record<string, string>> => ({
  authorization: `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET))}`,
});

async function gatewayWith(extra: Record<string, unknown>): Promise<Gateway> {
  const config = await parseGatewayConfig({
    node: { id: `gw-${randomUUID().slice(0, 8)}` },
    http: { host: '127.0.0.1', port: 0 },
    transports: [{ type: 'messaging', backend: 'memory', memory: { namespace: `ops-${randomUUID()}` } }],
    auth: { jwt: { secret: SECRET }, anonymous: { subject: 'anonymous' } },
    ...extra,
  });
  const gateway = await createGateway(config, { logger: silentLogger });
  await gateway.start();
  return gateway;
}

const shared = suite('operations on the client listener');
let sg: Gateway | undefined;
shared.before(async () => {
  sg = await gatewayWith({ ops: { metrics: 'admin' } });
});
shared.after(() => sg?.stop());

shared('the routing view needs ops.adminClaim: 401 without a token, 403 without the claim, 200 with it', async () => {
  const url = `${sg?.url()}/_switchyard/routes`;
  const none = await fetch(url);
  assert.is(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
  assert.is((await fetch(url, { headers: await bearer({ sub: 'bob', scope: 'read' }) })).status, 403);
  const admin = await fetch(url, { headers: await bearer({ sub: 'ada', scope: 'read switchyard:admin' }) });
  assert.is(admin.status, 200);
  assert.ok(((await admin.json()) as { routing?: unknown }).routing !== undefined);
});

shared('health stays public; /metrics follows ops.metrics', async () => {
  assert.is((await fetch(`${sg?.url()}/health/live`)).status, 200);
  assert.is((await fetch(`${sg?.url()}/metrics`)).status, 401);
  assert.is((await fetch(`${sg?.url()}/metrics`, { headers: await bearer({ scope: 'switchyard:admin' }) })).status, 200);
});

shared.run();

const separate = suite('operations on their own listener');
let og: Gateway | undefined;
separate.before(async () => {
  og = await gatewayWith({ ops: { host: '127.0.0.1', port: 0 } });
});
separate.after(() => og?.stop());

separate('with ops.port the views are public there and absent from the client listener, health on both', async () => {
  const ops = og?.opsUrl() as string;
  assert.ok(ops !== undefined && ops !== og?.url());
  assert.is((await fetch(`${ops}/_switchyard/routes`)).status, 200);
  assert.is((await fetch(`${ops}/metrics`)).status, 200);
  assert.is((await fetch(`${ops}/health/ready`)).status, 200);
  assert.is((await fetch(`${ops}/echo/x`)).status, 404);
  const admin = await bearer({ scope: 'switchyard:admin' });
  assert.is((await fetch(`${og?.url()}/_switchyard/routes`, { headers: admin })).status, 404);
  assert.is((await fetch(`${og?.url()}/metrics`)).status, 404);
  assert.is((await fetch(`${og?.url()}/health/live`)).status, 200);
});

separate.run();

const unified = suite('the routing view and the admin API share one admin access');
let ug: Gateway | undefined;
const VIEWER_TOKEN = 'viewer-token-0123456789abc';
unified.before(async () => {
  ug = await gatewayWith({ admin: { tokens: [{ name: 'victor', role: 'viewer', token: VIEWER_TOKEN }] } });
});
unified.after(() => ug?.stop());

unified('an admin viewer token reads the routing view and the admin API; a cross-site request is refused', async () => {
  const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
  assert.is((await fetch(`${ug?.url()}/_switchyard/routes`, { headers: viewer })).status, 200);
  assert.is((await fetch(`${ug?.url()}/_switchyard/admin/instances`, { headers: viewer })).status, 200);
  assert.is((await fetch(`${ug?.url()}/_switchyard/admin/instances`, { headers: await bearer({ scope: 'switchyard:admin' }) })).status, 200, 'ops.adminClaim grants viewer on the admin API too');
  const crossSite = await fetch(`${ug?.url()}/_switchyard/routes`, { headers: { ...viewer, 'sec-fetch-site': 'cross-site' } });
  assert.is(crossSite.status, 403);
});

unified.run();

const apart = suite('the admin API with an ops listener');
let ag: Gateway | undefined;
apart.before(async () => {
  ag = await gatewayWith({ ops: { host: '127.0.0.1', port: 0 }, admin: { tokens: [{ name: 'victor', role: 'viewer', token: VIEWER_TOKEN }] } });
});
apart.after(() => ag?.stop());

apart('stays on the client listener, next to the console, and is not on the ops listener', async () => {
  const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };
  assert.is((await fetch(`${ag?.url()}/_switchyard/admin/instances`, { headers: viewer })).status, 200);
  assert.is((await fetch(`${ag?.opsUrl() as string}/_switchyard/admin/instances`, { headers: viewer })).status, 404);
});

apart.run();
