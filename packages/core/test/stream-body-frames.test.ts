/** Streamed-body frames (docs/protocol.md, "Streamed bodies"): codec, validation, signing roles, and the credit rules of both halves. */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame, encodeFrame } from '../src/protocol/frame-codec.js';
import { FrameKeyRing, frameKey, frameScope, frameSigner, openFrame, sealFrame } from '../src/protocol/frame-auth.js';
import type { BodyChunkFrame, BodyEndFrame, CreditFrame, Frame, RequestFrame } from '../src/protocol/frames.js';
import { validateFrame } from '../src/protocol/validate.js';
import { IncomingBody } from '../src/transport/streaming/incoming-body.js';
import { OutgoingBody } from '../src/transport/streaming/outgoing-body.js';

const ID = 'ab'.repeat(16);
const clock = { now: () => 1_700_000_000_000 };
const chunk = (stream: 'request' | 'response', seq: number, body: Uint8Array): BodyChunkFrame => ({ v: 1, type: 'BODY_CHUNK', id: ID, sentAt: 1, payload: { stream, seq, body } });
const end = (stream: 'request' | 'response', chunks: number, error?: string): BodyEndFrame => ({
  v: 1,
  type: 'BODY_END',
  id: ID,
  sentAt: 1,
  payload: error === undefined ? { stream, chunks } : { stream, chunks, error },
});
const credit = (stream: 'request' | 'response', bytes: number): CreditFrame => ({ v: 1, type: 'CREDIT', id: ID, sentAt: 1, payload: { stream, bytes, replyTo: 'q' } });

function rejection(value: unknown): string {
  try {
    validateFrame(value);
  } catch (err) {
    return (err as { reason: string }).reason;
  }
  assert.unreachable('accepted');
  return '';
}

const codec = suite('body frames on the wire');

codec('BODY_CHUNK carries its bytes raw after the header; BODY_END and CREDIT round-trip', () => {
  const bytes = randomBytes(1000);
  const decoded = decodeFrame(encodeFrame(chunk('response', 7, bytes))) as BodyChunkFrame;
  assert.equal({ stream: decoded.payload.stream, seq: decoded.payload.seq }, { stream: 'response', seq: 7 });
  assert.ok(Buffer.from(decoded.payload.body).equals(bytes));
  assert.equal(decodeFrame(encodeFrame(end('request', 3, 'client-disconnected'))).payload, { stream: 'request', chunks: 3, error: 'client-disconnected' });
  assert.equal(decodeFrame(encodeFrame(credit('request', 65536))).payload, { stream: 'request', bytes: 65536, replyTo: 'q' });
});

codec('a REQUEST with stream, and a streamed RESPONSE head, round-trip; a streamed REQUEST may not carry body bytes', () => {
  const request: RequestFrame = {
    v: 1,
    type: 'REQUEST',
    id: ID,
    sentAt: 1,
    payload: { method: 'POST', path: '/x', query: '', headers: {}, body: new Uint8Array(0), deadline: 2, replyTo: 'r', identity: null, stream: { body: true, window: 1024, idleMs: 500 } },
  };
  assert.equal((decodeFrame(encodeFrame(request)) as RequestFrame).payload.stream, { body: true, window: 1024, idleMs: 500 });
  const withBytes = { ...request, payload: { ...request.payload, body: new Uint8Array(3) } };
  assert.match(rejection(withBytes), 'payload.stream.body is true, so the REQUEST must carry no body bytes (got 3)');
  const head = { v: 1, type: 'RESPONSE', id: ID, sentAt: 1, payload: { status: 200, headers: {}, body: new Uint8Array(0), instanceId: 'i-1', stream: { replyTo: '' } } };
  assert.equal((decodeFrame(encodeFrame(head as Frame)) as Extract<Frame, { type: 'RESPONSE' }>).payload.stream, { replyTo: '' });
});

