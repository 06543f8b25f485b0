/**
 * Draining an instance through one gateway's admin API drains it everywhere: the gateway sends the
 * instance a DRAIN frame, the instance stops taking new requests (over Valkey it stops pulling its
 * requests queue), finishes what it runs, and its heartbeats say `draining`, so every gateway
 * replica stops routing to it. Real gateways and services over a real Valkey (signed frames) and
 * over TCP; the attacker of the last test writes the control queue with XADD as any service could.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeFrame, frameKey, FrameKeyRing, frameScope, makeFrame, sealFrame, silentLogger, systemClock, type FrameKey } from '@switchyard/core';
import { serviceControlQueue } from '@switchyard/core/internal';
import { createGateway, parseGatewayConfig, type Gateway } from '@switchyard/gateway';
import { createMicroserviceFromConfig, type Microservice } from '@switchyard/microservice';
import { registerEcho } from '../../examples/echo/echo-service.js';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { freePort } from '../harness/process.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';

const server = await requireValkeyOrSkip('drain over Valkey');
const OPERATOR_TOKEN = 'drain-operator-token-0123456789';
const HEARTBEAT_MS = 300;

interface Answer {
  readonly status: number;
  readonly instanceId: string | undefined;
}

async function call(base: string, path: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  let instanceId: string | undefined;
  try {
    instanceId = (JSON.parse(text) as { instanceId?: string }).instanceId;
  } catch {
    instanceId = undefined;
  }
  return { status: res.status, instanceId };
}

async function drain(base: string, instanceId: string, reason: string, action: 'drain' | 'undrain' = 'drain'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/_switchyard/admin/instances/${encodeURIComponent(instanceId)}/${action}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function startGateway(id: string, entry: Record<string, unknown>): Promise<{ gateway: Gateway; url: string }> {
  const config = await parseGatewayConfig({
    node: { id, region: 'local' },
    http: { host: '127.0.0.1', port: 0, shutdownGraceMs: 2_000 },
    transports: [entry],
    log: { level: 'silent' },
    admin: { console: false, tokens: [{ name: 'olivia', role: 'operator', token: OPERATOR_TOKEN }] },
  });
  const gateway = await createGateway(config, { logger: silentLogger });
  return { gateway, url: await gateway.start() };
}

async function startEcho(instanceId: string, entry: { readonly type: string } & Record<string, unknown>, heartbeatIntervalMs = HEARTBEAT_MS): Promise<Microservice> {
  const echo = await createMicroserviceFromConfig(
    { service: { name: 'echo', version: '1.0.0', region: 'local', instanceId, heartbeatIntervalMs }, transports: [entry] },
    { logger: silentLogger },
  );
  registerEcho(echo);
  await echo.start();
  return echo;
}

/**
 * Starts slow requests through `base` until one runs on `on` (over Valkey any instance may pull a
 * request; over TCP the gateway spreads them), and returns every one started: all must answer.
 */
async function slowRequestOn(base: string, on: Microservice, ms: number): Promise<Array<Promise<Answer>>> {
  const started: Array<Promise<Answer>> = [];
  await eventually(
    async () => {
      if (on.status().inFlight > 0) return true;
      started.push(call(base, `/echo/slow?ms=${ms}`));
      await new Promise((resolve) => setTimeout(resolve, 50));
      return on.status().inFlight > 0 ? true : undefined;
    },
    { within: 10_000, what: `a slow request running on ${on.instanceId}` },
  );
  return started;
}

/** Sends `n` requests through `base`; returns how many each instance answered, and any non-200. */
async function spread(base: string, n: number): Promise<{ byInstance: Record<string, number>; failures: Answer[] }> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => call(base, `/echo/after-drain/${i}`)));
  const byInstance: Record<string, number> = {};
  for (const a of answers) if (a.status === 200) byInstance[a.instanceId ?? '?'] = (byInstance[a.instanceId ?? '?'] ?? 0) + 1;
  return { byInstance, failures: answers.filter((a) => a.status !== 200) };
}

const valkey = suite('drain over Valkey: two gateway replicas, two echo instances');

