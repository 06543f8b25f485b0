/**
 * Signed frames against a real Valkey, with a real gateway and service process (issue 21, "Must
 * show"): an attacker who can write the queues (every service can) adds entries with XADD the way
 * the probe did. Unsigned, wrongly signed and replayed frames are dead-lettered as
 * `unauthenticated`, change no route and reach no handler, while the real service keeps serving.
 * Entry layout: packages/transport-valkey/src/keys.ts (`{prefix}:{queue}`) and entry.ts (p, h).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ENVELOPE_BYTES, FrameKeyRing, GMAC_ENVELOPE_BYTES, frameScope, computeEndpointsHash, decodeFrame, encodeFrame, frameKey, makeFrame, sealFrame, systemClock, type EndpointDescriptor, type Frame } from '@switchyard/core';
import { frameAuthFromConfig, type FrameAuthenticator, GATEWAY_CONTROL_QUEUE, gatewayResponsesQueue, regionRequestsQueue } from '@switchyard/core/internal';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { spawnTs, type TsProcess } from '../harness/process.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';

const server = await requireValkeyOrSkip('signed frames over Valkey');
const JWT = { secret: 'frame-auth-test-secret-with-32-bytes-or-more!', issuer: 'https://issuer.frames.test', audience: 'switchyard-frames' };
const NODE_ID = 'gw-frames';

interface Ctx {
  redis: Redis;
  /** The deployment's keys, as an insider (a compromised service) holds them. */
  insider: FrameAuthenticator;
  prefix: string;
  url: string;
  procs: TsProcess[];
}

interface DeadLetter {
  readonly id: string;
  readonly reason: string;
  readonly payload: Buffer;
}

const children: TsProcess[] = [];
process.once('exit', () => children.forEach((c) => c.child.kill('SIGKILL')));

function spawn(entry: string, args: string[]): TsProcess {
  const p = spawnTs(entry, args);
  children.push(p);
  return p;
}

async function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(JWT.issuer)
    .setAudience(JWT.audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JWT.secret));
}

const streamKey = (ctx: Ctx, queue: string): string => `${ctx.prefix}:{${queue}}`;

/** XADD the way an attacker would: a raw payload, optional headers. */
async function xadd(ctx: Ctx, queue: string, payload: Uint8Array, headers?: Record<string, string>): Promise<void> {
  const fields: Array<string | Buffer> = ['p', Buffer.from(payload)];
  if (headers !== undefined) fields.push('h', JSON.stringify(headers));
  await ctx.redis.xadd(streamKey(ctx, queue), '*', ...fields);
}

async function deadLetters(ctx: Ctx, queue: string): Promise<DeadLetter[]> {
  const entries = await ctx.redis.xrangeBuffer(`${streamKey(ctx, queue)}:dlq`, '-', '+');
  return entries.map(([id, fields]) => {
    const map = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set((fields[i] as Buffer).toString(), fields[i + 1] as Buffer);
    return { id: id.toString(), reason: map.get('r')?.toString() ?? '', payload: map.get('p') ?? Buffer.alloc(0) };
  });
}

/** Waits until `queue`'s dead letters hold `count` more than `before`, all `unauthenticated`. */
async function newDeadLetters(ctx: Ctx, queue: string, before: number, count: number, what: string): Promise<DeadLetter[]> {
  const all = await eventually(async () => {
    const list = await deadLetters(ctx, queue);
    return list.length >= before + count ? list : undefined;
  }, { within: 10_000, what: `${count} dead letter(s) on ${queue} for ${what}` });
  const fresh = all.slice(before);
  for (const dl of fresh) assert.is(dl.reason, 'unauthenticated', `dead letter ${dl.id} of ${what}`);
  return fresh;
}

/** The frame inside a signed entry (envelope skipped; the test reads what any Valkey reader can). */
const frameIn = (payload: Buffer): Frame => decodeFrame(payload.subarray(ENVELOPE_BYTES));

