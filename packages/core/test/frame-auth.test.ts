/** Signed frames (packages/core/src/protocol/frame-auth.ts, transport/messaging/frame-authenticator.ts, auth-config.ts). */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../src/clock.js';
import { decodeFrame, encodeFrame } from '../src/protocol/frame-codec.js';
import { redactFrameBytes } from '../src/protocol/frame-redaction.js';
import { ENVELOPE_BYTES, FrameKeyRing, GMAC_ENVELOPE, GMAC_ENVELOPE_BYTES, GMAC_MIN_FRAME_BYTES, HMAC_ENVELOPE, frameKey, frameScope, openFrame, sealFrame, type FrameKey } from '../src/protocol/frame-auth.js';
import { joinWithHeadroom } from '../src/protocol/body-headroom.js';
import type { Frame } from '../src/protocol/frames.js';
import { FrameAuthenticator } from '../src/transport/messaging/frame-authenticator.js';
import { frameAuthFromConfig, type KeySourceReader } from '../src/transport/messaging/auth-config.js';
import { frames } from './protocol-fixtures.js';

const Q = 'gateway.control';
const key = (role: 'gateway' | 'instance'): FrameKey => frameKey(role, randomBytes(32), `test ${role} key`);
const ringOf = (gateway: FrameKey[], instance: FrameKey[]): FrameKeyRing => new FrameKeyRing({ gateway, instance });
const byType = (type: Frame['type']): Frame => frames().find((f) => f.type === type) as Frame;

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.is((err as { code?: unknown }).code, 'SY_PROTOCOL_UNAUTHENTICATED_FRAME', `unexpected error: ${String(err)}`);
    return (err as { reason: string }).reason;
  }
  assert.unreachable('the frame was accepted');
  return '';
}

const seal = suite('sealFrame and openFrame');
const g = key('gateway');
const i = key('instance');
const ring = ringOf([g], [i]);

seal('every frame type round-trips, signed with its own role’s key', () => {
  for (const frame of frames()) {
    const sealed = sealFrame(frame, frameScope(Q), ring);
    assert.is(openFrame(sealed, frameScope(Q), ring).id, frame.id);
    assert.is(openFrame(sealed, frameScope(Q), ring).type, frame.type);
  }
});

seal('a flipped byte anywhere in the frame, a frame moved to another queue, and an unsigned frame are refused', () => {
  const sealed = sealFrame(byType('REQUEST'), frameScope(Q), ring);
  for (const at of [ENVELOPE_BYTES, ENVELOPE_BYTES + 20, sealed.length - 1]) {
    const copy = Uint8Array.from(sealed);
    copy[at] = (copy[at] as number) ^ 1;
    assert.match(refusal(() => openFrame(copy, frameScope(Q), ring)), /signature does not match/);
  }
  assert.match(refusal(() => openFrame(sealed, frameScope('service.echo.1.0.0.requests'), ring)), /signature does not match/);
  assert.match(refusal(() => openFrame(encodeFrame(byType('HELLO')), frameScope(Q), ring)), /not signed/);
});

seal('a frame signed with an unknown key, or with the other role’s key, is refused', () => {
  const stranger = ringOf([key('gateway')], [key('instance')]);
  assert.match(refusal(() => openFrame(sealFrame(byType('HELLO'), frameScope(Q), stranger), frameScope(Q), ring)), /not an accepted key/);
  // A holder of the gateway key signs a HELLO with it: the roles do not mix.
  class GatewayKeyOnly extends FrameKeyRing {
    override signing(): FrameKey {
      return g;
    }
  }
  const forged = sealFrame(byType('HELLO'), frameScope(Q), new GatewayKeyOnly({ gateway: [g], instance: [i] }));
  assert.match(refusal(() => openFrame(forged, frameScope(Q), ring)), /signed with a gateway key; only a instance key signs HELLO/);
  // And a holder of the instance key (any service) cannot drain another instance.
  class InstanceKeyOnly extends FrameKeyRing {
    override signing(): FrameKey {
      return i;
    }
  }
  const forgedDrain = sealFrame(byType('DRAIN'), frameScope(Q), new InstanceKeyOnly({ gateway: [g], instance: [i] }));
  assert.match(refusal(() => openFrame(forgedDrain, frameScope(Q), ring)), /signed with a instance key; only a gateway key signs DRAIN/);
  const forgedUndrain = sealFrame(byType('UNDRAIN'), frameScope(Q), new InstanceKeyOnly({ gateway: [g], instance: [i] }));
  assert.match(refusal(() => openFrame(forgedUndrain, frameScope(Q), ring)), /only a gateway key signs UNDRAIN/);
});