valkey('a drain asked of gateway 1 stops requests through gateway 2 from reaching the instance; its in-flight request finishes with 200', async () => {
  if (server === null) return;
  const prefix = `drain-${randomUUID().slice(0, 8)}`;
  const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix }, auth: authSection(newKeys()) };
  const gw1 = await startGateway(`gw1-${prefix}`, entry);
  const gw2 = await startGateway(`gw2-${prefix}`, entry);
  const a = await startEcho(`echo-a-${prefix}`, entry);
  const b = await startEcho(`echo-b-${prefix}`, entry);
  try {
    for (const { gateway } of [gw1, gw2]) {
      await eventually(() => gateway.routing.instance(a.instanceId)?.health === 'healthy' && gateway.routing.instance(b.instanceId)?.health === 'healthy', {
        within: 10_000,
        what: 'both echo instances healthy at both gateways',
      });
    }
    const slow = await slowRequestOn(gw2.url, a, 1_500);

    const drained = await drain(gw1.url, a.instanceId, 'node maintenance');
    assert.is(drained.status, 200, JSON.stringify(drained.body));
    assert.equal(drained.body, { drained: a.instanceId, told: true });

    // The instance took the DRAIN: it stays up, takes nothing new, and says so in its heartbeats.
    await eventually(() => a.status().drained, { within: 5_000, what: 'echo A drained by the DRAIN frame' });
    assert.is(a.status().state, 'running', 'a drained instance stays up');
    assert.is(a.status().ready, false, 'a drained instance is not ready for new work');
    // Gateway 2 was never asked: what it shows comes from A's own heartbeats.
    await eventually(() => gw2.gateway.routing.instance(a.instanceId)?.health === 'draining', { within: 5_000, what: 'gateway 2 sees A draining' });
    assert.is(gw2.gateway.routing.instance(a.instanceId)?.reportedStatus, 'draining');
    assert.is(gw2.gateway.routing.instance(b.instanceId)?.health, 'healthy');

    const inFlight = await Promise.all(slow);
    assert.ok(inFlight.some((r) => r.instanceId === a.instanceId), 'one slow request ran on A');
    for (const r of inFlight) assert.is(r.status, 200, `slow request answered by ${r.instanceId ?? '?'} with ${r.status}`);
    await eventually(() => a.status().inFlight === 0, { within: 5_000, what: 'A finished its in-flight work' });

    const handledByA = a.status().handled;
    const after = await spread(gw2.url, 40);
    assert.equal(after.failures, [], 'every request after the drain is answered');
    assert.equal(after.byInstance, { [b.instanceId]: 40 }, 'every request through gateway 2 went to B');
    const viaGw1 = await spread(gw1.url, 10);
    assert.equal(viaGw1.byInstance, { [b.instanceId]: 10 }, 'and every request through gateway 1');
    assert.is(a.status().handled, handledByA, 'A ran nothing after the drain');

    // A is still alive: its heartbeats keep coming, still saying draining.
    const seq = gw2.gateway.routing.instance(a.instanceId)?.lastSeq ?? 0;
    await eventually(() => (gw2.gateway.routing.instance(a.instanceId)?.lastSeq ?? 0) > seq, { within: 5_000, what: 'another heartbeat from A' });
    assert.is(gw2.gateway.routing.instance(a.instanceId)?.health, 'draining');

    // Undrain through the other replica: A pulls again, and both gateways see it healthy.
    assert.equal((await drain(gw2.url, a.instanceId, 'done', 'undrain')).body, { undrained: a.instanceId, told: true });
    await eventually(() => !a.status().drained && a.status().ready, { within: 5_000, what: 'echo A undrained' });
    for (const { gateway } of [gw1, gw2]) {
      await eventually(() => gateway.routing.instance(a.instanceId)?.health === 'healthy', { within: 5_000, what: 'A healthy again at both gateways' });
    }
    const back = await eventually(async () => {
      const r = await spread(gw1.url, 20);
      return (r.byInstance[a.instanceId] ?? 0) > 0 ? r : undefined;
    }, { within: 10_000, what: 'requests reaching A again' });
    assert.equal(back.failures, []);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([gw1.gateway.stop(), gw2.gateway.stop()]);
  }
});