codec('bad body frames are refused naming the field', () => {
  assert.is(rejection({ ...chunk('request', 0, new Uint8Array(1)), payload: { stream: 'sideways', seq: 0, body: new Uint8Array(1) } }), 'payload.stream must be "request" or "response" (got "sideways")');
  assert.is(rejection({ ...chunk('request', 0, new Uint8Array(1)), payload: { stream: 'request', seq: -1, body: new Uint8Array(1) } }), 'payload.seq must be an integer ≥ 0 (got -1)');
  assert.is(rejection({ ...credit('response', 1), payload: { stream: 'response', bytes: 0, replyTo: '' } }), 'payload.bytes must be an integer ≥ 1 (got 0)');
  assert.is(rejection({ ...end('response', 1), payload: { stream: 'response', chunks: 1.5 } }), 'payload.chunks must be an integer ≥ 0 (got 1.5)');
});

codec('endpoint descriptors: streamingBodies and maxBodyBytes are checked', () => {
  const hello = (extra: Record<string, unknown>): unknown => ({
    v: 1,
    type: 'HELLO',
    id: ID,
    sentAt: 1,
    payload: {
      instance: { service: 's', version: '1.0.0', region: '', instanceId: 'i', address: 'a' },
      endpoints: [{ method: 'POST', path: '/up', requiringClaims: [], streaming: true, ...extra }],
      endpointsHash: 'h',
    },
  });
  const ok = validateFrame(hello({ streamingBodies: 'request', maxBodyBytes: 2 ** 31 })) as Extract<Frame, { type: 'HELLO' }>;
  assert.equal(ok.payload.endpoints[0], { method: 'POST', path: '/up', requiringClaims: [], streaming: true, streamingBodies: 'request', maxBodyBytes: 2 ** 31 });
  assert.match(rejection(hello({ streamingBodies: 'both' })), 'payload.endpoints[0].streamingBodies must be "request" or "response" when given (got "both")');
  assert.match(rejection(hello({ maxBodyBytes: 0 })), 'payload.endpoints[0].maxBodyBytes must be an integer ≥ 1 (got 0)');
});

const signing = suite('body frames are signed by their sender');
const g = frameKey('gateway', randomBytes(32), 'g');
const i = frameKey('instance', randomBytes(32), 'i');
const ring = new FrameKeyRing({ gateway: [g], instance: [i] });

signing('the gateway signs the request body and the response CREDIT; the instance the rest', () => {
  assert.is(frameSigner(chunk('request', 0, new Uint8Array(1))), 'gateway');
  assert.is(frameSigner(end('request', 0)), 'gateway');
  assert.is(frameSigner(credit('response', 1)), 'gateway');
  assert.is(frameSigner(chunk('response', 0, new Uint8Array(1))), 'instance');
  assert.is(frameSigner(end('response', 0)), 'instance');
  assert.is(frameSigner(credit('request', 1)), 'instance');
  const scope = frameScope('gateway.n1.streams');
  const sealed = sealFrame(chunk('response', 0, new Uint8Array([1, 2])), scope, ring);
  assert.is(openFrame(sealed, scope, ring).type, 'BODY_CHUNK');
});

signing('a response chunk signed with the gateway key is refused', () => {
  const scope = frameScope('gateway.n1.streams');
  // A ring that signs everything with the gateway key (sealFrame asks the ring only for its signing key).
  const forger = { signing: () => g } as unknown as FrameKeyRing;
  const forged = sealFrame(chunk('response', 0, new Uint8Array([1])), scope, forger);
  let refused = '';
  try {
    openFrame(forged, scope, ring);
  } catch (err) {
    refused = (err as Error).message;
  }
  assert.match(refused, 'is signed with a gateway key; only a instance key signs BODY_CHUNK of a response body');
});

const flow = suite('credit: the sender never has more than the window in flight');

flow('OutgoingBody sends only what was granted, split to the credit, then BODY_END', async () => {
  const sent: Array<BodyChunkFrame | BodyEndFrame> = [];
  const out = new OutgoingBody({ id: ID, stream: 'response', clock, maxChunkBytes: 4096 }, async (frame) => {
    sent.push(frame);
  });
  async function* source(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(10_000);
    yield new Uint8Array(2_000);
  }
  const done = out.run(source(), () => 'failed');
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.is(sent.length, 0, 'nothing is sent without credit');
  out.grant(5_000);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(
    sent.map((f) => (f.type === 'BODY_CHUNK' ? f.payload.body.length : -1)),
    [4096, 904],
    'chunks are at most maxChunkBytes and never more than the credit',
  );
  out.grant(100_000);
  assert.is(await done, 'complete');
  const sizes = sent.map((f) => (f.type === 'BODY_CHUNK' ? f.payload.body.length : -1));
  assert.is(sizes.slice(0, -1).reduce((a, b) => a + b, 0), 12_000);
  assert.equal(sent.at(-1)?.payload, { stream: 'response', chunks: sent.length - 1 });
  assert.equal(
    sent.filter((f): f is BodyChunkFrame => f.type === 'BODY_CHUNK').map((f) => f.payload.seq),
    [...Array(sent.length - 1).keys()],
  );
});

