/**
 * The admin API on a real gateway with an echo instance over Valkey: access (unauthenticated,
 * cross-site and viewer actions refused), the read views, and every action.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startValkey } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';
import { admin, ECHO_REQUESTS, OPERATOR_TOKEN, startAdminFixture, VIEWER_TOKEN, type AdminFixture } from './admin-fixture.js';

const server = await startValkey();
const test = suite<{ fx: AdminFixture }>('admin API');

if (server === null) {
  test.skip('needs a Valkey-compatible server (see the banner above)', () => undefined);
} else {
  test.before(async (ctx) => {
    ctx.fx = await startAdminFixture(server.url, { console: false });
  });
  test.after(async (ctx) => {
    await ctx.fx?.stop();
    await server.stop();
  });

  const deadLetters = async (fx: AdminFixture, query = ''): Promise<Array<Record<string, unknown>>> =>
    (await admin(fx, `dead-letters?queue=${ECHO_REQUESTS}${query}`, { token: VIEWER_TOKEN })).body.deadLetters as Array<Record<string, unknown>>;

  test('a request without a bearer token is refused with 401 and names what to send', async ({ fx }) => {
    const r = await admin(fx, 'instances');
    assert.is(r.status, 401);
    assert.is((r.body.error as { code: string }).code, 'SY_GATEWAY_UNAUTHENTICATED');
    assert.match((r.body.error as { message: string }).message, /Authorization: Bearer/);
    const wrong = await admin(fx, 'instances', { token: 'not-a-known-token-at-all' });
    assert.is(wrong.status, 401);
  });

  test('a cookie grants nothing: only the Authorization header is read', async ({ fx }) => {
    const r = await admin(fx, 'instances', { headers: { cookie: `token=${OPERATOR_TOKEN}; authorization=Bearer ${OPERATOR_TOKEN}` } });
    assert.is(r.status, 401);
  });

  test('a cross-site request is refused even with a valid operator token', async ({ fx }) => {
    const host = new URL(fx.url).host;
    const bySite = await admin(fx, 'resync', { token: OPERATOR_TOKEN, body: {}, headers: { 'sec-fetch-site': 'cross-site' } });
    assert.is(bySite.status, 403);
    assert.match((bySite.body.error as { message: string }).message, /cross-site/);
    const byOrigin = await admin(fx, 'dead-letters/purge', { token: OPERATOR_TOKEN, body: { queue: ECHO_REQUESTS }, headers: { origin: 'https://evil.example' } });
    assert.is(byOrigin.status, 403);
    const sameOrigin = await admin(fx, 'whoami', { token: OPERATOR_TOKEN, headers: { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' } });
    assert.is(sameOrigin.status, 200, 'a same-origin request from the console passes');
  });

  test('a viewer reads every view but gets 403 on every action', async ({ fx }) => {
    assert.equal((await admin(fx, 'whoami', { token: VIEWER_TOKEN })).body, { name: 'victor', role: 'viewer' });
    for (const path of ['instances', 'queues', 'routes', 'overview', 'dead-letters', 'tasks']) {
      assert.is((await admin(fx, path, { token: VIEWER_TOKEN })).status, 200, `viewer GET ${path}`);
    }
    const actions: Array<[string, unknown]> = [
      ['dead-letters/replay', { queue: ECHO_REQUESTS, ids: ['1-0'] }],
      ['dead-letters/redrive', { ratePerSecond: 10 }],
      ['dead-letters/purge', { queue: ECHO_REQUESTS }],
      ['resync', {}],
      [`instances/${fx.echo.instanceId}/drain`, {}],
      ['tasks/redrive-1/cancel', {}],
    ];
    for (const [path, body] of actions) {
      const r = await admin(fx, path, { token: VIEWER_TOKEN, body });
      assert.is(r.status, 403, `viewer POST ${path}`);
      assert.match((r.body.error as { message: string }).message, /role viewer; this needs operator/);
    }
  });

  test('instances lists the echo as healthy with its heartbeat age', async ({ fx }) => {
    const { instances } = (await admin(fx, 'instances', { token: VIEWER_TOKEN })).body as { instances: Array<Record<string, unknown>> };
    const echo = instances.find((i) => i.instanceId === fx.echo.instanceId);
    assert.ok(echo, 'echo listed');
    assert.is(echo.service, 'echo');
    assert.is(echo.version, '1.0.0');
    assert.is(echo.transport, 'messaging');
    assert.is(echo.health, 'healthy');
    assert.type(echo.lastHeartbeatAgeMs, 'number');
  });

  test('a poisoned message shows up as a dead letter with its reason, and show gives its payload', async ({ fx }) => {
    await fx.poison('poison-for-show \u0001');
    const [letter] = await eventually(async () => {
      const list = await deadLetters(fx);
      return list.length > 0 ? list : undefined;
    }, { within: 10_000, what: 'the poisoned message dead-lettered' });
    assert.is(letter?.reason, 'decode-error');
    assert.is(letter?.sourceQueue, ECHO_REQUESTS);
    const shown = await admin(fx, `dead-letters/${ECHO_REQUESTS}/${String(letter?.id)}`, { token: VIEWER_TOKEN });
    assert.is(shown.status, 200);
    assert.match(String(shown.body.preview), /poison-for-show \\x01/);
    assert.is((await deadLetters(fx, '&reason=max-deliveries')).length, 0, 'the reason filter excludes it');
    assert.is((await deadLetters(fx, `&since=${Date.now() + 60_000}`)).length, 0, 'the since filter excludes it');
    const queues = (await admin(fx, 'queues', { token: VIEWER_TOKEN })).body.queues as Array<{ queue: string; deadLetters: number; consumers?: number; oldestWaitingAgeMs?: number | null; redelivered?: number; redeliveredIsLowerBound?: boolean }>;
    const echoQueue = queues.find((q) => q.queue === ECHO_REQUESTS);
    assert.is(echoQueue?.deadLetters, 1);
    assert.ok((echoQueue?.consumers ?? 0) >= 1, 'the echo reads its requests queue');
    assert.is(echoQueue?.oldestWaitingAgeMs, null, 'nothing waits');
    assert.is(echoQueue?.redelivered, 0);
    assert.is(echoQueue?.redeliveredIsLowerBound, false, 'a small backlog is counted exactly');
    const purged = await admin(fx, 'dead-letters/purge', { token: OPERATOR_TOKEN, body: { queue: ECHO_REQUESTS } });
    assert.equal(purged.body, { purged: 1 });
  });

  test('replay of selected ids moves exactly those back', async ({ fx }) => {
    await fx.poison('a');
    await fx.poison('b');
    const list = await eventually(async () => {
      const l = await deadLetters(fx);
      return l.length === 2 ? l : undefined;
    }, { within: 10_000, what: 'two dead letters' });
    const r = await admin(fx, 'dead-letters/replay', { token: OPERATOR_TOKEN, body: { queue: ECHO_REQUESTS, ids: [list[0]?.id] } });
    assert.equal(r.body, { replayed: 1 });
    // The replayed poison fails again and returns with a new id: the other one is untouched.
    const after = await eventually(async () => {
      const l = await deadLetters(fx);
      return l.length === 2 && l.some((x) => x.id !== list[0]?.id && x.id !== list[1]?.id) ? l : undefined;
    }, { within: 10_000, what: 'the replayed poison dead-lettered again under a new id' });
    assert.ok(after.some((x) => x.id === list[1]?.id), 'the letter not selected stayed');
    await admin(fx, 'dead-letters/purge', { token: OPERATOR_TOKEN, body: { queue: ECHO_REQUESTS } });
  });

  test('redrive of every matching letter runs as a task at its rate, and cancel stops it leaving the rest', async ({ fx }) => {
    const dry = await admin(fx, 'dead-letters/redrive', { token: OPERATOR_TOKEN, body: { queue: ECHO_REQUESTS, ratePerSecond: 5, dryRun: true } });
    assert.equal(dry.body, { dryRun: true, matched: 0, queues: [ECHO_REQUESTS] });
    for (let i = 0; i < 6; i++) await fx.poison(`p${i}`);
    await eventually(async () => ((await deadLetters(fx)).length === 6 ? true : undefined), { within: 10_000, what: 'six dead letters' });
    // With the echo stopped, what is replayed waits in its queue instead of failing again.
    await fx.echo.stop();
    const started = await admin(fx, 'dead-letters/redrive', { token: OPERATOR_TOKEN, body: { queue: ECHO_REQUESTS, reason: 'decode', ratePerSecond: 4 } });
    assert.is(started.status, 202);
    const id = String(started.body.id);
    await eventually(async () => (((await admin(fx, `tasks/${id}`, { token: VIEWER_TOKEN })).body.replayed as number) >= 2 ? true : undefined), { within: 5_000, what: 'two replayed' });
    const cancelled = await admin(fx, `tasks/${id}/cancel`, { token: OPERATOR_TOKEN, body: {} });
    assert.is(cancelled.body.state, 'cancelled');
    const replayed = cancelled.body.replayed as number;
    assert.ok(replayed >= 2 && replayed < 6, `replayed ${replayed} of 6 before the cancel`);
    assert.is((await deadLetters(fx)).length, 6 - replayed, 'the letters not replayed stay dead-lettered');
  });

  test('drain marks the instance draining here at once and tells it; resync asks it for a HELLO', async () => {
    // The echo was stopped by the previous case: start a fresh one.
    const fresh = await startAdminFixture(server.url, { console: false });
    try {
      const d = await admin(fresh, `instances/${fresh.echo.instanceId}/drain`, { token: OPERATOR_TOKEN, body: {} });
      assert.is(d.status, 200);
      assert.equal(d.body, { drained: fresh.echo.instanceId, told: true }, 'the instance itself was sent DRAIN');
      const row = async (): Promise<Record<string, unknown> | undefined> =>
        ((await admin(fresh, 'instances', { token: VIEWER_TOKEN })).body.instances as Array<Record<string, unknown>>).find((i) => i.instanceId === fresh.echo.instanceId);
      assert.is((await row())?.health, 'draining');
      assert.is((await row())?.drained, true);
      const res = await fetch(`${fresh.url}/echo/stats`);
      assert.is(res.status, 503, 'no new requests go to a drained instance');
      await res.arrayBuffer();
      // Later heartbeats keep it draining, and so does the HELLO a RESYNC brings.
      const seq = fresh.gateway.routing.instance(fresh.echo.instanceId)?.lastSeq ?? 0;
      await eventually(() => (fresh.gateway.routing.instance(fresh.echo.instanceId)?.lastSeq ?? 0) > seq + 2, { within: 5_000, what: 'more heartbeats' });
      assert.is((await row())?.health, 'draining');
      const registeredAt = fresh.gateway.routing.instance(fresh.echo.instanceId)?.registeredAt;
      assert.equal((await admin(fresh, 'resync', { token: OPERATOR_TOKEN, body: { instanceId: fresh.echo.instanceId } })).body, { asked: 1 });
      await eventually(() => fresh.gateway.routing.instance(fresh.echo.instanceId)?.registeredAt !== registeredAt, { within: 5_000, what: 'the HELLO answering RESYNC' });
      assert.is(fresh.gateway.routing.instance(fresh.echo.instanceId)?.health, 'draining', 'still draining right after the HELLO');
      const unknown = await admin(fresh, 'instances/nope/drain', { token: OPERATOR_TOKEN, body: {} });
      assert.is(unknown.status, 404);
      const badReason = await admin(fresh, `instances/${fresh.echo.instanceId}/drain`, { token: OPERATOR_TOKEN, body: { reason: 7 } });
      assert.is(badReason.status, 400, 'a reason that is not a string is refused');
    } finally {
      await fresh.stop();
    }
  });
}

test.run();