seal('during rotation the ring accepts the current and the previous key, and signs with the current', () => {
  const next = key('instance');
  const rotated = ringOf([g], [next, i]);
  const old = sealFrame(byType('HEARTBEAT'), frameScope(Q), ring);
  assert.is(openFrame(old, frameScope(Q), rotated).type, 'HEARTBEAT');
  const fresh = sealFrame(byType('HEARTBEAT'), frameScope(Q), rotated);
  assert.match(refusal(() => openFrame(fresh, frameScope(Q), ring)), /not an accepted key/);
  assert.is(openFrame(fresh, frameScope(Q), ringOf([g], [i, next])).type, 'HEARTBEAT');
});

/** A REQUEST whose body makes its encoded frame `bytes` long, give or take its header. */
function requestOf(bodyBytes: number): Frame {
  const request = byType('REQUEST') as Extract<Frame, { type: 'REQUEST' }>;
  return { ...request, payload: { ...request.payload, body: randomBytes(bodyBytes) } };
}

seal('a small frame carries HMAC-SHA256, a frame of 16 KiB or more AES-256-GMAC under a fresh nonce; both open', () => {
  const small = sealFrame(requestOf(100), frameScope(Q), ring);
  assert.is(small[1], HMAC_ENVELOPE);
  const large = requestOf(GMAC_MIN_FRAME_BYTES);
  const first = sealFrame(large, frameScope(Q), ring);
  const second = sealFrame(large, frameScope(Q), ring);
  assert.is(first[1], GMAC_ENVELOPE);
  assert.is(first.length - small.length, GMAC_MIN_FRAME_BYTES - 100 + GMAC_ENVELOPE_BYTES - ENVELOPE_BYTES);
  assert.equal(Buffer.from(first.subarray(GMAC_ENVELOPE_BYTES)), Buffer.from(second.subarray(GMAC_ENVELOPE_BYTES)), 'the same frame bytes');
  assert.not.equal(Buffer.from(first.subarray(10, 22)), Buffer.from(second.subarray(10, 22)), 'each seal draws its own nonce');
  for (const sealed of [small, first, second]) assert.is(openFrame(sealed, frameScope(Q), ring).type, 'REQUEST');
  const opened = openFrame(first, frameScope(Q), ring) as Extract<Frame, { type: 'REQUEST' }>;
  assert.ok(Buffer.from(opened.payload.body).equals(Buffer.from((large as Extract<Frame, { type: 'REQUEST' }>).payload.body)));
});

seal('a GMAC-sealed frame with a flipped byte in the frame, nonce or tag, moved to another queue, or relabelled as HMAC is refused', () => {
  const sealed = sealFrame(requestOf(64 * 1024), frameScope(Q), ring);
  for (const at of [10, 21, 22, 37, GMAC_ENVELOPE_BYTES, GMAC_ENVELOPE_BYTES + 20, sealed.length - 1]) {
    const copy = Uint8Array.from(sealed);
    copy[at] = (copy[at] as number) ^ 1;
    assert.match(refusal(() => openFrame(copy, frameScope(Q), ring)), /signature does not match/, `byte ${at}`);
  }
  assert.match(refusal(() => openFrame(sealed, frameScope('service.echo.1.0.0.requests'), ring)), /signature does not match/);
  const relabelled = Uint8Array.from(sealed);
  relabelled[1] = HMAC_ENVELOPE;
  assert.match(refusal(() => openFrame(relabelled, frameScope(Q), ring)), /signature does not match/);
  assert.match(refusal(() => openFrame(sealed.subarray(0, 30), frameScope(Q), ring)), /envelope is cut short: 30 bytes of a 38-byte envelope \(version 2\)/);
  const stranger = ringOf([key('gateway')], [key('instance')]);
  assert.match(refusal(() => openFrame(sealFrame(requestOf(64 * 1024), frameScope(Q), stranger), frameScope(Q), ring)), /not an accepted key/);
});

seal('a streamed chunk joined with room in front is GMAC-sealed in place, without a copy', () => {
  const body = joinWithHeadroom([randomBytes(100 * 1024), randomBytes(156 * 1024)], 256 * 1024);
  const chunk: Extract<Frame, { type: 'BODY_CHUNK' }> = { v: 1, type: 'BODY_CHUNK', id: byType('REQUEST').id, sentAt: Date.now(), payload: { stream: 'request', seq: 0, body } };
  const sealed = sealFrame(chunk, frameScope(Q), ring);
  assert.is(sealed[1], GMAC_ENVELOPE);
  assert.is(sealed.buffer, body.buffer, 'the envelope and head were written in the room before the body');
  const opened = openFrame(sealed, frameScope(Q), ring) as typeof chunk;
  assert.ok(Buffer.from(opened.payload.body).equals(Buffer.from(body)));
});