valkey('a DRAIN that is unsigned, or signed with an instance key, is refused by the instance and drains nothing', async () => {
  if (server === null) return;
  const prefix = `drain-${randomUUID().slice(0, 8)}`;
  const keys = newKeys();
  const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix }, auth: authSection(keys) };
  const gw = await startGateway(`gw-${prefix}`, entry);
  const a = await startEcho(`echo-a-${prefix}`, entry);
  const redis = new Redis(server.url);
  try {
    await eventually(() => gw.gateway.routing.instance(a.instanceId)?.health === 'healthy', { within: 10_000, what: 'echo A registered' });
    const control = serviceControlQueue('echo');
    const stream = `${prefix}:{${control}}`;
    // An insider: a service holding the instance key (every service does), but not the gateway key.
    const instanceKey = frameKey('instance', Buffer.from(readFileSync(keys.instance, 'utf8').trimEnd(), 'utf8'), 'insider instance key');
    class InstanceKeyOnly extends FrameKeyRing {
      override signing(): FrameKey {
        return instanceKey;
      }
    }
    const ring = new InstanceKeyOnly({ gateway: [frameKey('gateway', randomBytes(32), 'a guess')], instance: [instanceKey] });
    const forge = makeFrame('DRAIN', { instanceId: a.instanceId, reason: 'forged', requestedBy: 'mallory' }, { clock: systemClock });
    const forged = sealFrame(forge, frameScope(control), ring);
    await redis.xadd(stream, '*', 'p', Buffer.from(encodeFrame(forge)));
    await redis.xadd(stream, '*', 'p', Buffer.from(forged));
    const reasons = await eventually(async () => {
      const entries = await redis.xrange(`${stream}:dlq`, '-', '+');
      const rs = entries.map(([, fields]) => fields[fields.indexOf('r') + 1]);
      return rs.length >= 2 ? rs : undefined;
    }, { within: 10_000, what: 'the two forged DRAINs dead-lettered' });
    assert.equal(reasons, ['unauthenticated', 'unauthenticated']);
    assert.is(a.status().drained, false, 'the forged DRAINs drained nothing');
    const answer = await call(gw.url, '/echo/still-serving');
    assert.equal(answer, { status: 200, instanceId: a.instanceId });

    // The same instance does take a DRAIN signed with the gateway key (the admin API's).
    assert.equal((await drain(gw.url, a.instanceId, 'real')).body, { drained: a.instanceId, told: true });
    await eventually(() => a.status().drained, { within: 5_000, what: 'echo A drained by the real DRAIN' });
    // And a forged UNDRAIN does not take it back.
    await redis.xadd(stream, '*', 'p', Buffer.from(sealFrame(makeFrame('UNDRAIN', { instanceId: a.instanceId }, { clock: systemClock }), frameScope(control), ring)));
    await eventually(async () => ((await redis.xlen(`${stream}:dlq`)) >= 3 ? true : undefined), { within: 10_000, what: 'the forged UNDRAIN dead-lettered' });
    assert.is(a.status().drained, true, 'still drained');

    // The real DRAIN, copied back into the queue after an UNDRAIN, is refused as a replay.
    const entries = await redis.xrangeBuffer(stream, '-', '+');
    const realDrain = entries.map(([, fields]) => fields[fields.findIndex((f) => f.toString() === 'p') + 1] as Buffer).find((p) => p.includes(Buffer.from('"reason":"real"')));
    assert.ok(realDrain !== undefined, 'the real DRAIN is in the control stream');
    assert.equal((await drain(gw.url, a.instanceId, 'undo', 'undrain')).body, { undrained: a.instanceId, told: true });
    await eventually(() => !a.status().drained, { within: 5_000, what: 'echo A undrained' });
    await redis.xadd(stream, '*', 'p', realDrain);
    await eventually(async () => ((await redis.xlen(`${stream}:dlq`)) >= 4 ? true : undefined), { within: 10_000, what: 'the replayed DRAIN dead-lettered' });
    assert.is(a.status().drained, false, 'a replayed DRAIN drains nothing');
  } finally {
    redis.disconnect();
    await a.stop();
    await gw.gateway.stop();
  }
});