async function get(ctx: Ctx, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${ctx.url}${path}`, { headers });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

async function realServiceServes(ctx: Ctx): Promise<void> {
  const ping = await get(ctx, '/vault/ping');
  assert.is(ping.status, 200, `the real service answers /vault/ping: ${JSON.stringify(ping.body)}`);
  assert.is(ping.body.instanceId, 'vault-real');
}

/** A forged HELLO for vault `version` whose endpoints serve /vault/secret without claims. */
function forgedHello(version: string, instanceId: string): Frame {
  const endpoints: EndpointDescriptor[] = [
    { method: 'GET', path: '/vault/secret', requiringClaims: [], streaming: false },
    { method: 'GET', path: '/vault/{path...}', requiringClaims: [], streaming: false },
  ];
  return makeFrame('HELLO', {
    instance: { service: 'vault', version, region: 'frames', instanceId, address: `messaging:${regionRequestsQueue('vault', version, 'frames')}` },
    endpoints,
    endpointsHash: computeEndpointsHash(endpoints),
  }, { clock: systemClock });
}

/** A ring of keys the attacker made up: the envelope is right, the keys are not. */
const guessedKeys = new FrameKeyRing({ gateway: [frameKey('gateway', randomBytes(32), 'guess')], instance: [frameKey('instance', randomBytes(32), 'guess')] });

if (server === null) {
  const skipped = suite('signed frames over valkey (SKIPPED: no server)');
  skipped.skip('every forged-frame case', () => undefined);
  skipped.run();
} else {
  const test = suite<Ctx>('signed frames over valkey: forged and replayed frames are dead-lettered as unauthenticated', {} as Ctx);

  test.before(async (ctx) => {
    ctx.prefix = `auth-${randomUUID().slice(0, 8)}`;
    ctx.redis = new Redis(server.url);
    ctx.procs = [];
    const dir = mkdtempSync(join(tmpdir(), 'sy-frames-'));
    const auth = authSection(newKeys());
    const entry = { type: 'messaging', backend: 'valkey', valkey: { url: server.url }, queues: { prefix: ctx.prefix }, auth };
    ctx.insider = frameAuthFromConfig(auth, 'valkey', 'insider.auth', systemClock) as FrameAuthenticator;
    const gatewayFile = join(dir, 'gateway.json');
    writeFileSync(
      gatewayFile,
      JSON.stringify({
        node: { id: NODE_ID, region: 'frames' },
        http: { host: '127.0.0.1', port: 0 },
        transports: [entry],
        routing: { defaultTimeoutMs: 5_000 },
        auth: { jwt: JWT, anonymous: { subject: 'anonymous' } },
      }),
    );
    const serviceFile = join(dir, 'vault.json');
    writeFileSync(serviceFile, JSON.stringify({ service: { name: 'vault', version: '1.0.0', region: 'frames' }, transports: [entry] }));
    const gateway = spawn('packages/gateway/src/cli.ts', ['--config', gatewayFile]);
    ctx.procs.push(gateway);
    ctx.url = (await gateway.waitFor(/gateway listening on (http:\/\/[0-9.]+:\d+)/, 30_000))[1] as string;
    const vault = spawn('test/messaging/fixtures/vault-service.ts', ['--config', serviceFile, '--instance-id', 'vault-real']);
    ctx.procs.push(vault);
    await vault.waitFor(/vault listening instance=vault-real/, 30_000);
    await eventually(async () => (await get(ctx, '/vault/ping')).status === 200, { within: 15_000, what: 'vault registered at the gateway' });
  });

  test.after(async (ctx) => {
    await Promise.all(ctx.procs.map((p) => p.stop()));
    ctx.redis.disconnect();
    await server.stop();
  });

  test('a forged HELLO for a higher version, unsigned or signed with a guessed key, routes nothing', async (ctx) => {
    const before = (await deadLetters(ctx, GATEWAY_CONTROL_QUEUE)).length;
    const headers = { 'x-switchyard-service': 'vault', 'x-switchyard-version': '9.9.9' };
    await xadd(ctx, GATEWAY_CONTROL_QUEUE, encodeFrame(forgedHello('9.9.9', 'vault-forged-a')), headers);
    await xadd(ctx, GATEWAY_CONTROL_QUEUE, sealFrame(forgedHello('9.9.9', 'vault-forged-b'), frameScope(GATEWAY_CONTROL_QUEUE), guessedKeys), headers);
    await newDeadLetters(ctx, GATEWAY_CONTROL_QUEUE, before, 2, 'two forged HELLOs for 9.9.9');
    await realServiceServes(ctx);
    const pinned = await get(ctx, '/vault/ping', { 'x-switchyard-version': '9.9.9' });
    assert.is(pinned.status, 404, `no vault 9.9.9 exists: ${JSON.stringify(pinned.body)}`);
  });

  test('a forged HELLO for the live version without claims removes no check', async (ctx) => {
    const anonymousBefore = await get(ctx, '/vault/secret');
    assert.ok(anonymousBefore.status === 401 || anonymousBefore.status === 403, `an anonymous caller is refused before: ${anonymousBefore.status}`);
    const before = (await deadLetters(ctx, GATEWAY_CONTROL_QUEUE)).length;
    await xadd(ctx, GATEWAY_CONTROL_QUEUE, encodeFrame(forgedHello('1.0.0', 'vault-forged-c')), { 'x-switchyard-service': 'vault', 'x-switchyard-version': '1.0.0' });
    await newDeadLetters(ctx, GATEWAY_CONTROL_QUEUE, before, 1, 'a claimless HELLO for 1.0.0');
    const anonymousAfter = await get(ctx, '/vault/secret');
    assert.is(anonymousAfter.status, anonymousBefore.status, `the claim check still holds: ${JSON.stringify(anonymousAfter.body)}`);
    const admin = await get(ctx, '/vault/secret', { authorization: `Bearer ${await token({ sub: 'alice', role: 'admin' })}` });
    assert.is(admin.status, 200);
    assert.is(admin.body.instanceId, 'vault-real');
  });

  test('a forged REQUEST with a root identity is not executed and nothing answers the attacker', async (ctx) => {
    const requests = regionRequestsQueue('vault', '1.0.0', 'frames');
    const attackerReplies = gatewayResponsesQueue('attacker');
    const before = (await deadLetters(ctx, requests)).length;
    const servedBefore = (await get(ctx, '/vault/ping')).body.secretsServed as number;
    const request = makeFrame('REQUEST', {
      method: 'GET',
      path: '/vault/secret',
      query: '',
      headers: {},
      body: new Uint8Array(0),
      deadline: Date.now() + 30_000,
      replyTo: attackerReplies,
      identity: { anonymous: false, subject: 'root', claims: { role: 'admin' } },
    }, { clock: systemClock });
    await xadd(ctx, requests, encodeFrame(request));
    await xadd(ctx, requests, sealFrame({ ...request, id: randomBytes(16).toString('hex') }, frameScope(requests), guessedKeys));
    await newDeadLetters(ctx, requests, before, 2, 'two forged REQUESTs');
    // The dead letter replaced the delivery: the handler was never offered these REQUESTs.
    assert.is(await ctx.redis.xlen(streamKey(ctx, attackerReplies)), 0, 'no RESPONSE reached the attacker’s queue');
    assert.is((await get(ctx, '/vault/ping')).body.secretsServed, servedBefore, 'the protected handler did not run');
  });

  test('a forged RESPONSE for a pending request is not delivered to the client', async (ctx) => {
    const requests = regionRequestsQueue('vault', '1.0.0', 'frames');
    const responses = gatewayResponsesQueue(NODE_ID);
    const before = (await deadLetters(ctx, responses)).length;
    const pending = get(ctx, '/vault/slow?ms=1500');
    // The attacker reads the in-flight REQUEST's id from the stream, then answers it first.
    const requestId = await eventually(async () => {
      const entries = await ctx.redis.xrangeBuffer(streamKey(ctx, requests), '-', '+');
      for (const [, fields] of entries) {
        const frame = frameIn(fields[1] as Buffer);
        if (frame.type === 'REQUEST' && frame.payload.path === '/vault/slow') return frame.id;
      }
      return undefined;
    }, { within: 5_000, what: 'the /vault/slow REQUEST in the requests stream' });
    const forged = makeFrame('RESPONSE', { status: 200, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode('{"forged":true}'), instanceId: 'vault-real' }, { clock: systemClock, id: requestId });
    await xadd(ctx, responses, encodeFrame(forged));
    await newDeadLetters(ctx, responses, before, 1, 'a forged RESPONSE');
    const answer = await pending;
    assert.is(answer.status, 200);
    assert.equal(answer.body, { waitedMs: 1500, instanceId: 'vault-real' }, 'the client got the real answer');
  });

  test('a replayed HELLO and HEARTBEAT of the real instance are ignored', async (ctx) => {
    const control = await ctx.redis.xrangeBuffer(streamKey(ctx, GATEWAY_CONTROL_QUEUE), '-', '+');
    const signed = control.filter(([, fields]) => (fields[1] as Buffer)[0] === 0x41);
    const pick = (type: string): Buffer[] => {
      const found = signed.reverse().find(([, fields]) => frameIn(fields[1] as Buffer).type === type);
      assert.ok(found, `a signed ${type} in ${GATEWAY_CONTROL_QUEUE}`);
      return found[1] as Buffer[];
    };
    const hello = pick('HELLO');
    const heartbeat = pick('HEARTBEAT');
    const before = (await deadLetters(ctx, GATEWAY_CONTROL_QUEUE)).length;
    for (const fields of [hello, heartbeat]) await ctx.redis.xadd(streamKey(ctx, GATEWAY_CONTROL_QUEUE), '*', ...fields);
    const fresh = await newDeadLetters(ctx, GATEWAY_CONTROL_QUEUE, before, 2, 'a replayed HELLO and HEARTBEAT');
    assert.equal(fresh.map((dl) => frameIn(dl.payload).type).sort(), ['HEARTBEAT', 'HELLO']);
    await realServiceServes(ctx);
  });

  test('a large body travels in GMAC envelopes both ways; a GMAC RESPONSE with one flipped byte is dead-lettered', async (ctx) => {
    const responses = gatewayResponsesQueue(NODE_ID);
    const body = randomBytes(64 * 1024);
    const res = await fetch(`${ctx.url}/vault/mirror`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    const back = Buffer.from(await res.arrayBuffer());
    assert.is(res.status, 200);
    assert.is(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(body).digest('hex'), 'the body came back whole');
    // The RESPONSE entry: the gateway reads its responses queue as a tail, so the entry is still there.
    const entries = await ctx.redis.xrangeBuffer(streamKey(ctx, responses), '-', '+');
    const large = entries.map(([, fields]) => fields[1] as Buffer).filter((p) => p.length > body.length);
    assert.ok(large.length > 0, 'the 64 KiB RESPONSE is in the responses stream');
    const sealed = large[large.length - 1] as Buffer;
    assert.is(sealed[0], 0x41);
    assert.is(sealed[1], 0x02, 'envelope 0x02: AES-256-GMAC');
    const before = (await deadLetters(ctx, responses)).length;
    const tampered = Buffer.from(sealed);
    tampered[GMAC_ENVELOPE_BYTES + 100] = (tampered[GMAC_ENVELOPE_BYTES + 100] as number) ^ 1;
    await xadd(ctx, responses, tampered);
    await newDeadLetters(ctx, responses, before, 1, 'a GMAC RESPONSE with a flipped byte');
    await realServiceServes(ctx);
  });

  test('a correctly signed HELLO of a new vault 1.0.0 instance without claims is refused by the registration policy and counted', async (ctx) => {
    const signed = ctx.insider.codecFor(GATEWAY_CONTROL_QUEUE).encode(forgedHello('1.0.0', 'vault-insider'));
    await xadd(ctx, GATEWAY_CONTROL_QUEUE, signed, { 'x-switchyard-service': 'vault', 'x-switchyard-version': '1.0.0' });
    const metric = 'switchyard_gateway_registrations_refused_total{reason="endpoints-differ"}';
    const line = await eventually(async () => (await (await fetch(`${ctx.url}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${metric} `) && !l.endsWith(' 0')), {
      within: 10_000,
      what: `${metric} above 0`,
    });
    assert.is(line, `${metric} 1`);
    const anonymous = await get(ctx, '/vault/secret');
    assert.ok(anonymous.status === 401 || anonymous.status === 403, `the claim check still holds: ${anonymous.status}`);
    await realServiceServes(ctx);
  });

  test.run();
}