seal('a secret shorter than 32 bytes is refused, naming where it came from', () => {
  assert.throws(() => frameKey('gateway', Buffer.alloc(16), 'transports[0].auth.gatewayKey (env K)'), /transports\[0\]\.auth\.gatewayKey \(env K\) holds a gateway key of 16 bytes/);
});

seal.run();

const policy = suite('FrameAuthenticator: replay window and replayed control frames');

policy('a frame sent outside the replay window is refused and counted', async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const auth = new FrameAuthenticator({ keys: ring, replayWindowMs: 10_000 }, clock);
  const codec = auth.codecFor(Q);
  const bytes = codec.encode(byType('HEARTBEAT'));
  await clock.advance(10_001);
  assert.match(refusal(() => codec.decode(bytes)), /outside the replay window of ±10000 ms/);
  assert.is(auth.counters.unauthenticated, 1);
});

policy('a HEARTBEAT or HELLO seen before is refused as a replay; a redelivered REQUEST is not', () => {
  const clock = new ManualClock(1_700_000_000_000);
  const auth = new FrameAuthenticator({ keys: ring }, clock);
  const control = auth.codecFor(Q);
  for (const type of ['HELLO', 'HEARTBEAT'] as const) {
    const bytes = control.encode(byType(type));
    assert.is(control.decode(bytes).type, type);
    assert.match(refusal(() => control.decode(bytes)), /seen before: a replay/);
  }
  const requests = auth.codecFor('service.billing.1.4.2.requests');
  const request = requests.encode(byType('REQUEST'));
  assert.is(requests.decode(request).type, 'REQUEST');
  assert.is(requests.decode(request).type, 'REQUEST');
  assert.equal(auth.counters, { unauthenticated: 2, replayed: 2 });
});

policy.run();

const config = suite('frameAuthFromConfig: keys from files or the environment');
const clock = new ManualClock();
const secret = randomBytes(32).toString('hex');
const reader: KeySourceReader = {
  env: { GW: secret, IN: `${secret.slice(0, 60)}abcd`, SHORT: 'too-short' },
  readFile: (path) => {
    if (path === '/keys/gw') return Buffer.from(`${secret}\n`);
    throw new Error(`ENOENT: no such file ${path}`);
  },
};

config('the memory backend runs unsigned without keys; other backends refuse to start without them, naming the key', () => {
  assert.is(frameAuthFromConfig(undefined, 'memory', 'transports[0].auth', clock, reader), undefined);
  assert.throws(() => frameAuthFromConfig(undefined, 'valkey', 'transports[0].auth', clock, reader), /transports\[0\]\.auth\.gatewayKey is required: frames over the "valkey" backend are signed/);
  assert.throws(
    () => frameAuthFromConfig({ gatewayKey: { env: 'GW' } }, 'valkey', 'transports[0].auth', clock, reader),
    /transports\[0\]\.auth\.instanceKey is required/,
  );
});

config('insecure: true runs unsigned, and is refused together with keys', () => {
  assert.is(frameAuthFromConfig({ insecure: true }, 'valkey', 'a', clock, reader), undefined);
  assert.throws(() => frameAuthFromConfig({ insecure: true, gatewayKey: { env: 'GW' } }, 'valkey', 'a', clock, reader), /a\.insecure is true but a\.gatewayKey is set too/);
});

config('a key written in the config text, an unset variable, an unreadable file and a short key are refused with their paths', () => {
  assert.throws(() => frameAuthFromConfig({ gatewayKey: secret, instanceKey: { env: 'IN' } }, 'valkey', 'a', clock, reader), /a\.gatewayKey is text in the config/);
  assert.throws(() => frameAuthFromConfig({ gatewayKey: { env: 'NOPE' }, instanceKey: { env: 'IN' } }, 'valkey', 'a', clock, reader), /a\.gatewayKey\.env names NOPE, which is not set/);
  assert.throws(() => frameAuthFromConfig({ gatewayKey: { file: '/keys/x' }, instanceKey: { env: 'IN' } }, 'valkey', 'a', clock, reader), /a\.gatewayKey\.file names \/keys\/x, which could not be read/);
  assert.throws(() => frameAuthFromConfig({ gatewayKey: { env: 'SHORT' }, instanceKey: { env: 'IN' } }, 'valkey', 'a', clock, reader), /a\.gatewayKey \(env SHORT\) holds a gateway key of 9 bytes/);
  assert.throws(() => frameAuthFromConfig({ gatewayKey: { env: 'GW' }, instanceKey: { env: 'IN' }, nope: 1 }, 'valkey', 'a', clock, reader), /a\.nope is not an auth option/);
});