valkey('a gateway that starts after the drain learns the instance as draining from its first frames', async () => {
  if (server === null) return;
  const prefix = `drain-${randomUUID().slice(0, 8)}`;
  const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix }, auth: authSection(newKeys()) };
  const gw1 = await startGateway(`gw1-${prefix}`, entry);
  // Heartbeats 3 s apart: a HELLO alone would show the instance healthy for that long.
  const a = await startEcho(`echo-a-${prefix}`, entry, 3_000);
  let gw2: { gateway: Gateway; url: string } | undefined;
  try {
    await eventually(() => gw1.gateway.routing.instance(a.instanceId)?.health === 'healthy', { within: 10_000, what: 'echo A registered' });
    assert.equal((await drain(gw1.url, a.instanceId, 'before gw2')).body, { drained: a.instanceId, told: true });
    await eventually(() => a.status().drained, { within: 5_000, what: 'echo A drained' });
    // The new gateway hears a HEARTBEAT from an instance it does not know and asks for its HELLO (RESYNC).
    const late = await startGateway(`gw2-${prefix}`, entry);
    gw2 = late;
    await eventually(() => late.gateway.routing.instance(a.instanceId) !== undefined, { within: 10_000, what: 'gateway 2 registered A' });
    await eventually(() => late.gateway.routing.instance(a.instanceId)?.health === 'draining', { within: 1_000, what: 'A draining at gateway 2 right after its HELLO' });
    const answer = await call(late.url, '/echo/nobody');
    assert.is(answer.status, 503, 'no eligible instance: answered at once, not queued for a drained instance');
  } finally {
    await a.stop();
    await Promise.all([gw1.gateway.stop(), gw2?.gateway.stop()]);
  }
});

const tcp = suite('drain over TCP');

tcp('a drained TCP instance gets no new requests, finishes its in-flight one, and registers draining at a gateway that restarts', async () => {
  const port = await freePort();
  let gw = await startGateway('gw-tcp-drain', { type: 'tcp', host: '127.0.0.1', port });
  const instanceEntry = { type: 'tcp', host: '127.0.0.1', port };
  // Heartbeats far apart, so what the restarted gateway sees of A right after its HELLO is not a periodic heartbeat.
  const a = await startEcho('echo-tcp-a', instanceEntry, 10_000);
  const b = await startEcho('echo-tcp-b', instanceEntry, 10_000);
  try {
    await eventually(() => gw.gateway.routing.instance(a.instanceId)?.health === 'healthy' && gw.gateway.routing.instance(b.instanceId)?.health === 'healthy', {
      within: 10_000,
      what: 'both TCP echo instances healthy',
    });
    const slow = await slowRequestOn(gw.url, a, 1_000);
    assert.equal((await drain(gw.url, a.instanceId, 'tcp maintenance')).body, { drained: a.instanceId, told: true });
    await eventually(() => a.status().drained, { within: 5_000, what: 'TCP echo A drained by the DRAIN frame' });
    // The instance's own heartbeat says draining (the gateway's local mark bumps seq past it; both agree).
    await eventually(() => gw.gateway.routing.instance(a.instanceId)?.reportedStatus === 'draining', { within: 5_000, what: 'A reported draining' });

    for (const r of await Promise.all(slow)) assert.is(r.status, 200, `slow request answered by ${r.instanceId ?? '?'} with ${r.status}`);
    const handledByA = a.status().handled;
    const after = await spread(gw.url, 30);
    assert.equal(after.failures, []);
    assert.equal(after.byInstance, { [b.instanceId]: 30 }, 'every request after the drain went to B');
    assert.is(a.status().handled, handledByA, 'A ran nothing after the drain');

    // A restarted gateway has no local mark. A HELLO alone would register A healthy there; the
    // drained instance sends its draining HEARTBEAT right behind every HELLO.
    await gw.gateway.stop();
    gw = await startGateway('gw-tcp-drain-2', { type: 'tcp', host: '127.0.0.1', port });
    await eventually(() => gw.gateway.routing.instance(a.instanceId) !== undefined && gw.gateway.routing.instance(b.instanceId)?.health === 'healthy', {
      within: 10_000,
      what: 'both TCP instances reconnected to the restarted gateway',
    });
    assert.is(gw.gateway.routing.instance(a.instanceId)?.health, 'draining', 'A is draining from its first frames at the new gateway');
    const again = await spread(gw.url, 20);
    assert.equal(again.byInstance, { [b.instanceId]: 20 }, 'still nothing to A at the restarted gateway');
    assert.is(a.status().state, 'running');

    assert.equal((await drain(gw.url, a.instanceId, 'done', 'undrain')).body, { undrained: a.instanceId, told: true });
    await eventually(() => gw.gateway.routing.instance(a.instanceId)?.health === 'healthy', { within: 5_000, what: 'A healthy again after UNDRAIN' });
    const back = await spread(gw.url, 20);
    assert.ok((back.byInstance[a.instanceId] ?? 0) > 0, `requests reach A again: ${JSON.stringify(back.byInstance)}`);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await gw.gateway.stop();
  }
});

valkey.run();
tcp.run();