flow('OutgoingBody ends with an error reason when its source fails', async () => {
  const sent: Array<BodyChunkFrame | BodyEndFrame> = [];
  const out = new OutgoingBody({ id: ID, stream: 'response', clock, maxChunkBytes: 4096, initialCredit: 1 << 20 }, async (frame) => {
    sent.push(frame);
  });
  async function* source(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(10);
    throw new Error('disk gone');
  }
  assert.is(await out.run(source(), () => 'handler-failed'), 'aborted');
  assert.equal(sent.at(-1)?.payload, { stream: 'response', chunks: 1, error: 'handler-failed' });
});

flow('IncomingBody grants the window, then only what its reader took; buffered bytes stay within the window', async () => {
  const grants: number[] = [];
  const body = new IncomingBody({ id: ID, stream: 'request', window: 4096, alreadyGranted: 0, idleMs: 5_000, grant: (b) => grants.push(b) });
  assert.equal(grants, [4096], 'the whole window at once');
  for (let seq = 0; seq < 4; seq++) body.chunk(seq, new Uint8Array(1024));
  assert.is(body.bufferedBytes, 4096);
  assert.equal(grants, [4096], 'nothing more until the reader takes something');
  body.chunk(4, new Uint8Array(1));
  // Over the credit: the sender broke the rules, the body is aborted.
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(body.destroyed);
  assert.is((body.errored as { reason?: string } | null)?.reason, 'credit-exceeded');
});

flow('IncomingBody reorders chunks, ends after BODY_END once all arrived, and grants as it is read', async () => {
  const grants: number[] = [];
  const body = new IncomingBody({ id: ID, stream: 'response', window: 4096, alreadyGranted: 4096, idleMs: 5_000, grant: (b) => grants.push(b) });
  body.chunk(1, Buffer.from('b'.repeat(2048)));
  body.chunk(0, Buffer.from('a'.repeat(2048)));
  body.receiveEnd(3, undefined);
  body.chunk(1, Buffer.from('x'.repeat(10))); // a duplicate: ignored
  const parts: string[] = [];
  const reading = (async () => {
    for await (const part of body) parts.push(String(part));
  })();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(grants.length > 0 && grants.reduce((a, b) => a + b, 0) >= 1024, 'credit follows what was read');
  body.chunk(2, Buffer.from('c'));
  await reading;
  assert.is(parts.join(''), 'a'.repeat(2048) + 'b'.repeat(2048) + 'c');
});

flow('IncomingBody: a missing chunk at BODY_END, a sender abort, and idleness each end it with a reason', async () => {
  const reasonOf = async (body: IncomingBody): Promise<string> => {
    try {
      for await (const _ of body) void _;
    } catch (err) {
      return (err as { reason: string }).reason;
    }
    return 'ended';
  };
  const mk = (idleMs = 5_000): IncomingBody => new IncomingBody({ id: ID, stream: 'request', window: 4096, alreadyGranted: 4096, idleMs, grant: () => undefined });
  const aborted = mk();
  aborted.chunk(0, new Uint8Array(1));
  aborted.receiveEnd(1, 'client-disconnected');
  assert.is(await reasonOf(aborted), 'client-disconnected');
  const idle = mk(30);
  assert.is(await reasonOf(idle), 'idle-timeout');
  const gap = mk(60);
  gap.chunk(1, new Uint8Array(1));
  gap.receiveEnd(2, undefined);
  assert.is(await reasonOf(gap), 'idle-timeout', 'a chunk that never comes ends the body, never a short body that looks whole');
});

codec.run();
signing.run();
flow.run();