config('every problem of the auth section is reported at once', () => {
  const err = (() => {
    try {
      frameAuthFromConfig({ gatewayKey: { env: 'NOPE' }, replayWindowMs: 5, nope: 1 }, 'valkey', 'transports[0].auth', clock, reader);
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  assert.ok(err, 'refused');
  for (const part of [/transports\[0\]\.auth\.nope is not an auth option/, /transports\[0\]\.auth\.gatewayKey\.env names NOPE/, /transports\[0\]\.auth\.instanceKey is required/, /transports\[0\]\.auth\.replayWindowMs must be an integer ≥ 1000/]) {
    assert.match(err.message, part);
  }
});

config('a key file and a variable holding the same secret make the same key (trailing newline trimmed)', () => {
  const fromFile = frameAuthFromConfig({ gatewayKey: { file: '/keys/gw' }, instanceKey: { env: 'IN' } }, 'valkey', 'a', clock, reader);
  const fromEnv = frameAuthFromConfig({ gatewayKey: { env: 'GW' }, instanceKey: { env: 'IN' } }, 'valkey', 'a', clock, reader);
  assert.ok(fromFile !== undefined && fromEnv !== undefined);
  const request = byType('REQUEST');
  assert.is(fromEnv.codecFor('q').decode(fromFile.codecFor('q').encode(request)).id, request.id);
});

config('gmac: false signs every frame with HMAC-SHA256, and still reads GMAC envelopes; anything but a boolean is refused', () => {
  const hmacOnly = frameAuthFromConfig({ gatewayKey: { env: 'GW' }, instanceKey: { env: 'IN' }, gmac: false }, 'valkey', 'a', clock, reader);
  const byDefault = frameAuthFromConfig({ gatewayKey: { env: 'GW' }, instanceKey: { env: 'IN' } }, 'valkey', 'a', clock, reader);
  assert.ok(hmacOnly !== undefined && byDefault !== undefined);
  const large = requestOf(64 * 1024);
  const fromHmacOnly = hmacOnly.codecFor('q').encode(large);
  const fromDefault = byDefault.codecFor('q').encode(large);
  assert.is(fromHmacOnly[1], HMAC_ENVELOPE);
  assert.is(fromDefault[1], GMAC_ENVELOPE);
  assert.is(hmacOnly.codecFor('q').decode(fromDefault).id, large.id);
  assert.is(byDefault.codecFor('q').decode(fromHmacOnly).id, large.id);
  assert.throws(() => frameAuthFromConfig({ gatewayKey: { env: 'GW' }, instanceKey: { env: 'IN' }, gmac: 'yes' }, 'valkey', 'a', clock, reader), /a\.gmac must be true or false/);
});

config.run();

const redaction = suite('redactFrameBytes: what a dead letter keeps');

redaction('a signed REQUEST loses its credentials and its signature; everything else is kept', () => {
  const request = byType('REQUEST') as Extract<Frame, { type: 'REQUEST' }>;
  const withCredentials = { ...request, payload: { ...request.payload, headers: { ...request.payload.headers, authorization: 'Bearer t', cookie: 'sid=1', 'proxy-authorization': 'Basic x' } } };
  const stored = redactFrameBytes(sealFrame(withCredentials, frameScope(Q), ring));
  assert.ok(stored, 'a redacted copy');
  const frame = decodeFrame(stored) as typeof request;
  assert.equal(frame.payload.headers, request.payload.headers);
  assert.equal(frame.payload.identity, request.payload.identity);
  assert.equal([...frame.payload.body], [...request.payload.body]);
});

redaction('a GMAC-sealed REQUEST loses its credentials too', () => {
  const request = requestOf(32 * 1024) as Extract<Frame, { type: 'REQUEST' }>;
  const sealed = sealFrame({ ...request, payload: { ...request.payload, headers: { ...request.payload.headers, cookie: 'sid=1' } } }, frameScope(Q), ring);
  assert.is(sealed[1], GMAC_ENVELOPE);
  const stored = redactFrameBytes(sealed);
  assert.ok(stored, 'a redacted copy');
  assert.equal((decodeFrame(stored) as typeof request).payload.headers, request.payload.headers);
});

redaction('a RESPONSE loses Set-Cookie; frames with nothing to remove and undecodable bytes are stored as they are', () => {
  const response = byType('RESPONSE') as Extract<Frame, { type: 'RESPONSE' }>;
  const stored = redactFrameBytes(encodeFrame({ ...response, payload: { ...response.payload, headers: { 'set-cookie': 'sid=1', 'content-type': 'text/plain' } } }));
  assert.equal((decodeFrame(stored as Uint8Array) as typeof response).payload.headers, { 'content-type': 'text/plain' });
  assert.is(redactFrameBytes(sealFrame(byType('REQUEST'), frameScope(Q), ring)), undefined);
  assert.is(redactFrameBytes(sealFrame(byType('HELLO'), frameScope(Q), ring)), undefined);
  assert.is(redactFrameBytes(new Uint8Array([1, 2, 3])), undefined);
});

redaction.run();
