/**
 * Dead letters never store credentials (issue 21, item 3; docs/messaging-transport.md, "Dead
 * letters"): whoever dead-letters a REQUEST — a handler, core on max-deliveries, or core refusing
 * an unauthenticated frame — the copy in Valkey has no Authorization, Proxy-Authorization or
 * Cookie header. Read back with XRANGE, as anyone with access to the server would.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ENVELOPE_BYTES, createQueueFactoryFromConfig, decodeFrame, encodeFrame, makeFrame, systemClock, type Frame, type MessageQueueFactory, type RequestFrame } from '@switchyard/core';
import { frameAuthFromConfig, type FrameAuthenticator } from '@switchyard/core/internal';
import { authSection, newKeys } from '../harness/frame-keys.js';
import { requireValkeyOrSkip } from '../harness/valkey.js';
import { eventually } from '../harness/wait.js';

const server = await requireValkeyOrSkip('dead-letter redaction over Valkey');
const SECRETS = ['Bearer eyJhbGciOi.secret-token', 'session=top-secret-cookie', 'Basic cHJveHk6c2VjcmV0'];

function request(): RequestFrame {
  return makeFrame(
    'REQUEST',
    {
      method: 'POST',
      path: '/vault/secret',
      query: 'a=1',
      headers: { authorization: SECRETS[0] as string, cookie: SECRETS[1] as string, 'proxy-authorization': SECRETS[2] as string, 'x-request-id': 'r-1' },
      body: new TextEncoder().encode('the body'),
      deadline: Date.now() + 60_000,
      replyTo: 'gateway.gw-1.responses',
      identity: { anonymous: false, subject: 'alice', claims: {} },
    },
    { clock: systemClock },
  );
}

if (server === null) {
  const skipped = suite('dead-letter redaction over valkey (SKIPPED: no server)');
  skipped.skip('every case', () => undefined);
  skipped.run();
} else {
  const test = suite<{ redis: Redis; factory: MessageQueueFactory; auth: FrameAuthenticator; prefix: string }>('dead letters over valkey keep no credentials', {} as never);

  test.before(async (ctx) => {
    ctx.prefix = `dl-${randomUUID().slice(0, 8)}`;
    ctx.redis = new Redis(server.url);
    ctx.factory = await createQueueFactoryFromConfig('valkey', { url: server.url, prefix: ctx.prefix }, { clock: systemClock });
    ctx.auth = frameAuthFromConfig(authSection(newKeys()), 'valkey', 'test.auth', systemClock) as FrameAuthenticator;
  });

  test.after(async (ctx) => {
    await ctx.factory.close();
    ctx.redis.disconnect();
    await server.stop();
  });

  /** The one dead letter of `queue`, as stored: its reason and the frame in its payload. */
  async function storedDeadLetter(ctx: { redis: Redis; prefix: string }, queue: string): Promise<{ reason: string; raw: Buffer; frame: Frame }> {
    const entries = await eventually(async () => {
      const list = await ctx.redis.xrangeBuffer(`${ctx.prefix}:{${queue}}:dlq`, '-', '+');
      return list.length > 0 ? list : undefined;
    }, { within: 10_000, what: `a dead letter on ${queue}` });
    assert.is(entries.length, 1, 'exactly one dead letter');
    const fields = (entries[0] as [Buffer, Buffer[]])[1];
    const map = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set((fields[i] as Buffer).toString(), fields[i + 1] as Buffer);
    const raw = map.get('p') as Buffer;
    const frame = decodeFrame(raw[0] === 0x41 ? raw.subarray(ENVELOPE_BYTES) : raw);
    return { reason: map.get('r')?.toString() ?? '', raw, frame };
  }

  function assertNoCredentials(stored: { raw: Buffer; frame: Frame }): void {
    for (const secret of SECRETS) assert.not.ok(stored.raw.includes(secret), `the stored bytes hold ${secret}`);
    assert.is(stored.frame.type, 'REQUEST');
    const payload = (stored.frame as RequestFrame).payload;
    assert.equal(payload.headers, { 'x-request-id': 'r-1' }, 'only the credentials are gone');
    assert.is(new TextDecoder().decode(payload.body), 'the body');
  }

  test('a REQUEST a handler dead-letters is stored without its credentials', async (ctx) => {
    const name = `service.vault.1.0.0.requests.${randomUUID().slice(0, 8)}`;
    const queue = ctx.factory.queue<Frame>(name, { codec: ctx.auth.codecFor(name) });
    await queue.enqueue(request());
    const [lease] = await queue.lease({ max: 1, blockMs: 2_000 });
    assert.ok(lease, 'the REQUEST was leased');
    await lease.deadLetter('invalid-reply-to: test');
    const stored = await storedDeadLetter(ctx, name);
    assert.is(stored.reason, 'invalid-reply-to: test');
    assertNoCredentials(stored);
  });

  test('a REQUEST dead-lettered by core after maxDeliveries is stored without its credentials', async (ctx) => {
    const name = `service.vault.1.0.0.requests.${randomUUID().slice(0, 8)}`;
    const queue = ctx.factory.queue<Frame>(name, { codec: ctx.auth.codecFor(name), maxDeliveries: 1 });
    await queue.enqueue(request());
    const [first] = await queue.lease({ max: 1, blockMs: 2_000 });
    assert.ok(first, 'the REQUEST was leased');
    await first.release();
    assert.equal(await queue.lease({ max: 1, blockMs: 500 }), [], 'the second delivery is dead-lettered, not handed out');
    const stored = await storedDeadLetter(ctx, name);
    assert.is(stored.reason, 'max-deliveries');
    assertNoCredentials(stored);
  });

  test('an unsigned REQUEST refused as unauthenticated is stored without its credentials', async (ctx) => {
    const name = `service.vault.1.0.0.requests.${randomUUID().slice(0, 8)}`;
    await ctx.redis.xadd(`${ctx.prefix}:{${name}}`, '*', 'p', Buffer.from(encodeFrame(request())));
    const queue = ctx.factory.queue<Frame>(name, { codec: ctx.auth.codecFor(name) });
    assert.equal(await queue.lease({ max: 1, blockMs: 500 }), [], 'the forged REQUEST is not handed out');
    const stored = await storedDeadLetter(ctx, name);
    assert.is(stored.reason, 'unauthenticated');
    assertNoCredentials(stored);
  });

  test.run();
}
